"""The relay answers the way production's routes answer where a client can tell (reference section 7):
one test per point — the trade answer (pending by default, mined when told to wait, never an order
id), the trade and session-init error table, the markets listing with undeployed rows, the live
order book's nulls, and the body-size cap with JSON 404/405 answers.

Chain tests share one DevnetStack and run between evm_snapshot and evm_revert.
"""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import anyio
import httpx
import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_typing import HexStr
from starlette.applications import Starlette

from ama_tui.devnet.catalog import UNDEPLOYED_MARKETS
from ama_tui.devnet.deploy import DevnetDeployment, DevnetMarket, connect, send_as
from ama_tui.devnet.node import dev_key
from ama_tui.devnet.relay import MARKETS, ORDERBOOK, SESSION_INIT, TRADE, Fault, FaultKind, make_relay_app
from ama_tui.devnet.relay.bodies import MAX_BODY_BYTES
from ama_tui.devnet.relay.contracts import BOOK, VAULT
from ama_tui.devnet.relay.live_book import read_live_book
from ama_tui.devnet.relay.rpc import JsonRpc
from ama_tui.devnet.relay.tape import TradeTape
from ama_tui.devnet.relay.trade_checks import DEFAULT_ESTIMATED_FEE_BPS
from ama_tui.devnet.seeding import default_relayer_keys
from ama_tui.devnet.stack import DevnetStack
from ama_tui.protocol.accounts import address_of
from ama_tui.protocol.errors import ErrorCode, classify
from ama_tui.protocol.methods import MethodBit
from ama_tui.protocol.permits import build_session_permit
from ama_tui.protocol.relayers import relayer_set_root
from ama_tui.store.wallets_csv import WalletEntry

from .test_relay_api import (
    ETH,
    HTTP_TIMEOUT_S,
    UNIT,
    Chain,
    init_body,
    limit,
    logged,
    open_session,
    permit_for,
    rejected,
    sent,
    trade_body,
)

pytestmark = pytest.mark.devnet

HENRY = "HENRY-HUB-PRICE"
BID6 = 2_999_000_000  # below the seeded best ask: rests


@pytest.fixture(scope="module")
def stack(node_modules: Any) -> Iterator[DevnetStack]:
    with DevnetStack(wallets=3) as running:
        yield running


@pytest.fixture(scope="module")
def chain(stack: DevnetStack) -> Chain:
    return Chain(stack, connect(stack.rpc_url))


@pytest.fixture(scope="module")
def api(stack: DevnetStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.app_url, timeout=HTTP_TIMEOUT_S, trust_env=False) as client:
        yield client


@pytest.fixture()
def isolated(chain: Chain, stack: DevnetStack) -> Iterator[None]:
    snapshot = chain.rpc("evm_snapshot")
    try:
        yield
    finally:
        stack.fault_plan.clear()
        chain.rpc("evm_setAutomine", True)
        assert chain.rpc("evm_revert", snapshot) is True


@pytest.fixture()
def wallet(stack: DevnetStack, isolated: None) -> WalletEntry:
    return stack.wallets.wallets[0]


@pytest.fixture()
def other(stack: DevnetStack) -> WalletEntry:
    return stack.wallets.wallets[1]


@pytest.fixture(scope="module")
def waiting(stack: DevnetStack) -> Iterator[Starlette]:
    """A second relay over the same devnet, told to wait for mining (GASLESS_TRADE_WAIT_CONFIRMS)."""
    app = make_relay_app(stack.deployment, relayer_keys=default_relayer_keys(), wait_for_mined=True)
    try:
        yield app
    finally:
        app.state.relay.chain.close()


def post_to(app: Starlette, path: str, body: Any) -> httpx.Response:
    """POST to an in-process app (in its own event loop, so threads may call it at once)."""

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://relay", timeout=60) as client:
            return await client.post(path, json=body)

    return anyio.run(post)


def empty_side(chain: Chain, symbol: str, *, bids: bool) -> None:
    """Cancel the maker's resting orders of one side of `symbol`."""
    book = chain.book(symbol)
    for order_id in book.functions.getUserOrders(chain.maker).call():
        if chain.order(int(order_id), symbol)["isBuy"] is bids:
            send_as(chain.w3, chain.maker, book.functions.cancelOrder(order_id))


