"""JSON-RPC to the chain node over one pooled httpx client: single requests and batches.

A batch is one HTTP round trip whatever it holds, which is how a packer cycle's reads for a whole
fleet stay at a fixed count of round trips. Every transport failure becomes a typed venue failure
whose message names the RPC method but never the node's URL (hosted RPC URLs carry API keys).
Reads are idempotent, so a dropped keep-alive connection is retried once; a timeout is not.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlparse

import httpx

from ama_tui.protocol.errors import ErrorCode
from ama_tui.settings import is_loopback
from ama_tui.venues.base import RateLimited, VenueUnavailable
from ama_tui.venues.dexetra.http_common import RETRYABLE_TRANSPORT, parse_retry_after

DEFAULT_MAX_BATCH: Final = 100
"""Requests per HTTP POST; many hosted nodes refuse larger batches."""


@dataclass(frozen=True, slots=True)
class RpcRequest:
    method: str
    params: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class RpcErrorInfo:
    code: int | None
    message: str
    data: str | None = None

    @property
    def revert_data(self) -> bytes:
        """The revert payload a node attaches to a failed eth_call (empty when there is none)."""
        if isinstance(self.data, str) and self.data.startswith("0x"):
            try:
                return bytes.fromhex(self.data[2:])
            except ValueError:
                return b""
        return b""


@dataclass(frozen=True, slots=True)
class RpcReply:
    result: Any = None
    error: RpcErrorInfo | None = None

    def unwrap(self, method: str) -> Any:
        if self.error is not None:
            raise RpcFailure(method, self.error)
        return self.result


class RpcFailure(VenueUnavailable):
    """The node answered a request with a JSON-RPC error."""

    def __init__(self, method: str, error: RpcErrorInfo) -> None:
        self.method = method
        self.error = error
        super().__init__(f"RPC {method} failed: {error.message[:200]}", code=ErrorCode.UNAVAILABLE)


def _error_info(raw: Any) -> RpcErrorInfo:
    if isinstance(raw, dict):
        code = raw.get("code")
        data = raw.get("data")
        if isinstance(data, dict):  # some nodes nest the payload: {"data": {"data": "0x..."}}
            data = data.get("data")
        return RpcErrorInfo(
            code if isinstance(code, int) else None,
            str(raw.get("message", "error"))[:500],
            data if isinstance(data, str) else None,
        )
    return RpcErrorInfo(None, str(raw)[:500])


class JsonRpcClient:
    """Thread-safe: httpx's client pools connections across threads; ids come from one counter."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        scheme = urlparse(url).scheme
        if scheme not in ("http", "https"):
            raise ValueError(f"the RPC URL must be http(s), not {scheme or 'schemeless'}")
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.timeout = timeout
        self.max_batch = max_batch
        self._url = url
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
            # plain http has no TLS: httpx would still load the CA bundle for a context it never
            # uses (about a tenth of the run's start-up)
            verify=scheme == "https",
            trust_env=not is_loopback(url),
            headers={"content-type": "application/json"},
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._round_trips = 0

    @property
    def round_trips(self) -> int:
        """HTTP POSTs sent so far (each single request or batch is one)."""
        with self._lock:
            return self._round_trips

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------ requests

    def call(self, method: str, *params: Any) -> Any:
        """One request; its result, or RpcFailure when the node answers with an error."""
        return self.send([RpcRequest(method, tuple(params))])[0].unwrap(method)

    def send(self, requests: Sequence[RpcRequest]) -> list[RpcReply]:
        """Replies in request order. One HTTP round trip per `max_batch` requests."""
        replies: list[RpcReply] = []
        for start in range(0, len(requests), self.max_batch):
            replies.extend(self._send_chunk(requests[start : start + self.max_batch]))
        return replies

    def _send_chunk(self, requests: Sequence[RpcRequest]) -> list[RpcReply]:
        if not requests:
            return []
        ids = [next(self._ids) for _ in requests]
        bodies = [
            {"jsonrpc": "2.0", "id": id_, "method": r.method, "params": list(r.params)}
            for id_, r in zip(ids, requests, strict=True)
        ]
        what = (
            requests[0].method if len(requests) == 1 else f"batch of {len(requests)} ({requests[0].method}…)"
        )
        payload: Any = bodies[0] if len(bodies) == 1 else bodies
        answer = self._post(payload, what)
        items = answer if isinstance(answer, list) else [answer]
        by_id: dict[Any, Any] = {}
        for item in items:
            if isinstance(item, dict):
                by_id[item.get("id")] = item
        if (
            len(items) == 1
            and isinstance(items[0], dict)
            and items[0].get("id") is None
            and "error" in items[0]
        ):
            raise RpcFailure(what, _error_info(items[0]["error"]))  # the node refused the whole batch
        replies: list[RpcReply] = []
        for id_, request in zip(ids, requests, strict=True):
            item = by_id.get(id_)
            if item is None:
                raise VenueUnavailable(
                    f"RPC {request.method}: the node sent no answer for it", code=ErrorCode.UNAVAILABLE
                )
            if item.get("error") is not None:
                replies.append(RpcReply(error=_error_info(item["error"])))
            elif "result" not in item:
                raise VenueUnavailable(
                    f"RPC {request.method}: answer without a result", code=ErrorCode.UNAVAILABLE
                )
            else:
                replies.append(RpcReply(result=item["result"]))
        return replies

    def _post(self, payload: Any, what: str) -> Any:
        with self._lock:
            self._round_trips += 1
        content = json.dumps(payload, separators=(",", ":"))
        for attempt in (1, 2):
            try:
                response = self._http.post(self._url, content=content)
                break
            except httpx.TimeoutException:
                raise VenueUnavailable(
                    f"RPC {what}: the node did not answer within {self.timeout:g} s",
                    code=ErrorCode.NETWORK_ERROR,
                ) from None
            except RETRYABLE_TRANSPORT as exc:
                if attempt == 2:
                    raise VenueUnavailable(
                        f"RPC {what}: cannot reach the node ({type(exc).__name__})",
                        code=ErrorCode.NETWORK_ERROR,
                    ) from None
                with self._lock:
                    self._round_trips += 1
            except httpx.HTTPError as exc:
                raise VenueUnavailable(
                    f"RPC {what}: transport failure ({type(exc).__name__})", code=ErrorCode.NETWORK_ERROR
                ) from None
        try:
            answer = response.json()
        except (ValueError, UnicodeDecodeError):
            answer = None
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise RateLimited(f"RPC {what}: 429 rate limited by the node", retry_after=retry_after)
        if isinstance(answer, list | dict) and (isinstance(answer, list) or "jsonrpc" in answer):
            return answer  # some nodes answer JSON-RPC errors with a 4xx/5xx status
        if response.status_code >= 400:
            raise VenueUnavailable(
                f"RPC {what}: the node answered HTTP {response.status_code}", code=ErrorCode.UNAVAILABLE
            )
        raise VenueUnavailable(f"RPC {what}: the node's answer is not JSON-RPC", code=ErrorCode.UNAVAILABLE)
