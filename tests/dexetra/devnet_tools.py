"""Tools for the Dexetra venue's devnet tests and the round-trip benchmark.

- `CountingProxy`: a loopback HTTP proxy in front of the node's JSON-RPC that counts round trips
  (one per POST, whatever it carries) and can drop connections on demand.
- `NaiveReader`: the original tool's way of reading a cycle, one eth_call per read.
- `place_direct_orders`: rest orders for many wallets quickly (impersonated direct placements).
- `chain_orders`: every wallet's resting orders read with web3, independently of the venue.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

from ama_tui.devnet.deploy import client, order_book_contract, registry_contract
from ama_tui.devnet.seeding import MAX_FEE_PER_GAS, PLACE_GAS, rpc_batch, set_eth_balance
from ama_tui.devnet.stack import DevnetStack
from ama_tui.protocol.abi import CORE_VAULT_ABI, ORDER_BOOK_ABI, find, selector
from ama_tui.venues.dexetra.codec import TRADE_TOPIC, address_topic

LOOPBACK = "127.0.0.1"


class LoopbackServer:
    """A keep-alive HTTP server on loopback whose POSTs `answer(body)` turns into (status, JSON
    body), or None to close the connection without an answer."""

    def __init__(self, answer: Callable[[bytes], tuple[int, bytes] | None], name: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()  # no Nagle: a keep-alive answer must not wait for a delayed ACK
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                reply = answer(self.rfile.read(length))
                if reply is None:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, body = reply
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class CountingProxy:
    """`url` forwards every POST to `upstream` and counts it. With `drop` set, each request's
    connection is closed without an answer (what a node behind a flaky load balancer does)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.posts = 0
        self.dropped = 0
        self.drop = False
        self._lock = threading.Lock()
        self._http = httpx.Client(trust_env=False, timeout=30.0)
        self._serving = LoopbackServer(self._answer, "rpc-proxy")

    def _answer(self, body: bytes) -> tuple[int, bytes] | None:
        with self._lock:
            if self.drop:
                self.dropped += 1
                return None
            self.posts += 1
        answer = self._http.post(self.upstream, content=body, headers={"content-type": "application/json"})
        return answer.status_code, answer.content

    @property
    def url(self) -> str:
        return self._serving.url

    def count(self) -> int:
        with self._lock:
            return self.posts

    def close(self) -> None:
        self._serving.close()
        self._http.close()

    def __enter__(self) -> CountingProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sel(abi: list[dict[str, Any]], name: str) -> bytes:
    return bytes.fromhex(selector(find(abi, name))[2:])


class NaiveReader:
    """One JSON-RPC request per read, the way the original tool polled (no Multicall3, no batch)."""

    def __init__(self, rpc_url: str, order_book: str, vault: str, market_id: bytes) -> None:
        self._http = httpx.Client(trust_env=False, timeout=30.0)
        self._url = rpc_url
        self.order_book, self.vault, self.market_id = order_book, vault, market_id
        self._id = 0

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, params: list[Any]) -> Any:
        self._id += 1
        reply = self._http.post(
            self._url, json={"jsonrpc": "2.0", "id": self._id, "method": method, "params": params}
        )
        return reply.json()["result"]

    def _call(self, to: str, data: bytes) -> bytes:
        return bytes.fromhex(self._request("eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"])[2:])

    def cycle(self, traders: Sequence[str], after_block: int) -> tuple[int, int]:
        """Book top, mark, every trader's orders and collateral, fills: (orders seen, last block)."""
        book = self.order_book
        for name in ("bestBid", "bestAsk", "lastTradePrice"):
            self._call(book, _sel(ORDER_BOOK_ABI, name))
        self._call(self.vault, _sel(CORE_VAULT_ABI, "getMarkPrice") + self.market_id)
        seen = 0
        for trader in traders:
            word = abi_encode(["address"], [trader])
            (ids,) = abi_decode(["uint256[]"], self._call(book, _sel(ORDER_BOOK_ABI, "getUserOrders") + word))
            for order_id in ids:
                self._call(book, _sel(ORDER_BOOK_ABI, "getOrder") + abi_encode(["uint256"], [order_id]))
                seen += 1
            self._call(self.vault, _sel(CORE_VAULT_ABI, "getAvailableCollateral") + word)
        head = int(self._request("eth_blockNumber", []), 16)
        for trader in traders:
            for position in (1, 2):
                topics: list[Any] = [TRADE_TOPIC, None, None]
                topics[position] = address_topic(trader)
                self._request(
                    "eth_getLogs",
                    [
                        {
                            "address": book,
                            "fromBlock": hex(after_block),
                            "toBlock": hex(head),
                            "topics": topics,
                        }
                    ],
                )
        return seen, head