# --- 1. the trade answer ---------------------------------------------------------------------------


def test_a_trade_is_answered_pending_and_never_with_an_order_id(
    api: httpx.Client, chain: Chain, wallet: WalletEntry
) -> None:
    session_id = open_session(api, chain, wallet)
    body = trade_body(chain, "sessionPlaceMarginLimit", session_id, **limit(wallet.address, BID6, UNIT, True))
    answer = api.post(TRADE, json=body)
    assert answer.status_code == 200 and set(answer.json()) == {"txHash", "pending"}
    assert answer.json()["pending"] is True
    (placed,) = logged(chain, answer.json()["txHash"], "OrderPlaced")  # what a client reads instead
    assert placed["trader"] == wallet.address and chain.orders(wallet.address) == [placed["orderId"]]

    market = trade_body(
        chain,
        "sessionPlaceMarginMarket",
        session_id,
        trader=wallet.address,
        amount=str(UNIT // 10),
        isBuy=True,
    )
    reply = api.post(TRADE, json=market).json()
    assert set(reply) == {"txHash", "pending"}, "a market order's answer names no filled amount"


def test_a_waiting_relay_answers_mined_and_a_mined_revert_is_tx_reverted(
    api: httpx.Client, chain: Chain, wallet: WalletEntry, waiting: Starlette
) -> None:
    expiry = chain.now() + 120
    session_id = open_session(api, chain, wallet, expiry=expiry)
    body = trade_body(chain, "sessionPlaceMarginLimit", session_id, **limit(wallet.address, BID6, UNIT, True))
    answer = post_to(waiting, TRADE, body)
    assert answer.status_code == 200, answer.text
    reply = answer.json()
    assert set(reply) == {"txHash", "blockNumber", "mined"} and reply["mined"] is True
    assert reply["blockNumber"] == chain.w3.eth.get_transaction_receipt(reply["txHash"])["blockNumber"]
    assert logged(chain, reply["txHash"], "OrderPlaced")[0]["trader"] == wallet.address

    # the next trade passes every check and is sent; it is mined in a block past the session's
    # expiry, so it reverts on chain: 500 tx_reverted, not a refusal
    chain.rpc("evm_setAutomine", False)
    with ThreadPoolExecutor(max_workers=1) as pool:
        relayed = pool.submit(post_to, waiting, TRADE, body)
        deadline = time.monotonic() + HTTP_TIMEOUT_S
        while int(str(chain.rpc("txpool_status")["pending"]), 0) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        chain.rpc("evm_setNextBlockTimestamp", expiry + 60)
        chain.rpc("evm_mine")
        answer = relayed.result()
    chain.rpc("evm_setAutomine", True)
    assert answer.status_code == 500, answer.text
    reverted = answer.json()
    assert set(reverted) == {"error", "txHash", "blockNumber"} and reverted["error"] == "tx_reverted"
    receipt = chain.w3.eth.get_transaction_receipt(reverted["txHash"])
    assert receipt["status"] == 0 and receipt["blockNumber"] == reverted["blockNumber"]
    assert classify(reverted) is ErrorCode.TX_REVERTED and len(chain.orders(wallet.address)) == 1


# --- 2. the error table -----------------------------------------------------------------------------


def test_request_shape_errors(api: httpx.Client, chain: Chain, wallet: WalletEntry) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)
    good = trade_body(chain, "sessionPlaceMarginLimit", session_id, **limit(trader, BID6, UNIT, True))
    params = good["params"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "orderBook": "0xnope"}, "invalid orderBook"),
        ({**good, "orderBook": chain.stack.deployment.registry}, "invalid_orderBook"),
        ({**good, "method": "sessionTransferAll"}, "method not allowed"),
        ({**good, "method": "sessionPlaceLimit"}, "method not allowed"),
        ({**good, "method": "sessionPlaceMarket"}, "method not allowed"),
        ({k: v for k, v in good.items() if k != "sessionId"}, "missing payload"),
        ({**good, "sessionId": "0x12"}, "invalid_session_id"),
        ({**good, "params": {**params, "trader": "0x12"}}, "invalid_trader"),
        ({**good, "params": {k: v for k, v in params.items() if k != "price"}}, "missing_price"),
        ({**good, "params": {k: v for k, v in params.items() if k != "amount"}}, "missing_amount"),
        ({**good, "params": {**params, "price": "0"}}, "price_must_be_gt_0"),
        ({**good, "params": {**params, "amount": "0"}}, "amount_must_be_gt_0"),
    ]
    for body, code in cases:
        reply = rejected(api, chain, trader, TRADE, body)
        assert reply["error"] == code, (code, reply)
        assert classify(reply) is not None, code
    assert rejected(api, chain, trader, TRADE, {**good, "orderBook": "0x" + "44" * 20}) == {
        "error": "orderbook_not_deployed",
        "orderBook": "0x" + "44" * 20,
    }


