"""In-process fakes for the Dexetra venue's unit tests: a JSON-RPC node and the web app's API,
both as `httpx.MockTransport` handlers (no sockets, no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

from ama_tui.protocol.abi import MULTICALL3_ADDRESS
from ama_tui.settings import LiveSettings
from ama_tui.venues.base import VenueKind
from ama_tui.venues.dexetra import DexetraVenue
from ama_tui.venues.dexetra.codec import (
    FEES_DEDUCTED_TOPIC,
    GET_AVAILABLE_COLLATERAL,
    GET_BEST_PRICES,
    GET_LEVERAGE_INFO,
    GET_MARK_PRICE,
    GET_ORDER,
    GET_POSITION_SUMMARY,
    GET_USER_ORDERS,
    LAST_TRADE_PRICE,
    MARKET_STATIC,
    ORDER_MODIFIED_TOPIC,
    ORDER_PLACED_TOPIC,
    SESSIONS,
    TRADE_TOPIC,
    address_topic,
)

CHAIN_ID = 31337
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
BOOK = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
VAULT = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
MARKET_ID = bytes.fromhex("2430f68ea2e8d4151992bb7fc3a4c472087a6149bf7e0232704396162ab7c1f7")
ALICE = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
BOB = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
TAKER = "0x83D8e79a3efFece0DEf00837423C521B82B4af2c"
RPC_URL = "http://rpc.test:8545"
APP_URL = "http://app.test"
SETTINGS = LiveSettings(rpc_url=RPC_URL, session_registry=REGISTRY, chain_id=CHAIN_ID, app_url=APP_URL)


def order_words(
    order_id: int,
    trader: str,
    price6: int,
    amount18: int,
    is_buy: bool,
    *,
    timestamp: int = 1_700_000_000,
    margin6: int = 0,
    v10: bool = False,
) -> bytes:
    """`getOrder` return data in the 9-field shape, or the 10-field one with `v10`."""
    fields: list[Any] = [order_id, trader, price6, amount18, is_buy, timestamp, 0, margin6, True]
    types = ["uint256", "address", "uint256", "uint256", "bool", "uint256", "uint256", "uint256", "bool"]
    if v10:
        fields.append(0)
        types.append("uint256")
    return abi_encode(types, fields)


DELETED = order_words(0, "0x" + "00" * 20, 0, 0, False)


@dataclass
class FakeChain:
    """A node that answers the venue's reads from plain dicts; counts HTTP posts."""

    chain_id: int = CHAIN_ID
    multicall: bool = True
    block: int = 100
    bid6: int = 2_999_500_000
    ask6: int = 3_000_500_000
    last6: int = 0
    mark6: int = 3_000_000_000
    margin_bps: int = 1_000
    user_orders: dict[str, list[int]] = field(default_factory=dict)
    orders: dict[int, bytes] = field(default_factory=dict)
    collateral: dict[str, int] = field(default_factory=dict)
    positions: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    history: dict[int, tuple[dict[str, list[int]], dict[int, bytes]]] = field(default_factory=dict)
    """block -> (user_orders, orders) as of the end of that block."""
    logs: list[dict[str, Any]] = field(default_factory=list)
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending_txs: set[str] = field(default_factory=set)
    """Transactions the node holds, not mined (eth_getTransactionByHash answers them)."""
    sessions: dict[bytes, bytes] = field(default_factory=dict)
    """session id -> the registry's `sessions` return data (unknown ids read all zero)."""
    posts: int = 0
    methods: list[str] = field(default_factory=list)
    inner_calls: int = 0
    fail_with: Callable[[httpx.Request], httpx.Response | None] | None = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.posts += 1
        if self.fail_with is not None:
            forced = self.fail_with(request)
            if forced is not None:
                return forced
        body = json.loads(request.content)
        if isinstance(body, list):
            return httpx.Response(200, json=[self._one(item) for item in body])
        return httpx.Response(200, json=self._one(body))

    def _one(self, item: dict[str, Any]) -> dict[str, Any]:
        method, params = item["method"], item.get("params", [])
        self.methods.append(method)
        try:
            result = self._dispatch(method, params)
        except _Revert as revert:
            return {"jsonrpc": "2.0", "id": item["id"], "error": revert.error}
        return {"jsonrpc": "2.0", "id": item["id"], "result": result}

    def _dispatch(self, method: str, params: list[Any]) -> Any:
        if method == "eth_chainId":
            return hex(self.chain_id)
        if method == "eth_blockNumber":
            return hex(self.block)
        if method == "eth_getCode":
            address = params[0].lower()
            if address == MULTICALL3_ADDRESS.lower():
                return "0x6080" if self.multicall else "0x"
            return "0x6080" if address == REGISTRY.lower() else "0x"
        if method == "eth_call":
            call, tag = params
            data = bytes.fromhex(call["data"][2:])
            if call["to"].lower() == MULTICALL3_ADDRESS.lower():
                (calls,) = abi_decode(["(address,bool,bytes)[]"], data[4:])
                results = [self._view(target, bytes(inner), tag) for target, _, inner in calls]
                return "0x" + abi_encode(["(bool,bytes)[]"], [results]).hex()
            ok, out = self._view(call["to"], data, tag)
            if not ok:
                raise _Revert({"code": 3, "message": "execution reverted", "data": "0x" + out.hex()})
            return "0x" + out.hex()
        if method == "eth_getLogs":
            return self._logs(params[0])
        if method == "eth_getTransactionReceipt":
            return self.receipts.get(params[0])
        if method == "eth_getTransactionByHash":
            tx = params[0]
            if tx in self.receipts:
                return {"hash": tx, "blockNumber": self.receipts[tx].get("blockNumber", hex(self.block))}
            return {"hash": tx, "blockNumber": None} if tx in self.pending_txs else None
        if method == "eth_getBlockByNumber":
            return {"number": params[0], "timestamp": hex(1_700_000_000 + int(params[0], 16))}
        raise _Revert({"code": -32601, "message": f"method {method} not found"})

    def _view(self, target: str, data: bytes, tag: str) -> tuple[bool, bytes]:
        self.inner_calls += 1
        selector, args = data[:4], data[4:]
        user_orders, orders = self.user_orders, self.orders
        if tag != "latest":
            user_orders, orders = self.history.get(int(tag, 16), ({}, {}))
        if selector == GET_USER_ORDERS.selector:
            (user,) = abi_decode(["address"], args)
            return True, abi_encode(["uint256[]"], [user_orders.get(_key(user), [])])
        if selector == GET_ORDER.selector:
            (order_id,) = abi_decode(["uint256"], args)
            return True, orders.get(order_id, DELETED)
        if selector == GET_BEST_PRICES.selector:
            return True, abi_encode(["uint256", "uint256"], [self.bid6, self.ask6])
        if selector == LAST_TRADE_PRICE.selector:
            return True, abi_encode(["uint256"], [self.last6])
        if selector == GET_MARK_PRICE.selector:
            return True, abi_encode(["uint256"], [self.mark6])
        if selector == MARKET_STATIC.selector:
            return True, abi_encode(["address", "bytes32", "bool", "uint256"], [VAULT, MARKET_ID, False, 0])
        if selector == GET_LEVERAGE_INFO.selector:
            return True, abi_encode(
                ["bool", "uint256", "uint256", "address"], [True, 10, self.margin_bps, REGISTRY]
            )
        if selector == GET_AVAILABLE_COLLATERAL.selector:
            (user,) = abi_decode(["address"], args)
            return True, abi_encode(["uint256"], [self.collateral.get(_key(user), 0)])
        if selector == SESSIONS.selector:
            (session_id,) = abi_decode(["bytes32"], args)
            return True, self.sessions.get(bytes(session_id), bytes(32 * 8))
        if selector == GET_POSITION_SUMMARY.selector:
            user, _ = abi_decode(["address", "bytes32"], args)
            return True, abi_encode(
                ["int256", "uint256", "uint256"], list(self.positions.get(_key(user), (0, 0, 0)))
            )
        return False, b""

    def _logs(self, criteria: dict[str, Any]) -> list[dict[str, Any]]:
        start, stop = int(criteria["fromBlock"], 16), int(criteria["toBlock"], 16)
        if start > self.block:
            raise _Revert({"code": -32602, "message": f"BlockOutOfRangeError: block height is {self.block}"})
        out = []
        for log in self.logs:
            if log["address"].lower() != criteria["address"].lower():
                continue
            if not start <= int(log["blockNumber"], 16) <= stop:
                continue
            if all(
                wanted is None
                or (log["topics"][i] in wanted if isinstance(wanted, list) else log["topics"][i] == wanted)
                for i, wanted in enumerate(criteria["topics"])
            ):
                out.append(log)
        return out

    # ------------------------------------------------------------------ helpers for tests

    def add_trade(
        self, *, block: int, buyer: str, seller: str, price6: int, amount18: int, tx: str, index: int = 0
    ) -> None:
        self.logs.append(
            {
                "address": BOOK,
                "topics": [TRADE_TOPIC, address_topic(buyer), address_topic(seller)],
                "data": "0x" + abi_encode(["uint256", "uint256"], [price6, amount18]).hex(),
                "blockNumber": hex(block),
                "blockTimestamp": hex(1_700_000_000 + block),
                "transactionHash": tx,
                "logIndex": hex(index),
            }
        )
        self.receipts.setdefault(tx, {"transactionHash": tx, "status": "0x1", "logs": []})

    def add_fees(
        self, *, block: int, buyer: str, seller: str, buyer_fee6: int, seller_fee6: int, tx: str, index: int
    ) -> None:
        """A `FeesDeducted` log, as the production trade facet emits before its trade's log."""
        self.logs.append(
            {
                "address": BOOK,
                "topics": [FEES_DEDUCTED_TOPIC, address_topic(buyer), address_topic(seller)],
                "data": "0x" + abi_encode(["uint256", "uint256"], [buyer_fee6, seller_fee6]).hex(),
                "blockNumber": hex(block),
                "transactionHash": tx,
                "logIndex": hex(index),
            }
        )

    def add_placement(
        self, *, tx: str, order_id: int, trader: str, price6: int, amount18: int, is_buy: bool, index: int
    ) -> None:
        receipt = self.receipts.setdefault(tx, {"transactionHash": tx, "status": "0x1", "logs": []})
        receipt["logs"].append(
            {
                "address": BOOK,
                "topics": [ORDER_PLACED_TOPIC, hex(order_id), address_topic(trader)],
                "data": "0x"
                + abi_encode(["uint256", "uint256", "bool", "bool"], [price6, amount18, is_buy, True]).hex(),
                "logIndex": hex(index),
            }
        )

    def add_modification(self, *, tx: str, old_id: int, new_id: int, trader: str, index: int) -> None:
        receipt = self.receipts.setdefault(tx, {"transactionHash": tx, "status": "0x1", "logs": []})
        receipt["logs"].append(
            {
                "address": BOOK,
                "topics": [ORDER_MODIFIED_TOPIC, hex(old_id), hex(new_id), address_topic(trader)],
                "data": "0x" + abi_encode(["uint256", "uint256"], [1, 1]).hex(),
                "logIndex": hex(index),
            }
        )


