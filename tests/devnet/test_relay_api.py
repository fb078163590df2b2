"""The relay API over a seeded devnet, driven the way the production adapter will drive it:
httpx against the routes, permits built and signed by ama_tui.protocol, facts read from the chain.

One DevnetStack (no background takers, so the chain only moves when a test moves it) serves the
whole module; every test runs between evm_snapshot and evm_revert.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from eth_typing import HexStr
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from ama_tui.core.keys import PrivateKey
from ama_tui.devnet.deploy import DevnetMarket, connect, contract, market_order_as, send_as
from ama_tui.devnet.node import dev_key
from ama_tui.devnet.relay import ORDERBOOK, SESSION_INIT, TRADE, Fault, FaultKind
from ama_tui.devnet.stack import DevnetStack
from ama_tui.protocol.abi import ORDER_FIELDS_V10
from ama_tui.protocol.accounts import address_of
from ama_tui.protocol.errors import ErrorCode, classify
from ama_tui.protocol.methods import ALL_METHODS, MethodBit, Methods
from ama_tui.protocol.permits import SessionPermit, build_session_permit, sign_session_permit
from ama_tui.protocol.relayers import relayer_set_root
from ama_tui.store.wallets_csv import WalletEntry

pytestmark = pytest.mark.devnet

UNIT = 10**18
HTTP_TIMEOUT_S = 15.0
ETH = "ETH-USD"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass
class Chain:
    """Direct chain reads, to check what the API says and did."""

    stack: DevnetStack
    w3: Web3

    def book(self, symbol: str = ETH) -> Contract:
        return contract(self.w3, "OrderBook", self.stack.deployment.market(symbol).order_book)

    @property
    def vault(self) -> Contract:
        return contract(self.w3, "CoreVault", self.stack.deployment.vault)

    @property
    def registry(self) -> Contract:
        return contract(self.w3, "SessionRegistry", self.stack.deployment.registry)

    def market(self, symbol: str = ETH) -> DevnetMarket:
        return self.stack.deployment.market(symbol)

    @property
    def maker(self) -> str:
        assert self.stack.seeded is not None
        return self.stack.seeded.maker

    @property
    def taker(self) -> str:
        assert self.stack.seeded is not None
        return self.stack.seeded.taker

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def available(self, trader: str) -> int:
        return int(self.vault.functions.getAvailableCollateral(trader).call())

    def orders(self, trader: str, symbol: str = ETH) -> list[int]:
        return sorted(int(i) for i in self.book(symbol).functions.getUserOrders(trader).call())

    def order(self, order_id: int, symbol: str = ETH) -> dict[str, Any]:
        return dict(zip(ORDER_FIELDS_V10, self.book(symbol).functions.getOrder(order_id).call(), strict=True))

    def state(self, trader: str) -> tuple[Any, ...]:
        """What a rejected request must leave unchanged."""
        return (
            self.w3.eth.block_number,
            self.orders(trader),
            self.available(trader),
            int(self.registry.functions.metaNonce(trader).call()),
        )

    def rpc(self, method: str, *params: Any) -> Any:
        return self.w3.provider.make_request(method, list(params))["result"]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def stack(node_modules: Any) -> Iterator[DevnetStack]:
    with DevnetStack(wallets=3) as running:
        print(f"devnet stack ready in {running.startup_seconds:.1f} s")
        yield running


@pytest.fixture(scope="module")
def chain(stack: DevnetStack) -> Chain:
    return Chain(stack, connect(stack.rpc_url))


@pytest.fixture(scope="module")
def api(stack: DevnetStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.app_url, timeout=HTTP_TIMEOUT_S, trust_env=False) as client:
        yield client


@pytest.fixture(autouse=True)
def isolated(chain: Chain, stack: DevnetStack) -> Iterator[None]:
    snapshot = chain.rpc("evm_snapshot")
    try:
        yield
    finally:
        stack.fault_plan.clear()
        assert chain.rpc("evm_revert", snapshot) is True


@pytest.fixture()
def wallet(stack: DevnetStack) -> WalletEntry:
    return stack.wallets.wallets[0]


@pytest.fixture()
def other(stack: DevnetStack) -> WalletEntry:
    return stack.wallets.wallets[1]


# --- helpers ------------------------------------------------------------------------------------


def permit_for(
    chain: Chain,
    trader: str,
    *,
    methods: Methods = ALL_METHODS,
    markets: list[str] | None = None,
    expiry: int | None = None,
    nonce: int | None = None,
    root: str | None = None,
) -> SessionPermit:
    deployment = chain.stack.deployment
    return build_session_permit(
        trader=trader,
        relayer_set_root=root or deployment.relayer_set_root,
        expiry=expiry if expiry is not None else chain.now() + 3600,
        nonce=nonce if nonce is not None else int(chain.registry.functions.metaNonce(trader).call()),
        allowed_markets=markets if markets is not None else [m.market_id_bytes32 for m in deployment.markets],
        methods=methods,
    )


def init_body(chain: Chain, permit: SessionPermit, key: PrivateKey) -> dict[str, Any]:
    deployment = chain.stack.deployment
    return {
        "orderBook": chain.market().order_book,
        "permit": permit.to_api_json(),
        "signature": sign_session_permit(key, deployment.chain_id, deployment.registry, permit),
    }


def open_session(api: httpx.Client, chain: Chain, wallet: WalletEntry, **permit_args: Any) -> str:
    permit = permit_for(chain, wallet.address, **permit_args)
    answer = api.post(SESSION_INIT, json=init_body(chain, permit, wallet.key))
    assert answer.status_code == 200, answer.text
    assert answer.json()["sessionId"] == permit.session_id
    return permit.session_id


def trade_body(
    chain: Chain, method: str, session_id: str, symbol: str = ETH, **params: Any
) -> dict[str, Any]:
    return {
        "orderBook": chain.market(symbol).order_book,
        "method": method,
        "sessionId": session_id,
        "params": params,
    }


def limit(trader: str, price6: int, amount18: int, is_buy: bool) -> dict[str, Any]:
    return {"trader": trader, "price": str(price6), "amount": str(amount18), "isBuy": is_buy}


def sent(answer: httpx.Response) -> str:
    """The txHash of a trade answered the way production answers by default: sent, not waited for."""
    assert answer.status_code == 200, answer.text
    reply = answer.json()
    assert set(reply) == {"txHash", "pending"} and reply["pending"] is True, reply
    assert reply["txHash"].startswith("0x") and len(reply["txHash"]) == 66
    return str(reply["txHash"])


def logged(chain: Chain, tx_hash: str, event: str, symbol: str = ETH) -> list[dict[str, Any]]:
    """The `event` logs of a sent trade (anvil mines on arrival, so its receipt is there)."""
    receipt = chain.w3.eth.wait_for_transaction_receipt(HexStr(tx_hash), timeout=HTTP_TIMEOUT_S)
    assert receipt["status"] == 1
    book = chain.book(symbol)
    return [
        dict(log["args"]) for log in getattr(book.events, event)().process_receipt(receipt, errors=DISCARD)
    ]


def place(
    api: httpx.Client, chain: Chain, session_id: str, trader: str, price6: int, amount18: int, is_buy: bool
) -> int:
    body = trade_body(chain, "sessionPlaceMarginLimit", session_id, **limit(trader, price6, amount18, is_buy))
    tx_hash = sent(api.post(TRADE, json=body))
    (placed,) = [e for e in logged(chain, tx_hash, "OrderPlaced") if e["trader"] == trader]
    return int(placed["orderId"])


def rejected(
    api: httpx.Client, chain: Chain, trader: str, route: str, body: Any, status: int = 400
) -> dict[str, Any]:
    """POST `body`, expect `status`, and check the chain did not move."""
    before = chain.state(trader)
    answer = api.post(route, json=body) if not isinstance(body, bytes) else api.post(route, content=body)
    assert answer.status_code == status, answer.text
    assert chain.state(trader) == before, "a rejected request changed the chain"
    reply = answer.json()
    assert isinstance(reply.get("error"), str)
    return dict(reply)


# --- markets ------------------------------------------------------------------------------------


def test_markets_lists_the_seeded_markets(api: httpx.Client, stack: DevnetStack) -> None:
    reply = api.get("/api/markets", params={"status": "ACTIVE"}).json()
    assert reply["success"] is True
    assert reply["pagination"] == {"limit": 100, "offset": 0, "total": 3}
    rows = {row["symbol"]: row for row in reply["markets"]}
    assert set(rows) == {"ETH-USD", "BTC-USD", "HENRY-HUB-PRICE"}
    for symbol, row in rows.items():
        market = stack.deployment.market(symbol)
        assert row["market_address"] == market.order_book
        assert row["market_id_bytes32"] == market.market_id_bytes32
        assert row["market_identifier"] == symbol
        assert row["chain_id"] == stack.deployment.chain_id == 31337
        assert row["market_status"] == "ACTIVE"
        assert row["decimals"] == 6
        assert row["name"]
    assert (rows["ETH-USD"]["tick_size"], rows["ETH-USD"]["initial_price"]) == (0.01, 3000.0)
    assert (rows["BTC-USD"]["tick_size"], rows["BTC-USD"]["initial_price"]) == (1.0, 60000.0)
    assert (rows["HENRY-HUB-PRICE"]["tick_size"], rows["HENRY-HUB-PRICE"]["initial_price"]) == (0.01, 5.0)


def _symbols(api: httpx.Client, **query: Any) -> tuple[list[str], dict[str, int]]:
    reply = api.get("/api/markets", params=query).json()
    assert reply["success"] is True
    return [row["symbol"] for row in reply["markets"]], reply["pagination"]


def test_markets_search_paging_and_filters(api: httpx.Client) -> None:
    assert _symbols(api, search="eth")[0] == ["ETH-USD"]
    assert _symbols(api, search="natural gas")[0] == ["HENRY-HUB-PRICE"]
    assert _symbols(api, symbol="btc-usd")[0] == ["BTC-USD"]
    assert sorted(_symbols(api, category="CRYPTO")[0]) == ["BTC-USD", "ETH-USD"]
    assert len(_symbols(api, status="active")[0]) == 3
    assert _symbols(api, status="pending")[0] == ["GOLD-USD"]
    assert _symbols(api, status="SETTLED") == ([], {"limit": 100, "offset": 0, "total": 0})

    first, page = _symbols(api, limit=3)
    second, page2 = _symbols(api, limit=3, offset=3)
    assert (len(first), len(second)) == (3, 1) and not set(first) & set(second)
    assert page == {"limit": 3, "offset": 0, "total": 4} and page2 == {"limit": 3, "offset": 3, "total": 4}

    for bad in ({"limit": 0}, {"limit": "ten"}, {"offset": -1}):
        answer = api.get("/api/markets", params=bad)
        assert answer.status_code == 400 and answer.json()["success"] is False


# --- order book ---------------------------------------------------------------------------------


def test_orderbook_live_matches_the_chain(api: httpx.Client, chain: Chain) -> None:
    for symbol in ("ETH-USD", "BTC-USD", "HENRY-HUB-PRICE"):
        market = chain.market(symbol)
        bid_p, bid_a, ask_p, ask_a = chain.book(symbol).functions.getOrderBookDepth(3).call()
        for query in (
            {"symbol": symbol},
            {"orderBookAddress": market.order_book.lower()},
            {"marketIdBytes32": market.market_id_bytes32},
        ):
            reply = api.get(ORDERBOOK, params={**query, "levels": 3}).json()
            assert reply["ok"] is True and reply["fromCache"] is False and reply["cacheAgeMs"] == 0
            data = reply["data"]
            assert data["orderBookAddress"] == market.order_book
            assert data["depth"] == {
                "bidPrices": [p / 1e6 for p in bid_p],
                "bidAmounts": [a / 1e18 for a in bid_a],
                "askPrices": [p / 1e6 for p in ask_p],
                "askAmounts": [a / 1e18 for a in ask_a],
            }
            assert len(data["depth"]["bidPrices"]) == 3
            assert data["bestBid"] == bid_p[0] / 1e6 and data["bestAsk"] == ask_p[0] / 1e6
            assert (data["activeBuyOrders"], data["activeSellOrders"]) == (5, 5)
            assert data["markPrice"] == market.initial_price6 / 1e6
            assert (data["totalTrades"], data["recentTrades"]) == (0, [])
    default = api.get(ORDERBOOK, params={"symbol": ETH}).json()["data"]["depth"]
    assert len(default["bidPrices"]) == 5  # the default of 10 levels, and the maker laid 5


def test_orderbook_live_errors(api: httpx.Client) -> None:
    missing = api.get(ORDERBOOK, params={"symbol": "DOGE-USD"})
    assert missing.status_code == 404 and missing.json()["ok"] is False and missing.json()["error"]
    unknown_book = api.get(ORDERBOOK, params={"orderBookAddress": "0x" + "11" * 20})
    assert unknown_book.status_code == 404
    for levels in ("0", "26", "many"):
        answer = api.get(ORDERBOOK, params={"symbol": ETH, "levels": levels})
        assert answer.status_code == 400 and answer.json()["ok"] is False
    assert api.get(ORDERBOOK).status_code == 400


def test_an_empty_side_reads_zero(api: httpx.Client, chain: Chain, stack: DevnetStack) -> None:
    maker = chain.maker
    book = chain.book("HENRY-HUB-PRICE")
    for order_id in book.functions.getUserOrders(maker).call():
        if chain.order(int(order_id), "HENRY-HUB-PRICE")["isBuy"]:
            send_as(chain.w3, maker, book.functions.cancelOrder(order_id))
    data = api.get(ORDERBOOK, params={"symbol": "HENRY-HUB-PRICE"}).json()["data"]
    assert data["bestBid"] == 0 and data["depth"]["bidPrices"] == [] and data["bestAsk"] == 5.02


# --- relayer set and nonce -----------------------------------------------------------------------


def test_relayer_set_and_nonce(api: httpx.Client, chain: Chain, wallet: WalletEntry) -> None:
    relayers = api.get("/api/gasless/session/relayer-set").json()
    assert relayers["relayerAddresses"] == list(chain.stack.deployment.relayers)
    assert relayers["relayerSetRoot"] == relayer_set_root(relayers["relayerAddresses"])
    assert relayers["relayerSetRoot"] == chain.stack.deployment.relayer_set_root

    nonce = api.get("/api/gasless/session/nonce", params={"trader": wallet.address.lower()})
    assert nonce.status_code == 200 and nonce.json() == {"nonce": "0"}
    open_session(api, chain, wallet)
    assert api.get("/api/gasless/session/nonce", params={"trader": wallet.address}).json() == {"nonce": "1"}

    for bad in ({"trader": "0x1234"}, {"trader": "not-an-address"}, {}):
        answer = api.get("/api/gasless/session/nonce", params=bad)
        assert answer.status_code == 400 and answer.json()["error"]


# --- the happy path ------------------------------------------------------------------------------


def test_session_place_modify_cancel_reserve_and_release_margin(
    api: httpx.Client, chain: Chain, wallet: WalletEntry
) -> None:
    trader = wallet.address
    book = chain.book()
    funds = chain.available(trader)
    assert funds == 100_000 * 10**6

    permit = permit_for(chain, trader)
    answer = api.post(SESSION_INIT, json=init_body(chain, permit, wallet.key))
    assert answer.status_code == 200, answer.text
    created = answer.json()
    assert created["sessionId"] == permit.session_id
    assert created["txHash"].startswith("0x") and created["blockNumber"] == chain.w3.eth.block_number
    session = chain.registry.functions.sessions(permit.session_id).call()
    assert session[0] == trader and session[-1] is False  # not revoked

    price6, amount18 = 2_999_000_000, 3 * UNIT // 2
    order_id = place(api, chain, permit.session_id, trader, price6, amount18, True)
    assert chain.orders(trader) == [order_id]
    order = chain.order(order_id)
    margin = int(book.functions.marginFor(price6, amount18, True).call())
    assert (order["trader"], order["price"], order["amount"], order["isBuy"]) == (
        trader,
        price6,
        amount18,
        True,
    )
    assert (order["marginRequired"], order["isMarginOrder"]) == (margin, True)
    assert chain.available(trader) == funds - margin

    body = trade_body(
        chain,
        "sessionModifyOrder",
        permit.session_id,
        trader=trader,
        orderId=str(order_id),
        price=str(2_998_500_000),
        amount=str(UNIT),
    )
    (modification,) = logged(chain, sent(api.post(TRADE, json=body)), "OrderModified")
    new_id = int(modification["newOrderId"])
    assert new_id != order_id and chain.orders(trader) == [new_id]
    assert chain.order(order_id)["trader"] == ZERO_ADDRESS
    new_margin = int(book.functions.marginFor(2_998_500_000, UNIT, True).call())
    assert chain.order(new_id)["price"] == 2_998_500_000
    assert chain.available(trader) == funds - new_margin

    sell_id = place(api, chain, permit.session_id, trader, 3_000_250_000, UNIT, False)  # inside the spread
    sell_margin = int(book.functions.marginFor(3_000_250_000, UNIT, False).call())
    assert sell_margin == 3_000_250_000 * 15_000 // 10_000
    assert chain.available(trader) == funds - new_margin - sell_margin

    for cancel_id in (new_id, sell_id):
        body = trade_body(chain, "sessionCancelOrder", permit.session_id, trader=trader, orderId=cancel_id)
        (cancelled,) = logged(chain, sent(api.post(TRADE, json=body)), "OrderCancelled")
        assert cancelled["orderId"] == cancel_id
    assert chain.orders(trader) == []
    assert chain.available(trader) == funds


def test_a_fill_from_a_direct_market_order(
    api: httpx.Client, chain: Chain, stack: DevnetStack, wallet: WalletEntry
) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)
    bid6 = 2_999_750_000  # better than the maker's 2999.50 best bid
    order_id = place(api, chain, session_id, trader, bid6, 2 * UNIT, True)
    taker = chain.taker

    receipt = market_order_as(stack.deployment, ETH, taker, UNIT // 2, False)
    trades = chain.book().events.TradeExecutionCompleted().process_receipt(receipt, errors=DISCARD)
    assert [
        (t["args"]["buyer"], t["args"]["seller"], t["args"]["price"], t["args"]["amount"]) for t in trades
    ] == [(trader, taker, bid6, UNIT // 2)]
    book = chain.book().functions
    assert int(book.getFilledAmount(order_id).call()) == UNIT // 2
    assert chain.order(order_id)["amount"] == 3 * UNIT // 2
    assert int(book.getUserPosition(trader).call()) == UNIT // 2

    data = api.get(ORDERBOOK, params={"symbol": ETH}).json()["data"]
    assert data["totalTrades"] == 1 and data["lastTradePrice"] == 2999.75 and data["bestBid"] == 2999.75
    assert data["openInterest"] == 0.5 and data["volume24h"] == pytest.approx(2999.75 * 0.5)
    (recent,) = data["recentTrades"]
    assert (recent["price"], recent["amount"], recent["buyer"], recent["seller"]) == (
        2999.75,
        0.5,
        trader,
        taker,
    )
    assert recent["txHash"] == "0x" + bytes(receipt["transactionHash"]).hex()


def test_a_market_order_through_the_relay(api: httpx.Client, chain: Chain, wallet: WalletEntry) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)
    body = trade_body(
        chain, "sessionPlaceMarginMarket", session_id, trader=trader, amount=str(UNIT // 10), isBuy=True
    )
    fills = logged(chain, sent(api.post(TRADE, json=body)), "TradeExecutionCompleted")
    assert sum(fill["amount"] for fill in fills) == UNIT // 10 and {f["buyer"] for f in fills} == {trader}
    assert int(chain.book().functions.getUserPosition(trader).call()) == UNIT // 10


def test_concurrent_trades_get_distinct_nonces(api: httpx.Client, chain: Chain, wallet: WalletEntry) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)
    prices = [2_990_000_000 - i * 10_000 for i in range(8)]

    def one(price6: int) -> httpx.Response:
        body = trade_body(
            chain, "sessionPlaceMarginLimit", session_id, **limit(trader, price6, UNIT // 10, True)
        )
        return api.post(TRADE, json=body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(one, prices))
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers if a.status_code != 200]
    ids = {int(logged(chain, sent(a), "OrderPlaced")[0]["orderId"]) for a in answers}
    assert len(ids) == 8 and chain.orders(trader) == sorted(ids)
    assert sorted(chain.order(i)["price"] for i in ids) == sorted(prices)


def _nothing_queued(chain: Chain) -> bool:
    """No relayer transaction waits in the node's pool (a nonce gap would strand one there)."""
    return all(
        chain.w3.eth.get_transaction_count(relayer, "pending") == chain.w3.eth.get_transaction_count(relayer)
        for relayer in chain.stack.deployment.relayers
    )