def _capped(chain: Chain, trader: str, **caps: int) -> dict[str, Any]:
    deployment = chain.stack.deployment
    return {
        "trader": trader,
        "relayer_set_root": deployment.relayer_set_root,
        "expiry": chain.now() + 3600,
        "nonce": int(chain.registry.functions.metaNonce(trader).call()),
        "allowed_markets": [m.market_id_bytes32 for m in deployment.markets],
        **caps,
    }


def test_session_errors(api: httpx.Client, chain: Chain, wallet: WalletEntry, other: WalletEntry) -> None:
    trader = wallet.address
    good = limit(trader, BID6, UNIT, True)

    def refused(session_id: str) -> dict[str, Any]:
        return rejected(
            api, chain, trader, TRADE, trade_body(chain, "sessionPlaceMarginLimit", session_id, **good)
        )

    assert refused("0x" + secrets.token_hex(32))["error"] == "session_unknown"
    stolen = refused(open_session(api, chain, other))
    assert (stolen["error"], stolen["expected"], stolen["got"]) == (
        "session_bad_trader",
        other.address,
        trader,
    )

    revoked = open_session(api, chain, wallet)
    chain.rpc("anvil_setBalance", trader, hex(10**18))
    send_as(chain.w3, trader, chain.registry.functions.revokeSession(revoked, []))
    assert refused(revoked)["error"] == "session_revoked"

    short = open_session(api, chain, wallet, expiry=chain.now() + 5)
    chain.rpc("evm_increaseTime", 10)
    chain.rpc("evm_mine")
    assert refused(short)["error"] == "session_expired"

    cancel_only = open_session(api, chain, wallet, methods=MethodBit.CANCEL_ORDER)
    assert refused(cancel_only)["error"] == "session_method_denied"
    foreign = open_session(api, chain, wallet, root=relayer_set_root([address_of(dev_key(9))]))
    assert refused(foreign)["error"] == "session_bad_relayer"

    for caps, code in (
        ({"max_notional_per_trade": 1_000 * 10**6}, "session_trade_cap"),
        ({"max_notional_per_session": 5_000 * 10**6}, "session_session_cap"),
    ):
        permit = build_session_permit(**_capped(chain, trader, **caps))
        init = api.post(SESSION_INIT, json=init_body(chain, permit, wallet.key))
        assert init.status_code == 200
        landed = [init.json()["txHash"]]
        if code == "session_session_cap":  # 2999 of 5000 used: the next 2999 passes the cap
            landed.append(
                sent(
                    api.post(
                        TRADE, json=trade_body(chain, "sessionPlaceMarginLimit", permit.session_id, **good)
                    )
                )
            )
        for tx_hash in landed:  # answered before they are mined: let them land before checking
            chain.w3.eth.wait_for_transaction_receipt(HexStr(tx_hash), timeout=HTTP_TIMEOUT_S)
        reply = refused(permit.session_id)
        assert reply["error"] == code and reply["notional6"] == str(BID6), reply
        assert classify(reply) in (ErrorCode.SESSION_TRADE_CAP, ErrorCode.SESSION_SESSION_CAP)