def place_direct_orders(
    stack: DevnetStack,
    traders: Sequence[str],
    per_side: int,
    *,
    symbol: str = "ETH-USD",
    amount18: int = 10**16,
) -> int:
    """`per_side` buys and sells for each trader, resting away from the seeded depth; sent as direct
    placements (impersonated, one JSON-RPC batch per round) because the relay is not measured.
    Returns how many were placed."""
    market = stack.deployment.market(symbol)
    w3 = client(stack.rpc_url)
    book = order_book_contract(w3, stack.deployment, symbol)
    set_eth_balance(w3, list(traders), 10**20)
    rpc_batch(stack.rpc_url, [("anvil_impersonateAccount", [t]) for t in traders])
    rounds: list[list[dict[str, Any]]] = [[] for _ in range(2 * per_side)]
    for trader in traders:
        nonce = int(w3.eth.get_transaction_count(trader))  # type: ignore[arg-type]
        for level in range(per_side):
            for is_buy in (True, False):
                offset = (100 + 7 * level) * market.tick6
                price = market.initial_price6 - offset if is_buy else market.initial_price6 + offset
                data = book.encode_abi("placeMarginLimit", args=[price, amount18, is_buy])
                rounds[2 * level + (0 if is_buy else 1)].append(
                    {
                        "from": trader,
                        "to": market.order_book,
                        "data": data,
                        "gas": hex(PLACE_GAS),
                        "nonce": hex(nonce),
                        "maxFeePerGas": hex(MAX_FEE_PER_GAS),
                        "maxPriorityFeePerGas": "0x0",
                    }
                )
                nonce += 1
    hashes: list[str] = []
    try:
        for batch in rounds:  # one transaction per sender per round: no nonce waits on another
            sent = rpc_batch(stack.rpc_url, [("eth_sendTransaction", [tx]) for tx in batch])
            _wait_mined(stack, sent)
            hashes += sent
    finally:  # only once mined: anvil drops pending transactions of a sender no longer impersonated
        rpc_batch(stack.rpc_url, [("anvil_stopImpersonatingAccount", [t]) for t in traders])
    return len(hashes)


def _wait_mined(stack: DevnetStack, hashes: Sequence[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:  # anvil answers a batch of sends before it has mined them all
        receipts = rpc_batch(stack.rpc_url, [("eth_getTransactionReceipt", [h]) for h in hashes])
        if all(r is not None for r in receipts) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    missing = sum(r is None for r in receipts)
    reverted = sum(r is not None and int(r["status"], 16) != 1 for r in receipts)
    assert not missing and not reverted, f"direct placements: {missing} not mined, {reverted} reverted"


@dataclass(frozen=True)
class ChainOrder:
    order_id: int
    trader: str
    price6: int
    amount18: int
    is_buy: bool


def chain_orders(
    stack: DevnetStack, traders: Sequence[str], *, symbol: str = "ETH-USD"
) -> dict[str, list[ChainOrder]]:
    """Every trader's resting orders, read with web3's contract calls (not the venue's reader), all
    at one block: read at "latest" while orders are placed, a listing and an order could come
    from two states (anvil can serve a call the state before the block it tells)."""
    web3 = client(stack.rpc_url)
    book = order_book_contract(web3, stack.deployment, symbol)
    block = web3.eth.block_number
    out: dict[str, list[ChainOrder]] = {}
    for trader in traders:
        held = []
        for order_id in book.functions.getUserOrders(trader).call(block_identifier=block):
            order = book.functions.getOrder(order_id).call(block_identifier=block)
            if int(str(order[1]), 16) == 0:
                continue
            held.append(
                ChainOrder(int(order[0]), str(order[1]), int(order[2]), int(order[3]), bool(order[4]))
            )
        out[trader] = held
    return out


def best_prices(stack: DevnetStack, *, symbol: str = "ETH-USD") -> tuple[int, int]:
    book = order_book_contract(client(stack.rpc_url), stack.deployment, symbol)
    bid, ask = book.functions.getBestPrices().call()
    return int(bid), int(ask)


def registry_sessions(stack: DevnetStack, session_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    registry = registry_contract(client(stack.rpc_url), stack.deployment)
    return [tuple(registry.functions.sessions(bytes.fromhex(s[2:])).call()) for s in session_ids]


def meta_nonces(stack: DevnetStack, traders: Sequence[str]) -> dict[str, int]:
    registry = registry_contract(client(stack.rpc_url), stack.deployment)
    return {t: int(registry.functions.metaNonce(t).call()) for t in traders}