class _Revert(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["message"])
        self.error = error


def _key(address: str) -> str:
    from eth_utils import to_checksum_address

    return str(to_checksum_address(address))


# --- the web app ----------------------------------------------------------------------------------


def market_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": "0x" + MARKET_ID.hex(),
        "symbol": "ETH-USD",
        "name": "Ethereum / US Dollar",
        "market_identifier": "ETH-USD",
        "category": "crypto",
        "market_address": BOOK,
        "market_id_bytes32": "0x" + MARKET_ID.hex(),
        "chain_id": CHAIN_ID,
        "network": "devnet",
        "tick_size": 0.01,
        "decimals": 6,
        "market_status": "ACTIVE",
        "initial_price": 3000.0,
        "some_new_field": {"nested": [1, 2, 3]},
    }
    row.update(overrides)
    return row


def orderbook_body(**data_overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "orderBookAddress": BOOK,
        "symbol": "ETH-USD",
        "bestBid": 2999.5,
        "bestAsk": 3000.5,
        "lastTradePrice": 0.0,
        "markPrice": 3000.0,
        "totalTrades": 0,
        "volume24h": 0.0,
        "openInterest": 0.0,
        "priceChange24h": 0.0,
        "activeBuyOrders": 2,
        "activeSellOrders": 2,
        "depth": {
            "bidPrices": [2999.5, 2999.25],
            "bidAmounts": [2.0, 0.1],
            "askPrices": [3000.5, 3000.75],
            "askAmounts": [1.5, 0.3],
        },
        "recentTrades": [
            {"price": 2999.51, "amount": 0.01, "timestamp": 1_700_000_001_000, "txHash": "0x01"},
            {"price": 3000.5, "amount": 0.02, "timestamp": 1_700_000_005_000, "txHash": "0x02"},
            {"garbage": True},
        ],
        "lastUpdated": "2026-01-01T00:00:00.000Z",
    }
    data.update(data_overrides)
    return {"ok": True, "fromCache": False, "cacheAgeMs": 0, "data": data}


