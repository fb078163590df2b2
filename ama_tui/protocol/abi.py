"""JSON ABIs of the contracts the packer reads and the relayer calls (reference sections 1-3).

Written as compact human-readable signatures and expanded by a small parser, so each line can be
checked against the reference by eye; selectors depend only on names and types, so keep those exact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from ama_tui.protocol.keccak import keccak_text

AbiEntry = dict[str, Any]

MULTICALL3_ADDRESS: Final = "0xcA11bde05977b3631167028862bE2a173976CA11"

ORDER_FIELDS: Final[tuple[str, ...]] = (
    "orderId",
    "trader",
    "price",
    "amount",
    "isBuy",
    "timestamp",
    "nextOrderId",
    "marginRequired",
    "isMarginOrder",
)
"""The `Order` tuple's members, in order. Newer deployments append `prevOrderId`."""
ORDER_FIELDS_V10: Final[tuple[str, ...]] = (*ORDER_FIELDS, "prevOrderId")

_ORDER_TYPES: Final = {
    "orderId": "uint256",
    "trader": "address",
    "price": "uint256",
    "amount": "uint256",
    "isBuy": "bool",
    "timestamp": "uint256",
    "nextOrderId": "uint256",
    "marginRequired": "uint256",
    "isMarginOrder": "bool",
    "prevOrderId": "uint256",
}
ORDER_TUPLE: Final = "(" + ", ".join(f"{_ORDER_TYPES[n]} {n}" for n in ORDER_FIELDS) + ")"
ORDER_TUPLE_V10: Final = "(" + ", ".join(f"{_ORDER_TYPES[n]} {n}" for n in ORDER_FIELDS_V10) + ")"

SESSION_PERMIT_TUPLE: Final = (
    "(address trader, bytes32 relayerSetRoot, uint256 expiry, uint256 maxNotionalPerTrade,"
    " uint256 maxNotionalPerSession, bytes32 methodsBitmap, bytes32 sessionSalt,"
    " bytes32[] allowedMarkets, uint256 nonce)"
)
"""The registry's `SessionPermit` struct (same member order as the EIP-712 type)."""


# --- a tiny human-readable ABI parser -------------------------------------------------------------