def test_the_collateral_check_adds_an_estimated_fee(
    api: httpx.Client, chain: Chain, wallet: WalletEntry
) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)
    available6 = chain.available(trader)
    price6 = 2_500_000_000  # ETH-USD reserves 10 % of a buy: this amount's margin is exactly available6
    amount18 = available6 * 4 * 10**9
    margin6 = int(chain.book().functions.marginFor(price6, amount18, True).call())
    assert margin6 == available6, "the chain alone would take this order"
    body = trade_body(chain, "sessionPlaceMarginLimit", session_id, **limit(trader, price6, amount18, True))
    reply = rejected(api, chain, trader, TRADE, body)
    fee6 = amount18 * price6 // 10**18 * DEFAULT_ESTIMATED_FEE_BPS // 10_000
    assert (
        reply["error"] == "insufficient_collateral" and classify(reply) is ErrorCode.INSUFFICIENT_COLLATERAL
    )
    assert (reply["available6"], reply["required6"]) == (str(available6), str(margin6 + fee6))
    assert reply["estimatedFee6"] == str(fee6) == str(available6 // 100)


def test_market_state_errors(api: httpx.Client, chain: Chain, wallet: WalletEntry) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)
    empty_side(chain, HENRY, bids=True)
    sell = trade_body(
        chain, "sessionPlaceMarginMarket", session_id, HENRY, trader=trader, amount=str(UNIT), isBuy=False
    )
    reply = rejected(api, chain, trader, TRADE, sell)
    assert (reply["error"], reply["side"]) == ("ob_no_liquidity_for_market", "sell")

    for method, extra in (
        ("sessionCancelOrder", {}),
        ("sessionModifyOrder", {"price": str(BID6), "amount": str(UNIT)}),
    ):
        body = trade_body(chain, method, session_id, trader=trader, orderId="987654", **extra)
        assert rejected(api, chain, trader, TRADE, body)["error"] == "order_not_found"


INJECTED = [
    (Fault.answer("ob_settled"), 400, None),
    (Fault.answer("vault_market_not_assigned"), 400, None),
    (Fault.answer("vault_market_assigned_to_other_orderbook"), 400, None),
    (Fault.answer("vault_orderbook_role_missing"), 400, None),
    (Fault.answer("margin_not_enabled"), 400, None),
    (Fault.answer("crosses_spot_liquidity", side="buy"), 400, None),
    (Fault.answer("rate_limit_exceeded"), 429, "10"),
    (Fault.answer("rate_limit_exceeded", retry_after_s=30), 429, "30"),
    (Fault.answer("service_temporarily_unavailable"), 503, "60"),
    (Fault.answer("all_relayers_insufficient_funds"), 503, "60"),
    (Fault.answer("relay failed"), 500, None),
    (Fault.answer("server misconfigured"), 500, None),
    (Fault(FaultKind.RATE_LIMITED), 429, "1"),
]


def test_injected_route_errors(
    api: httpx.Client, chain: Chain, stack: DevnetStack, wallet: WalletEntry
) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)
    body = trade_body(chain, "sessionPlaceMarginLimit", session_id, **limit(trader, BID6, UNIT, True))
    for fault, status, retry_after in INJECTED:
        stack.fault_plan.add(TRADE, fault)
        answer = api.post(TRADE, json=body)
        assert answer.status_code == status and answer.headers.get("retry-after") == retry_after, fault
        reply = answer.json()
        assert reply["error"] == (fault.error or "rate_limit_exceeded")
        if status == 503:
            assert reply["retryAfter"] == 60
        if fault.error == "crosses_spot_liquidity":
            assert reply["side"] == "buy"
        assert classify(reply, status=status) is not None, fault
    assert chain.orders(trader) == [], "no injected error sent the trade"
    stack.fault_plan.add(TRADE, Fault.answer("relay failed", after_submit=True))
    assert api.post(TRADE, json=body).status_code == 500
    assert len(chain.orders(trader)) == 1, "an error after sending leaves the trade landed"


def test_relayers_without_gas_money_answer_503(api: httpx.Client, chain: Chain, wallet: WalletEntry) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)
    for relayer in chain.stack.deployment.relayers:
        chain.rpc("anvil_setBalance", relayer, "0x0")
    body = trade_body(chain, "sessionPlaceMarginLimit", session_id, **limit(trader, BID6, UNIT, True))
    answer = api.post(TRADE, json=body)
    assert answer.status_code == 503 and answer.headers["retry-after"] == "60", answer.text
    assert answer.json()["error"] == "all_relayers_insufficient_funds" and chain.orders(trader) == []
    init = api.post(SESSION_INIT, json=init_body(chain, permit_for(chain, trader), wallet.key))
    assert init.status_code == 503 and init.json()["error"] == "all_relayers_insufficient_funds"