Route = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeApp:
    """The web app's six routes; a test overrides any route with its own handler."""

    rows: list[dict[str, Any]] = field(default_factory=lambda: [market_row()])
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[httpx.Request] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        path = request.url.path
        if path in self.routes:
            return self.routes[path](request)
        if path == "/api/markets":
            query = request.url.params
            rows = self.rows
            if query.get("search"):
                rows = [r for r in rows if query["search"].lower() in str(r.get("symbol", "")).lower()]
            limit, offset = int(query.get("limit", 100)), int(query.get("offset", 0))
            return httpx.Response(
                200,
                json={
                    "success": True,
                    "markets": rows[offset : offset + limit],
                    "pagination": {"limit": limit, "offset": offset, "total": len(rows)},
                },
            )
        if path == "/api/orderbook/live":
            if request.url.params.get("orderBookAddress", "").lower() != BOOK.lower():
                return httpx.Response(404, json={"ok": False, "error": "Market not found"})
            return httpx.Response(200, json=orderbook_body())
        if path == "/api/gasless/session/relayer-set":
            return httpx.Response(200, json={"relayerAddresses": [TAKER], "relayerSetRoot": "0x" + "ab" * 32})
        if path == "/api/gasless/session/nonce":
            return httpx.Response(200, json={"nonce": "7"})
        if path == "/api/gasless/session/init":
            body = json.loads(request.content)
            from ama_tui.protocol.permits import session_id

            permit = body["permit"]
            sid = session_id(permit["trader"], permit["relayerSetRoot"], permit["sessionSalt"])
            return httpx.Response(200, json={"sessionId": sid, "txHash": "0x" + "11" * 32, "blockNumber": 5})
        if path == "/api/gasless/trade":
            return httpx.Response(
                200,
                json={
                    "txHash": "0x" + "22" * 32,
                    "blockNumber": 6,
                    "mined": True,
                    "orderId": "41",
                    "filledAmount": "0",
                },
            )
        return httpx.Response(404, json={"error": "no such route"})


def make_venue(
    chain: FakeChain | None = None, app: FakeApp | None = None, **kwargs: Any
) -> tuple[DexetraVenue, FakeChain, FakeApp]:
    chain = chain or FakeChain()
    app = app or FakeApp()
    venue = DexetraVenue(
        SETTINGS,
        kind=VenueKind.DEVNET,
        rpc_transport=chain.transport(),
        api_transport=app.transport(),
        **kwargs,
    )
    return venue, chain, app


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Route:
    return lambda request: httpx.Response(status, json=body, headers=headers)