_HEADER = re.compile(r"^\s*(function|event)\s+([A-Za-z_$][A-Za-z0-9_$]*)\s*\(")
_ARRAY_SUFFIX = re.compile(r"^((?:\[[0-9]*\])*)")
_MUTABILITY = ("view", "pure", "payable", "nonpayable")
_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def _closing(text: str, open_index: int) -> int:
    depth = 0
    for index in range(open_index, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unbalanced parentheses in {text!r}")


def split_top_level(text: str) -> list[str]:
    """`a, (b, c), d` as its top-level parts (commas inside parentheses kept), each stripped."""
    parts: list[str] = []
    depth = 0
    start = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _param(text: str, *, event: bool) -> AbiEntry:
    components: list[AbiEntry] | None = None
    if text.startswith("("):
        close = _closing(text, 0)
        components = [_param(part, event=False) for part in split_top_level(text[1:close])]
        rest = text[close + 1 :]
        suffix = _ARRAY_SUFFIX.match(rest)
        assert suffix is not None
        type_ = "tuple" + suffix.group(1)
        words = rest[suffix.end() :].split()
    else:
        type_, *words = text.split()
    indexed = bool(words) and words[0] == "indexed"
    if indexed:
        if not event:
            raise ValueError(f"'indexed' outside an event: {text!r}")
        words = words[1:]
    if len(words) > 1 or (words and not _IDENT.match(words[0])):
        raise ValueError(f"cannot parse parameter {text!r}")
    entry: AbiEntry = {"name": words[0] if words else "", "type": type_}
    if components is not None:
        entry["components"] = components
    if event:
        entry["indexed"] = indexed
    return entry


def parse_signature(signature: str) -> AbiEntry:
    """One JSON ABI entry from e.g. `function f(uint256 a) view returns (bool ok)` or
    `event E(address indexed who, uint256 amount)`."""
    header = _HEADER.match(signature)
    if header is None:
        raise ValueError(f"not a function or event signature: {signature!r}")
    kind, name = header.group(1), header.group(2)
    close = _closing(signature, header.end() - 1)
    inputs = [_param(p, event=kind == "event") for p in split_top_level(signature[header.end() : close])]
    tail = signature[close + 1 :].strip()
    if kind == "event":
        if tail:
            raise ValueError(f"unexpected text after event parameters: {tail!r}")
        return {"type": "event", "name": name, "inputs": inputs, "anonymous": False}
    mutability = "nonpayable"
    outputs: list[AbiEntry] = []
    while tail:
        word = tail.split(None, 1)[0].split("(", 1)[0]
        if word in _MUTABILITY:
            mutability = word
            tail = tail[len(word) :].strip()
        elif word == "returns":
            tail = tail[len(word) :].strip()
            if not tail.startswith("("):
                raise ValueError(f"'returns' needs a parameter list: {signature!r}")
            end = _closing(tail, 0)
            outputs = [_param(p, event=False) for p in split_top_level(tail[1:end])]
            tail = tail[end + 1 :].strip()
        else:
            raise ValueError(f"unexpected {word!r} in {signature!r}")
    return {
        "type": "function",
        "name": name,
        "inputs": inputs,
        "outputs": outputs,
        "stateMutability": mutability,
    }


def parse_abi(signatures: Sequence[str]) -> list[AbiEntry]:
    return [parse_signature(signature) for signature in signatures]


def canonical_type(param: AbiEntry) -> str:
    """A parameter's canonical type: `uint256`, or a tuple spelled out as `(address,uint256)[]`."""
    type_ = str(param["type"])
    if type_.startswith("tuple"):
        inner = ",".join(canonical_type(component) for component in param["components"])
        return f"({inner}){type_[len('tuple') :]}"
    return type_


def canonical_signature(entry: AbiEntry) -> str:
    """`name(type,type,...)`, the text a selector or event topic hashes."""
    return f"{entry['name']}({','.join(canonical_type(p) for p in entry['inputs'])})"


def selector(entry: AbiEntry) -> str:
    """A function's 4-byte selector as `0x` + 8 hex digits."""
    return "0x" + keccak_text(canonical_signature(entry))[:4].hex()


def event_topic(entry: AbiEntry) -> str:
    """An event's topic 0 as `0x` + 64 hex digits."""
    return "0x" + keccak_text(canonical_signature(entry)).hex()


def find(abi: Sequence[AbiEntry], name: str, kind: str = "function") -> AbiEntry:
    """The entry called `name` (functions by default)."""
    for entry in abi:
        if entry["type"] == kind and entry["name"] == name:
            return entry
    raise KeyError(f"no {kind} {name!r} in this ABI")


# --- the contracts ---------------------------------------------------------------------------------

_ORDER_BOOK_VIEWS: Final = (
    "function getUserOrders(address user) view returns (uint256[] orderIds)",
    "function bestBid() view returns (uint256)",
    "function bestAsk() view returns (uint256)",
    "function getBestPrices() view returns (uint256 bidPrice, uint256 askPrice)",
    "function lastTradePrice() view returns (uint256)",
    "function marketStatic() view"
    " returns (address vault, bytes32 marketId, bool useVWAP, uint256 vwapWindow)",
    "function getLeverageInfo() view"
    " returns (bool enabled, uint256 maxLev, uint256 marginReq, address controller)",
    "function getUserPosition(address user) view returns (int256)",
    "function getFilledAmount(uint256 orderId) view returns (uint256)",
)

_ORDER_BOOK_SESSION: Final = (
    "function sessionPlaceMarginLimit(bytes32 sessionId, address trader, uint256 price, uint256 amount,"
    " bool isBuy, bytes32[] relayerProof) returns (uint256 orderId)",
    "function sessionPlaceMarginMarket(bytes32 sessionId, address trader, uint256 amount, bool isBuy,"
    " bytes32[] relayerProof) returns (uint256 filledAmount)",
    "function sessionModifyOrder(bytes32 sessionId, address trader, uint256 orderId, uint256 price,"
    " uint256 amount, bytes32[] relayerProof) returns (uint256 newOrderId)",
    "function sessionCancelOrder(bytes32 sessionId, address trader, uint256 orderId, bytes32[] relayerProof)",
    "function sessionPlaceLimit(bytes32 sessionId, address trader, uint256 price, uint256 amount,"
    " bool isBuy, bytes32[] relayerProof) returns (uint256 orderId)",
    "function sessionPlaceMarket(bytes32 sessionId, address trader, uint256 amount, bool isBuy,"
    " bytes32[] relayerProof) returns (uint256 filledAmount)",
)

_ORDER_BOOK_EVENTS: Final = (
    "event OrderPlaced(uint256 indexed orderId, address indexed trader, uint256 price, uint256 amount,"
    " bool isBuy, bool isMarginOrder)",
    "event OrderCancelled(uint256 indexed orderId, address indexed trader, uint256 price, uint256 amount,"
    " bool isBuy)",
    "event OrderModified(uint256 indexed oldOrderId, uint256 indexed newOrderId, address indexed trader,"
    " uint256 newPrice, uint256 newAmount)",
    "event TradeExecutionCompleted(address indexed buyer, address indexed seller, uint256 price,"
    " uint256 amount)",
)

ORDER_BOOK_ABI: Final[list[AbiEntry]] = parse_abi(
    (
        *_ORDER_BOOK_VIEWS,
        f"function getOrder(uint256 orderId) view returns ({ORDER_TUPLE} order)",
        *_ORDER_BOOK_SESSION,
        *_ORDER_BOOK_EVENTS,
    )
)
"""OrderBook views, session entry points and events; `getOrder` returns the 9-field `Order`."""

ORDER_BOOK_ABI_V10: Final[list[AbiEntry]] = parse_abi(
    (
        *_ORDER_BOOK_VIEWS,
        f"function getOrder(uint256 orderId) view returns ({ORDER_TUPLE_V10} order)",
        *_ORDER_BOOK_SESSION,
        *_ORDER_BOOK_EVENTS,
    )
)
"""As `ORDER_BOOK_ABI`, for newer deployments whose `Order` ends with `prevOrderId`."""

CORE_VAULT_ABI: Final[list[AbiEntry]] = parse_abi(
    (
        # declared non-view on chain, but side-effect free: read it with eth_call
        "function getAvailableCollateral(address user) returns (uint256)",
        "function getMarkPrice(bytes32 marketId) view returns (uint256)",
        "function getPositionSummary(address user, bytes32 marketId) view"
        " returns (int256 size, uint256 entryPrice, uint256 marginLocked)",
    )
)

SESSION_REGISTRY_ABI: Final[list[AbiEntry]] = parse_abi(
    (
        "function metaNonce(address trader) view returns (uint256)",
        f"function createSession({SESSION_PERMIT_TUPLE} permit, bytes signature) returns (bytes32 sessionId)",
        "function sessions(bytes32 sessionId) view returns (address trader, bytes32 relayerSetRoot,"
        " uint256 expiry, uint256 maxNotionalPerTrade, uint256 maxNotionalPerSession,"
        " uint256 sessionNotionalUsed, bytes32 methodsBitmap, bool revoked)",
    )
)
"""`metaNonce`, `createSession` and the public `sessions` getter in the real registry's shape (a
session's state; an unknown id reads all zero). Older stand-ins answer `..., methodsBitmap,
notionalUsed, active` in the same eight words: `venues.dexetra.sessions` reads both."""

MULTICALL3_ABI: Final[list[AbiEntry]] = parse_abi(
    (
        "function aggregate3((address target, bool allowFailure, bytes callData)[] calls) payable"
        " returns ((bool success, bytes returnData)[] returnData)",
    )
)