def test_session_init_errors_carry_their_facts(api: httpx.Client, chain: Chain, wallet: WalletEntry) -> None:
    trader = wallet.address
    forged = rejected(
        api, chain, trader, SESSION_INIT, init_body(chain, permit_for(chain, trader), dev_key(9))
    )
    assert (forged["error"], forged["recovered"], forged["expected"]) == (
        "bad_sig",
        address_of(dev_key(9)),
        trader,
    )
    ahead = rejected(
        api, chain, trader, SESSION_INIT, init_body(chain, permit_for(chain, trader, nonce=3), wallet.key)
    )
    assert (ahead["error"], ahead["expected"], ahead["got"]) == (
        "bad_nonce",
        "0",
        "3",
    ) and "expectedNonce" not in ahead
    past = permit_for(chain, trader, expiry=chain.now() - 10)
    assert (
        rejected(api, chain, trader, SESSION_INIT, init_body(chain, past, wallet.key))["error"] == "expired"
    )


# --- 3. the markets listing -------------------------------------------------------------------------


def test_markets_list_undeployed_rows_unless_asked_for_active(api: httpx.Client) -> None:
    (pending,) = UNDEPLOYED_MARKETS
    every = api.get(MARKETS).json()
    rows = {row["symbol"]: row for row in every["markets"]}
    assert every["pagination"]["total"] == 4 and rows[pending.symbol]["market_status"] == "PENDING"
    assert (
        rows[pending.symbol]["market_address"] is None and rows[pending.symbol]["market_id_bytes32"] is None
    )
    assert all(rows[s]["market_address"] for s in rows if s != pending.symbol)
    active = api.get(MARKETS, params={"status": "ACTIVE"}).json()["markets"]
    assert pending.symbol not in {row["symbol"] for row in active} and len(active) == 3
    assert api.get(ORDERBOOK, params={"symbol": pending.symbol}).status_code == 404


# --- 4. the live order book's nulls -----------------------------------------------------------------


def test_book_reads_that_time_out_are_null(api: httpx.Client, stack: DevnetStack, isolated: None) -> None:
    stack.fault_plan.add(ORDERBOOK, FaultKind.BOOK_READS_TIMED_OUT)
    data = api.get(ORDERBOOK, params={"symbol": ETH}).json()["data"]
    assert data["depth"] is None and data["recentTrades"] is None
    assert data["bestBid"] > 0 and data["bestAsk"] > 0 and data["activeBuyOrders"] == 5
    again = api.get(ORDERBOOK, params={"symbol": ETH}).json()["data"]
    assert again["depth"] is not None and again["recentTrades"] == []


class _ScriptedNode:
    """Answers the live book's one Multicall3 read from a table of outputs (None: that read fails)."""

    def __init__(self, outputs: dict[bytes, bytes | None]) -> None:
        self.outputs = outputs

    def block(self, number: int | str = "latest") -> dict[str, Any]:
        return {"number": "0x20", "timestamp": hex(1_700_000_000), "hash": "0x" + "ab" * 32}

    def request(self, method: str, params: Any = ()) -> Any:
        assert method == "eth_getLogs"
        return []

    def call(self, to: str, data: bytes, *, sender: str | None = None, block: int | str = "latest") -> bytes:
        (calls,) = abi_decode(["(address,bool,bytes)[]"], data[4:])
        results = []
        for _, _, payload in calls:
            output = self.outputs.get(bytes(payload[:4]))
            results.append((output is not None, output or b""))
        return abi_encode(["(bool,bytes)[]"], [results])


def _live_book(outputs: dict[bytes, bytes | None]) -> dict[str, Any]:
    book, vault = "0x" + "11" * 20, "0x" + "22" * 20
    market = DevnetMarket("ZERO-USD", book, "0x" + "33" * 32, 10_000, 1_000, 1_000_000)
    deployment = DevnetDeployment(
        rpc_url="http://unused",
        chain_id=31337,
        deployer=vault,
        registry=vault,
        vault=vault,
        multicall=vault,
        relayers=(),
        relayer_set_root="0x" + "00" * 32,
        markets=(market,),
    )
    node = cast(JsonRpc, _ScriptedNode(outputs))
    return read_live_book(node, deployment, market, TradeTape(book, vault, market.market_id_bytes32), 10)


