"""A loopback JSON-RPC proxy in front of anvil that answers some reads from an older block, as a
node lagging behind a load balancer does.

Each POST (a single request or a batch) is either passed through or, with probability `fraction`
(seeded), served `k` blocks behind the head (k in 1..`max_lag`): every `eth_call` at `latest`
(or `pending`, or without a tag) is sent to anvil at block head - k, and every `eth_blockNumber`
is answered head - k. So one POST reads one older state throughout, as one lagging node would: a
Multicall3 `getBlockNumber()` inside an aggregate3 it serves tells that older block. Writes,
receipts, transactions by hash, logs and calls at an explicit block are never touched.

With `hide_multicall3`, `eth_getCode` of Multicall3's canonical address answers `0x`: the run
takes the chain for one without Multicall3 and reads with plain eth_calls.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ama_tui.protocol.abi import MULTICALL3_ADDRESS

from .devnet_tools import LoopbackServer

LATEST_TAGS = frozenset({"latest", "pending"})

Batch = Sequence[dict[str, Any]]
"""The JSON-RPC requests of one POST."""


@dataclass
class LagCounts:
    posts: int = 0
    """POSTs that carried a read the proxy could lag (an eth_call at latest or eth_blockNumber)."""
    lagged_posts: int = 0
    """Of those, the ones served from an older block."""
    lagged_calls: int = 0
    """eth_calls sent to anvil at an older block."""
    lagged_block_numbers: int = 0
    """eth_blockNumber answered with an older block."""


class LaggingRpcProxy:
    """`url` forwards JSON-RPC to `upstream`; a `fraction` of the POSTs that read at `latest` (and
    that `only` picks, when given) are served 1..`max_lag` blocks behind the head (never below
    `floor`)."""

    def __init__(
        self,
        upstream: str,
        *,
        fraction: float = 0.5,
        max_lag: int = 3,
        seed: int = 0,
        hide_multicall3: bool = False,
        floor: int = 1,
        only: Callable[[Batch], bool] | None = None,
    ) -> None:
        if not 0.0 <= fraction <= 1.0 or max_lag < 1:
            raise ValueError("fraction must be in [0, 1] and max_lag at least 1")
        self.upstream = upstream
        self.fraction = fraction
        self.max_lag = max_lag
        self.hide_multicall3 = hide_multicall3
        self.floor = floor
        self.only = only
        self.counts = LagCounts()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._http = httpx.Client(
            trust_env=False,
            timeout=30.0,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )
        self._serving = LoopbackServer(lambda body: (200, self.handle(body)), "lagging-rpc")

    @property
    def url(self) -> str:
        return self._serving.url

    def snapshot(self) -> LagCounts:
        with self._lock:
            return LagCounts(**vars(self.counts))

    def close(self) -> None:
        self._serving.close()
        self._http.close()

    def __enter__(self) -> LaggingRpcProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ one POST

    def handle(self, body: bytes) -> bytes:
        payload = json.loads(body)
        single = isinstance(payload, dict)
        items: list[dict[str, Any]] = [payload] if single else list(payload)
        lag = self._lag_for(items)
        at: int | None = None
        if lag:
            head = int(self._post({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber"})["result"], 16)
            at = max(self.floor, head - lag)
            if at >= head:
                at = None  # too close to the start to lag: served as is
        answers: dict[int, dict[str, Any]] = {}
        forwarded: list[tuple[int, dict[str, Any]]] = []
        calls = numbers = 0
        for index, item in enumerate(items):
            method, params = item.get("method"), list(item.get("params") or [])
            if self.hide_multicall3 and method == "eth_getCode" and _is_multicall3(params):
                answers[index] = {"jsonrpc": "2.0", "id": item.get("id"), "result": "0x"}
            elif at is not None and method == "eth_blockNumber":
                answers[index] = {"jsonrpc": "2.0", "id": item.get("id"), "result": hex(at)}
                numbers += 1
            elif at is not None and method == "eth_call" and _at_latest(params):
                forwarded.append((index, {**item, "params": [params[0], hex(at), *params[2:]]}))
                calls += 1
            else:
                forwarded.append((index, item))
        if forwarded:
            sent = [item for _, item in forwarded]
            reply = self._post(sent[0] if single else sent)
            replies = [reply] if single else reply
            by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
            for index, item in forwarded:
                answers[index] = by_id.get(item.get("id"), _no_answer(item))
        with self._lock:
            if lag is not None:
                self.counts.posts += 1
            if at is not None:
                self.counts.lagged_posts += 1
                self.counts.lagged_calls += calls
                self.counts.lagged_block_numbers += numbers
        out: Any = answers[0] if single else [answers[i] for i in range(len(items))]
        return json.dumps(out).encode()

    def _lag_for(self, items: list[dict[str, Any]]) -> int | None:
        """How many blocks behind to serve this POST's reads (0: as is); None when it reads
        nothing the proxy lags."""
        reads = any(
            i.get("method") == "eth_blockNumber"
            or (i.get("method") == "eth_call" and _at_latest(list(i.get("params") or [])))
            for i in items
        )
        if not reads or (self.only is not None and not self.only(items)):
            return None
        with self._lock:
            if self._random.random() >= self.fraction:
                return 0
            return self._random.randint(1, self.max_lag)

    def _post(self, payload: Any) -> Any:
        return self._http.post(self.upstream, json=payload).json()


def calls_function(selector: bytes) -> Callable[[Batch], bool]:
    """`only` for the POSTs whose eth_calls call `selector`, directly or inside an aggregate3 (a
    rough match on the calldata's hex: fine for the few selectors a test names)."""
    wanted = selector.hex()

    def picks(items: Batch) -> bool:
        for item in items:
            params = list(item.get("params") or [])
            call = params[0] if item.get("method") == "eth_call" and params else None
            if isinstance(call, dict) and wanted in str(call.get("data", "")).lower():
                return True
        return False

    return picks


def _at_latest(params: list[Any]) -> bool:
    return len(params) < 2 or params[1] in LATEST_TAGS


def _is_multicall3(params: list[Any]) -> bool:
    return bool(params) and isinstance(params[0], str) and params[0].lower() == MULTICALL3_ADDRESS.lower()


def _no_answer(item: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": item.get("id"), "error": {"code": -32603, "message": "no answer"}}