def test_refused_and_reverted_trades_leave_no_nonce_gap(
    api: httpx.Client, chain: Chain, wallet: WalletEntry
) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)
    place(api, chain, session_id, trader, 2_990_000_000, UNIT // 10, True)
    balances = {r: chain.w3.eth.get_balance(r) for r in chain.stack.deployment.relayers}
    for relayer in balances:  # the node refuses what the relayers cannot pay for
        chain.rpc("anvil_setBalance", relayer, "0x0")
    body = trade_body(
        chain, "sessionPlaceMarginLimit", session_id, **limit(trader, 2_980_000_000, UNIT, True)
    )
    assert api.post(TRADE, json=body).status_code == 503
    for relayer, balance in balances.items():
        chain.rpc("anvil_setBalance", relayer, hex(balance))
    unknown = trade_body(
        chain, "sessionPlaceMarginLimit", "0x" + "11" * 32, **limit(trader, 2_980_000_000, 1, True)
    )
    assert api.post(TRADE, json=unknown).status_code == 400  # reverted in the pre-check: nothing sent
    ids = [
        place(api, chain, session_id, trader, 2_970_000_000 - i * 10_000, UNIT // 10, True) for i in range(4)
    ]
    assert len(set(ids)) == 4 and _nothing_queued(chain)


def test_trades_land_after_the_chain_is_reverted(
    api: httpx.Client, chain: Chain, wallet: WalletEntry
) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)
    snapshot = chain.rpc("evm_snapshot")
    for i in range(3):  # both relayers' nonces move on, then go back with the chain
        place(api, chain, session_id, trader, 2_990_000_000 - i * 10_000, UNIT // 10, True)
    assert chain.rpc("evm_revert", snapshot) is True and chain.orders(trader) == []
    place(api, chain, session_id, trader, 2_950_000_000, UNIT // 10, True)
    place(api, chain, session_id, trader, 2_940_000_000, UNIT // 10, True)
    assert len(chain.orders(trader)) == 2 and _nothing_queued(chain)


# --- session init errors -------------------------------------------------------------------------


def test_session_init_errors_change_nothing(api: httpx.Client, chain: Chain, wallet: WalletEntry) -> None:
    trader = wallet.address
    permit = permit_for(chain, trader)
    forged = init_body(chain, permit, dev_key(9))
    assert rejected(api, chain, trader, SESSION_INIT, forged)["error"] == "bad_sig"

    tampered = init_body(chain, permit, wallet.key)
    tampered["permit"]["maxNotionalPerTrade"] = "5"
    assert rejected(api, chain, trader, SESSION_INIT, tampered)["error"] == "bad_sig"

    ahead = permit_for(chain, trader, nonce=1)
    reply = rejected(api, chain, trader, SESSION_INIT, init_body(chain, ahead, wallet.key))
    assert reply["error"] == "bad_nonce" and (reply["expected"], reply["got"]) == ("0", "1")
    assert classify(reply) is ErrorCode.BAD_NONCE

    past = permit_for(chain, trader, expiry=chain.now() - 1)
    reply = rejected(api, chain, trader, SESSION_INIT, init_body(chain, past, wallet.key))
    assert reply["error"] == "expired" and classify(reply) is ErrorCode.EXPIRED


def test_malformed_session_init_bodies(api: httpx.Client, chain: Chain, wallet: WalletEntry) -> None:
    trader = wallet.address
    good = init_body(chain, permit_for(chain, trader), wallet.key)
    missing_field = {**good, "permit": {k: v for k, v in good["permit"].items() if k != "nonce"}}
    float_expiry = {**good, "permit": {**good["permit"], "expiry": 1.5}}
    missing = rejected(api, chain, trader, SESSION_INIT, {k: v for k, v in good.items() if k != "permit"})
    assert missing["error"] == "missing payload"
    cases: list[Any] = [
        b"{not json",
        b"[1, 2]",
        missing_field,
        float_expiry,
        {**good, "signature": "0x1234"},
        {**good, "orderBook": "nope"},
    ]
    for body in cases:
        reply = rejected(api, chain, trader, SESSION_INIT, body)
        assert reply["error"] == "invalid_request" and reply["message"], reply
        assert classify(reply) is None
    assert "nonce" in rejected(api, chain, trader, SESSION_INIT, missing_field)["message"]
    unknown_book = {**good, "orderBook": "0x" + "22" * 20}
    assert rejected(api, chain, trader, SESSION_INIT, unknown_book)["error"] == "unknown_market"


# --- trade errors -------------------------------------------------------------------------------


def test_trade_session_errors_change_nothing(
    api: httpx.Client, chain: Chain, wallet: WalletEntry, other: WalletEntry
) -> None:
    trader = wallet.address
    good = limit(trader, 2_999_000_000, UNIT, True)

    unknown = trade_body(chain, "sessionPlaceMarginLimit", "0x" + secrets.token_hex(32), **good)
    assert rejected(api, chain, trader, TRADE, unknown)["error"] == "session_unknown"

    others_session = open_session(api, chain, other)
    stolen = trade_body(chain, "sessionPlaceMarginLimit", others_session, **good)
    reply = rejected(api, chain, trader, TRADE, stolen)
    assert (reply["error"], reply["expected"], reply["got"]) == ("session_bad_trader", other.address, trader)

    cancel_only = open_session(api, chain, wallet, methods=MethodBit.CANCEL_ORDER)
    denied = trade_body(chain, "sessionPlaceMarginLimit", cancel_only, **good)
    assert rejected(api, chain, trader, TRADE, denied)["error"] == "session_method_denied"

    foreign_root = relayer_set_root([address_of(dev_key(9))])
    other_relayers = open_session(api, chain, wallet, root=foreign_root)
    bad_relayer = trade_body(chain, "sessionPlaceMarginLimit", other_relayers, **good)
    assert rejected(api, chain, trader, TRADE, bad_relayer)["error"] == "session_bad_relayer"

    short = open_session(api, chain, wallet, expiry=chain.now() + 5)
    chain.rpc("evm_increaseTime", 10)
    chain.rpc("evm_mine")
    expired = trade_body(chain, "sessionPlaceMarginLimit", short, **good)
    reply = rejected(api, chain, trader, TRADE, expired)
    assert reply["error"] == "session_expired" and classify(reply) is ErrorCode.SESSION_EXPIRED


def test_trade_order_errors_change_nothing(
    api: httpx.Client, chain: Chain, wallet: WalletEntry, other: WalletEntry
) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)

    huge = trade_body(
        chain, "sessionPlaceMarginLimit", session_id, **limit(trader, 2_999_000_000, 1_000 * UNIT, True)
    )
    reply = rejected(api, chain, trader, TRADE, huge)
    assert reply["error"] == "insufficient_collateral"
    assert reply["available6"] == str(chain.available(trader)) == str(100_000 * 10**6)
    margin = chain.book().functions.marginFor(2_999_000_000, 1_000 * UNIT, True).call()
    fee = 2_999_000 * 10**6 * 10 // 10_000  # 10 bps of the notional
    assert reply["required6"] == str(margin + fee) and int(reply["required6"]) > int(reply["available6"])

    unknown_method = trade_body(chain, "sessionTransferEverything", session_id, **limit(trader, 1, 1, True))
    assert rejected(api, chain, trader, TRADE, unknown_method)["error"] == "method not allowed"
    assert classify(rejected(api, chain, trader, TRADE, {**unknown_method, "method": None})) is (
        ErrorCode.METHOD_NOT_ALLOWED
    )

    no_price = trade_body(
        chain, "sessionPlaceMarginLimit", session_id, trader=trader, amount=str(UNIT), isBuy=True
    )
    assert rejected(api, chain, trader, TRADE, no_price)["error"] == "missing_price"
    modify_no_price = trade_body(
        chain, "sessionModifyOrder", session_id, trader=trader, orderId="1", amount="1"
    )
    assert rejected(api, chain, trader, TRADE, modify_no_price)["error"] == "missing_price"

    off_tick = trade_body(
        chain, "sessionPlaceMarginLimit", session_id, **limit(trader, 2_999_001_000, UNIT, True)
    )
    assert rejected(api, chain, trader, TRADE, off_tick)["error"] == "off_tick"
    zero = trade_body(chain, "sessionPlaceMarginLimit", session_id, **limit(trader, 2_999_000_000, 0, True))
    assert rejected(api, chain, trader, TRADE, zero)["error"] == "amount_must_be_gt_0"
    fractional = trade_body(
        chain, "sessionPlaceMarginLimit", session_id, **limit(trader, 2_999_000_000, 1, True)
    )
    fractional["params"]["price"] = "2999.5"
    assert rejected(api, chain, trader, TRADE, fractional)["error"] == "invalid_price"

    missing_order = trade_body(chain, "sessionCancelOrder", session_id, trader=trader, orderId="999999")
    assert rejected(api, chain, trader, TRADE, missing_order)["error"] == "order_not_found"
    makers_order = chain.orders(chain.maker)[0]
    not_mine = trade_body(chain, "sessionCancelOrder", session_id, trader=trader, orderId=str(makers_order))
    assert rejected(api, chain, trader, TRADE, not_mine)["error"] == "not_order_owner"

    empty_side = chain.book("HENRY-HUB-PRICE")
    maker = chain.maker
    for order_id in empty_side.functions.getUserOrders(maker).call():
        if not chain.order(int(order_id), "HENRY-HUB-PRICE")["isBuy"]:
            send_as(chain.w3, maker, empty_side.functions.cancelOrder(order_id))
    no_liq = trade_body(
        chain,
        "sessionPlaceMarginMarket",
        session_id,
        "HENRY-HUB-PRICE",
        trader=trader,
        amount="1",
        isBuy=True,
    )
    reply = rejected(api, chain, trader, TRADE, no_liq)
    assert (reply["error"], reply["side"]) == ("ob_no_liquidity_for_market", "buy")
    assert classify(reply) is ErrorCode.OB_NO_LIQUIDITY


def test_malformed_trade_bodies(api: httpx.Client, chain: Chain, wallet: WalletEntry) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)
    good = trade_body(
        chain, "sessionPlaceMarginLimit", session_id, **limit(trader, 2_999_000_000, UNIT, True)
    )
    cases: list[tuple[Any, str]] = [
        (b"", "invalid_request"),
        (b"null", "invalid_request"),
        ({**good, "sessionId": "0x1234"}, "invalid_session_id"),
        ({**good, "params": "price=1"}, "invalid_trader"),
        ({**good, "params": {**good["params"], "trader": "0xabc"}}, "invalid_trader"),
        ({**good, "params": {**good["params"], "isBuy": "yes"}}, "invalid_request"),
        ({**good, "params": {**good["params"], "amount": -5}}, "invalid_amount"),
        ({**good, "params": {**good["params"], "amount": True}}, "invalid_amount"),
        ({**good, "orderBook": "0x" + "33" * 20}, "orderbook_not_deployed"),
        ({**good, "orderBook": chain.stack.deployment.vault}, "invalid_orderBook"),
        ({**good, "orderBook": "0x33"}, "invalid orderBook"),
        ({k: v for k, v in good.items() if k != "sessionId"}, "missing payload"),
        ({**good, "method": "sessionPlaceLimit"}, "method not allowed"),
    ]
    for body, code in cases:
        assert rejected(api, chain, trader, TRADE, body)["error"] == code, body


# --- fault injection ----------------------------------------------------------------------------


def test_fault_plan_after_submit_lands_the_order_then_answers_500(
    api: httpx.Client, chain: Chain, stack: DevnetStack, wallet: WalletEntry
) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)
    stack.fault_plan.add(TRADE, Fault(FaultKind.REPLACEMENT_FEE_TOO_LOW, after_submit=True))
    body = trade_body(
        chain, "sessionPlaceMarginLimit", session_id, **limit(trader, 2_999_000_000, UNIT, True)
    )
    answer = api.post(TRADE, json=body)
    assert answer.status_code == 500
    assert classify(answer.json(), status=500) is ErrorCode.REPLACEMENT_FEE_TOO_LOW
    assert len(chain.orders(trader)) == 1, "the order landed although the answer was 500"
    assert api.post(TRADE, json=body).status_code == 200  # the plan is used up
    assert len(chain.orders(trader)) == 2


def test_fault_plan_before_submit_sends_nothing(
    api: httpx.Client, chain: Chain, stack: DevnetStack, wallet: WalletEntry
) -> None:
    trader = wallet.address
    session_id = open_session(api, chain, wallet)
    body = trade_body(
        chain, "sessionPlaceMarginLimit", session_id, **limit(trader, 2_999_000_000, UNIT, True)
    )
    plan = stack.fault_plan
    plan.add(TRADE, FaultKind.REPLACEMENT_FEE_TOO_LOW)
    plan.add(TRADE, Fault(FaultKind.RATE_LIMITED, retry_after_s=7), times=2)
    plan.add(TRADE, FaultKind.UNAVAILABLE)
    plan.add(TRADE, FaultKind.MALFORMED_JSON)
    before = chain.state(trader)

    replacement = api.post(TRADE, json=body)
    assert replacement.status_code == 500 and "replacement fee too low" in replacement.json()["error"]
    for _ in range(2):
        limited = api.post(TRADE, json=body)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
        assert classify(limited.json(), status=429) is ErrorCode.RATE_LIMITED
    unavailable = api.post(TRADE, json=body)
    assert unavailable.status_code == 503 and unavailable.headers["retry-after"] == "1"
    assert classify(unavailable.json(), status=503) is ErrorCode.SERVICE_TEMPORARILY_UNAVAILABLE
    malformed = api.post(TRADE, json=body)
    assert malformed.status_code == 200 and malformed.headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        malformed.json()
    assert chain.state(trader) == before
    assert plan.pending() == 0 and len(plan.served) >= 5

    plan.add(ORDERBOOK, Fault(FaultKind.DELAY, delay_s=0.3))
    started = time.monotonic()
    assert api.get(ORDERBOOK, params={"symbol": ETH}).status_code == 200
    assert time.monotonic() - started >= 0.3