def test_a_last_trade_price_of_zero_and_failed_reads_are_null() -> None:
    def uints(*values: int) -> bytes:
        return abi_encode(["uint256"] * len(values), list(values))

    outputs: dict[bytes, bytes | None] = {
        BOOK.selector("getBestPrices"): uints(4_990_000, 5_010_000),
        BOOK.selector("lastTradePrice"): uints(0),
        BOOK.selector("totalTrades"): uints(0),
        BOOK.selector("getActiveOrdersCount"): uints(1, 1),
        BOOK.selector("getOrderBookDepth"): None,
        BOOK.selector("calculateMarkPrice")
        if BOOK.has("calculateMarkPrice")
        else VAULT.selector("getMarkPrice"): uints(0),
    }
    data = _live_book(outputs)
    assert data["lastTradePrice"] is None and data["depth"] is None
    assert (data["bestBid"], data["bestAsk"], data["markPrice"]) == (4.99, 5.01, 5.0)
    outputs[BOOK.selector("getActiveOrdersCount")] = None
    outputs[BOOK.selector("lastTradePrice")] = uints(4_990_000)
    data = _live_book(outputs)
    assert data["lastTradePrice"] == 4.99 and data["activeBuyOrders"] is None


# --- 5. bodies are capped before they are read; every answer is JSON ----------------------------------


@pytest.fixture()
def chain_free_app() -> Iterator[Starlette]:
    """The relay app over a deployment with no node behind it (nothing here reaches the chain)."""
    key = dev_key(1)
    deployment = DevnetDeployment(
        rpc_url="http://127.0.0.1:9",  # nothing listens: a test that reached the chain would fail
        chain_id=31337,
        deployer="0x" + "01" * 20,
        registry="0x" + "02" * 20,
        vault="0x" + "03" * 20,
        multicall="0x" + "04" * 20,
        relayers=(address_of(key),),
        relayer_set_root="0x" + "00" * 32,
        markets=(),
    )
    app = make_relay_app(deployment, relayer_keys=[key])
    try:
        yield app
    finally:
        app.state.relay.chain.close()


def _post_streamed(app: Starlette, path: str, total: int, *, declare: bool) -> tuple[int, bytes, int]:
    """POST a body of `total` bytes in 16 KiB chunks made on demand: (status, body, chunks read)."""
    chunk = b" " * 16_384
    read = 0
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> MutableMapping[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read * len(chunk) < total}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    headers = [(b"content-type", b"application/json")]
    if declare:
        headers.append((b"content-length", str(total).encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "root_path": "",
    }

    async def serve() -> None:
        await app(scope, receive, send)

    anyio.run(serve)
    return answer["status"], answer["body"], read


HUGE = 300 * 1024 * 1024


@pytest.mark.parametrize("route", [TRADE, SESSION_INIT])
def test_a_huge_body_is_refused_before_it_is_read(chain_free_app: Starlette, route: str) -> None:
    status, body, read = _post_streamed(chain_free_app, route, HUGE, declare=True)
    assert status == 413 and b"payload_too_large" in body and read == 0
    status, body, read = _post_streamed(chain_free_app, route, HUGE, declare=False)
    assert status == 413 and read * 16_384 <= MAX_BODY_BYTES + 16_384, f"read {read} chunks of a huge body"


def test_unknown_routes_and_wrong_methods_answer_json(chain_free_app: Starlette) -> None:
    async def ask(method: str, path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=chain_free_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://relay") as client:
            return await client.request(method, path)

    missing = anyio.run(ask, "GET", "/api/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = anyio.run(ask, "GET", TRADE)
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
    assert "POST" in wrong.headers["allow"] and classify(wrong.json()) is None
    assert anyio.run(ask, "DELETE", MARKETS).headers["content-type"].startswith("application/json")


def test_the_served_relay_refuses_a_declared_huge_body(stack: DevnetStack) -> None:
    host, port = stack.app_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=HTTP_TIMEOUT_S) as sock:
        head = (
            f"POST {TRADE} HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
            f"Content-Length: {HUGE}\r\n\r\n"
        )
        sock.sendall(head.encode())  # the body never comes: the answer must not wait for it
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            piece = sock.recv(4096)
            if not piece:
                break
            answer += piece
    assert answer.startswith(b"HTTP/1.1 413") and b"payload_too_large" in answer
