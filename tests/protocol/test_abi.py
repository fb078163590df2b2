"""ABIs: selectors and topics must equal the devnet contracts' and production's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_abi import decode, encode
from eth_utils import keccak

from ama_tui.protocol.abi import (
    CORE_VAULT_ABI,
    MULTICALL3_ABI,
    MULTICALL3_ADDRESS,
    ORDER_BOOK_ABI,
    ORDER_BOOK_ABI_V10,
    SESSION_REGISTRY_ABI,
    canonical_signature,
    event_topic,
    find,
    parse_signature,
    selector,
)
from ama_tui.protocol.permits import PERMIT_FIELDS
from tests.conftest import TS_STATE_FIXTURE

TS_STATE = TS_STATE_FIXTURE


def _sel(text: str) -> str:
    return "0x" + keccak(text=text)[:4].hex()


SIGNATURES = [
    (ORDER_BOOK_ABI, "getUserOrders(address)"),
    (ORDER_BOOK_ABI, "getOrder(uint256)"),
    (ORDER_BOOK_ABI, "bestBid()"),
    (ORDER_BOOK_ABI, "bestAsk()"),
    (ORDER_BOOK_ABI, "getBestPrices()"),
    (ORDER_BOOK_ABI, "lastTradePrice()"),
    (ORDER_BOOK_ABI, "marketStatic()"),
    (ORDER_BOOK_ABI, "getLeverageInfo()"),
    (ORDER_BOOK_ABI, "getUserPosition(address)"),
    (ORDER_BOOK_ABI, "getFilledAmount(uint256)"),
    (ORDER_BOOK_ABI, "sessionPlaceMarginLimit(bytes32,address,uint256,uint256,bool,bytes32[])"),
    (ORDER_BOOK_ABI, "sessionPlaceMarginMarket(bytes32,address,uint256,bool,bytes32[])"),
    (ORDER_BOOK_ABI, "sessionModifyOrder(bytes32,address,uint256,uint256,uint256,bytes32[])"),
    (ORDER_BOOK_ABI, "sessionCancelOrder(bytes32,address,uint256,bytes32[])"),
    (ORDER_BOOK_ABI, "sessionPlaceLimit(bytes32,address,uint256,uint256,bool,bytes32[])"),
    (ORDER_BOOK_ABI, "sessionPlaceMarket(bytes32,address,uint256,bool,bytes32[])"),
    (CORE_VAULT_ABI, "getAvailableCollateral(address)"),
    (CORE_VAULT_ABI, "getMarkPrice(bytes32)"),
    (CORE_VAULT_ABI, "getPositionSummary(address,bytes32)"),
    (SESSION_REGISTRY_ABI, "metaNonce(address)"),
    (
        SESSION_REGISTRY_ABI,
        "createSession((address,bytes32,uint256,uint256,uint256,bytes32,bytes32,bytes32[],uint256),bytes)",
    ),
    (SESSION_REGISTRY_ABI, "sessions(bytes32)"),
    (MULTICALL3_ABI, "aggregate3((address,bool,bytes)[])"),
]


@pytest.mark.parametrize(("abi", "signature"), SIGNATURES)
def test_function_selectors(abi: list[dict[str, Any]], signature: str) -> None:
    entry = find(abi, signature.split("(", 1)[0])
    assert canonical_signature(entry) == signature
    assert selector(entry) == _sel(signature)


def test_every_function_is_covered() -> None:
    listed = {signature for _, signature in SIGNATURES}
    for abi in (ORDER_BOOK_ABI, CORE_VAULT_ABI, SESSION_REGISTRY_ABI, MULTICALL3_ABI):
        for entry in abi:
            if entry["type"] == "function":
                assert canonical_signature(entry) in listed


def test_well_known_selectors() -> None:
    assert selector(find(MULTICALL3_ABI, "aggregate3")) == "0x82ad56cb"
    assert MULTICALL3_ADDRESS == "0xcA11bde05977b3631167028862bE2a173976CA11"


def test_session_place_margin_limit_matches_production_calldata() -> None:
    """The relayer's raw transactions quoted in the original tool's journal call this selector."""
    errors = [
        json.loads(line)["error"]
        for path in TS_STATE.glob("999/*/actions.jsonl")
        for line in path.read_text().splitlines()
        if "replacement fee too low" in line
    ]
    assert errors
    calldata_start = errors[0].index("80b90164") + len("80b90164")  # RLP: value 0, then 0x164-byte data
    assert "0x" + errors[0][calldata_start : calldata_start + 8] == selector(
        find(ORDER_BOOK_ABI, "sessionPlaceMarginLimit")
    )


@pytest.mark.parametrize(
    ("name", "signature"),
    [
        ("OrderPlaced", "OrderPlaced(uint256,address,uint256,uint256,bool,bool)"),
        ("OrderCancelled", "OrderCancelled(uint256,address,uint256,uint256,bool)"),
        ("OrderModified", "OrderModified(uint256,uint256,address,uint256,uint256)"),
        ("TradeExecutionCompleted", "TradeExecutionCompleted(address,address,uint256,uint256)"),
    ],
)
def test_event_topics(name: str, signature: str) -> None:
    assert event_topic(find(ORDER_BOOK_ABI, name, "event")) == "0x" + keccak(text=signature).hex()


def test_event_indexing() -> None:
    indexed = {
        entry["name"]: [p["name"] for p in entry["inputs"] if p["indexed"]]
        for entry in ORDER_BOOK_ABI
        if entry["type"] == "event"
    }
    assert indexed == {
        "OrderPlaced": ["orderId", "trader"],
        "OrderCancelled": ["orderId", "trader"],
        "OrderModified": ["oldOrderId", "newOrderId", "trader"],
        "TradeExecutionCompleted": ["buyer", "seller"],
    }


ORDER_9 = [
    ("orderId", "uint256"), ("trader", "address"), ("price", "uint256"), ("amount", "uint256"),
    ("isBuy", "bool"), ("timestamp", "uint256"), ("nextOrderId", "uint256"), ("marginRequired", "uint256"),
    ("isMarginOrder", "bool"),
]  # fmt: skip


def test_order_tuple_in_reference_order() -> None:
    (out9,) = find(ORDER_BOOK_ABI, "getOrder")["outputs"]
    (out10,) = find(ORDER_BOOK_ABI_V10, "getOrder")["outputs"]
    assert out9["type"] == out10["type"] == "tuple"
    assert [(c["name"], c["type"]) for c in out9["components"]] == ORDER_9
    assert [(c["name"], c["type"]) for c in out10["components"]] == [*ORDER_9, ("prevOrderId", "uint256")]
    v9 = {e["name"] for e in ORDER_BOOK_ABI}
    assert v9 == {e["name"] for e in ORDER_BOOK_ABI_V10}
    # a 9-field order round-trips through the ABI types
    types = "(" + ",".join(c["type"] for c in out9["components"]) + ")"
    order = (5, "0x" + "11" * 20, 4_800_000, 10**18, True, 1_700_000_000, 0, 4_800_000, True)
    assert decode([types], encode([types], [order])) == (order,)


def test_outputs_and_mutability() -> None:
    assert [o["name"] for o in find(ORDER_BOOK_ABI, "getBestPrices")["outputs"]] == ["bidPrice", "askPrice"]
    assert [o["name"] for o in find(ORDER_BOOK_ABI, "marketStatic")["outputs"]] == [
        "vault", "marketId", "useVWAP", "vwapWindow",
    ]  # fmt: skip
    assert [o["type"] for o in find(ORDER_BOOK_ABI, "getLeverageInfo")["outputs"]] == [
        "bool", "uint256", "uint256", "address",
    ]  # fmt: skip
    assert find(ORDER_BOOK_ABI, "getUserPosition")["outputs"] == [{"name": "", "type": "int256"}]
    assert find(CORE_VAULT_ABI, "getAvailableCollateral")["stateMutability"] == "nonpayable"
    assert find(CORE_VAULT_ABI, "getMarkPrice")["stateMutability"] == "view"
    assert [o["type"] for o in find(CORE_VAULT_ABI, "getPositionSummary")["outputs"]] == [
        "int256", "uint256", "uint256",
    ]  # fmt: skip
    assert find(SESSION_REGISTRY_ABI, "metaNonce")["stateMutability"] == "view"
    assert find(ORDER_BOOK_ABI, "sessionCancelOrder")["outputs"] == []
    assert find(MULTICALL3_ABI, "aggregate3")["outputs"][0]["type"] == "tuple[]"


def test_create_session_struct_matches_the_eip712_type() -> None:
    permit, signature = find(SESSION_REGISTRY_ABI, "createSession")["inputs"]
    assert [(c["name"], c["type"]) for c in permit["components"]] == list(PERMIT_FIELDS)
    assert signature == {"name": "signature", "type": "bytes"}
    assert find(SESSION_REGISTRY_ABI, "createSession")["outputs"] == [
        {"name": "sessionId", "type": "bytes32"}
    ]
    session = find(SESSION_REGISTRY_ABI, "sessions")
    assert session["stateMutability"] == "view"
    assert [(o["name"], o["type"]) for o in session["outputs"]][-3:] == [
        ("sessionNotionalUsed", "uint256"),
        ("methodsBitmap", "bytes32"),
        ("revoked", "bool"),
    ]


def test_parser_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_signature("constructor(uint256 a)")
    with pytest.raises(ValueError):
        parse_signature("function f(uint256 a b c)")
    with pytest.raises(ValueError):
        parse_signature("function f(uint256 indexed a)")
    with pytest.raises(ValueError):
        parse_signature("function f((uint256 a) view")
    with pytest.raises(ValueError):
        parse_signature("function f() sometimes")
    assert (
        parse_signature("function g(uint256[2][] xs) pure returns(bool)")["inputs"][0]["type"]
        == "uint256[2][]"
    )


def test_session_modify_returns_the_new_order_id() -> None:
    """Reference section 7: `sessionModifyOrder` returns `uint256 newOrderId`."""
    entry = find(ORDER_BOOK_ABI, "sessionModifyOrder")
    assert [(out["name"], out["type"]) for out in entry["outputs"]] == [("newOrderId", "uint256")]
