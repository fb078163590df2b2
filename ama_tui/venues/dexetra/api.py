"""Client of the exchange web app's six routes (reference section 4), each thread on its own pooled
httpx client (`ThreadClients`: a pool shared between threads could close a connection under a
request).

GETs are idempotent and retried once when a kept-alive connection turns out to be dead; POSTs
(session init, trade) are never retried here: a trade that failed in transit may have landed, and
only the engine, after reading the book again, may decide to send it again.
"""

from __future__ import annotations

import json
import ssl
from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel

from ama_tui.protocol.errors import ErrorCode
from ama_tui.settings import is_loopback
from ama_tui.venues.base import UnknownMarket, VenueUnavailable
from ama_tui.venues.dexetra.api_errors import failure_for
from ama_tui.venues.dexetra.api_models import (
    MarketsAnswer,
    NonceAnswer,
    OrderbookAnswer,
    OrderbookData,
    RelayerSetAnswer,
    SessionInitAnswer,
    TradeAnswer,
    parse_answer,
)
from ama_tui.venues.dexetra.http_common import RETRYABLE_TRANSPORT
from ama_tui.venues.dexetra.thread_clients import ThreadClients
from ama_tui.venues.early_reads import MARKETS_ROUTE, RELAYER_SET_ROUTE, EarlyReads

MARKETS: Final = MARKETS_ROUTE
ORDERBOOK: Final = "/api/orderbook/live"
RELAYER_SET: Final = RELAYER_SET_ROUTE
NONCE: Final = "/api/gasless/session/nonce"
SESSION_INIT: Final = "/api/gasless/session/init"
TRADE: Final = "/api/gasless/trade"

DEFAULT_TIMEOUT_S: Final = 10.0
TRADE_TIMEOUT_S: Final = 45.0
"""A relay asked to wait for mining (the real route answers `pending` by default) waits for its
transaction's block: allow for a slow one."""

M = TypeVar("M", bound=BaseModel)


CONNECTIONS_PER_THREAD: Final = 2
"""A thread sends one request at a time; a second connection covers one being closed."""
KEEPALIVE_S: Final = 2.0
"""How long an idle connection to the web app is kept (servers commonly close theirs at 5 s)."""


class DexetraApi:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        trade_timeout: float = TRADE_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
        early: EarlyReads | None = None,
    ) -> None:
        """`early`: GETs begun at launch (`venues.early_reads`); a clean answer to one of them is
        taken once instead of sending that request again."""
        self.timeout = timeout
        self.trade_timeout = trade_timeout
        self._base_url = base_url.rstrip("/")
        self._transport = transport
        self._trust_env = not is_loopback(base_url)
        self._early = early if early is not None and early.base_url == self._base_url else None
        self._clients = ThreadClients(
            self._client, tls=self._base_url.startswith("https:"), trust_env=self._trust_env
        )

    def _client(self, verify: ssl.SSLContext | bool) -> httpx.Client:
        return httpx.Client(
            base_url=self._base_url,
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 5.0)),
            transport=self._transport,
            verify=verify,
            trust_env=self._trust_env,
            headers={"accept": "application/json"},
            # an idle connection is dropped before the server's keep-alive (often 5 s) can close it
            # under a request just sent: such a trade fails unread and is left in doubt
            limits=httpx.Limits(
                max_connections=CONNECTIONS_PER_THREAD,
                max_keepalive_connections=CONNECTIONS_PER_THREAD,
                keepalive_expiry=KEEPALIVE_S,
            ),
        )

    def close(self) -> None:
        self._clients.close()

    # ------------------------------------------------------------------ routes

    def markets(
        self, *, limit: int, offset: int, status: str | None = None, search: str | None = None
    ) -> MarketsAnswer:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status:
            params["status"] = status
        if search:
            params["search"] = search
        answer = parse_answer(MarketsAnswer, self._get(MARKETS, params), f"GET {MARKETS}")
        if answer.success is False:
            raise VenueUnavailable(f"GET {MARKETS}: answered success=false", code=ErrorCode.UNAVAILABLE)
        return answer

    def orderbook(self, order_book: str, levels: int) -> OrderbookData:
        try:
            body = self._get(ORDERBOOK, {"orderBookAddress": order_book, "levels": levels})
        except _NotFound:
            raise UnknownMarket(f"the exchange has no order book {order_book}") from None
        answer = parse_answer(OrderbookAnswer, body, f"GET {ORDERBOOK}")
        if not answer.ok:
            raise VenueUnavailable(f"GET {ORDERBOOK}: answered ok=false", code=ErrorCode.UNAVAILABLE)
        return answer.data

    def relayer_set(self) -> RelayerSetAnswer:
        return parse_answer(RelayerSetAnswer, self._get(RELAYER_SET, None), f"GET {RELAYER_SET}")

    def nonce(self, trader: str) -> int:
        return parse_answer(NonceAnswer, self._get(NONCE, {"trader": trader}), f"GET {NONCE}").nonce

    def session_init(self, order_book: str, permit: dict[str, Any], signature: str) -> SessionInitAnswer:
        body = {"orderBook": order_book, "permit": permit, "signature": signature}
        return parse_answer(SessionInitAnswer, self._post(SESSION_INIT, body), f"POST {SESSION_INIT}")

    def trade(self, order_book: str, method: str, session_id: str, params: dict[str, Any]) -> TradeAnswer:
        body = {"orderBook": order_book, "method": method, "sessionId": session_id, "params": params}
        return parse_answer(TradeAnswer, self._post(TRADE, body), f"POST {TRADE}")

    # ------------------------------------------------------------------ plumbing

    def _get(self, route: str, params: dict[str, Any] | None) -> Any:
        if self._early is not None:
            answered = self._early.take(route, params)
            if answered is not None:
                return answered
        for attempt in (1, 2):
            try:
                response = self._clients.get().get(route, params=params)
                break
            except RETRYABLE_TRANSPORT as exc:
                if attempt == 2:
                    raise _network(f"GET {route}", exc) from None
            except httpx.HTTPError as exc:
                raise _network(f"GET {route}", exc, self.timeout) from None
        return self._answer(f"GET {route}", response)

    def _post(self, route: str, body: dict[str, Any]) -> Any:
        timeout = self.trade_timeout if route in (TRADE, SESSION_INIT) else self.timeout
        try:
            response = self._clients.get().post(
                route, content=json.dumps(body), headers={"content-type": "application/json"}, timeout=timeout
            )
        except httpx.HTTPError as exc:
            raise _network(f"POST {route}", exc, timeout) from None
        return self._answer(f"POST {route}", response)

    @staticmethod
    def _answer(what: str, response: httpx.Response) -> Any:
        try:
            body: Any = response.json()
            raw = ""
        except (ValueError, UnicodeDecodeError):
            body, raw = None, response.text[:500] if response.status_code >= 400 else ""
        if response.status_code == 404 and what.startswith("GET"):
            raise _NotFound(what)
        if response.status_code >= 400:
            raise failure_for(
                what, response.status_code, body, raw=raw, retry_after=response.headers.get("retry-after")
            )
        if body is None:
            raise VenueUnavailable(
                f"{what}: the answer is not valid JSON (HTTP {response.status_code})",
                code=ErrorCode.UNAVAILABLE,
            )
        return body


class _NotFound(VenueUnavailable):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what}: 404 not found (is APP_URL the exchange's web app?)", code=ErrorCode.UNAVAILABLE
        )


NEVER_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Failures before the request was written: no connection, or no free one in the pool."""


def _network(what: str, exc: httpx.HTTPError, timeout: float | None = None) -> VenueUnavailable:
    if isinstance(exc, NEVER_SENT):
        return VenueUnavailable(
            f"{what}: cannot reach the web app ({type(exc).__name__}; not sent)",
            code=ErrorCode.NETWORK_ERROR,
            unsent=True,
        )
    if isinstance(exc, httpx.TimeoutException):
        return VenueUnavailable(
            f"{what}: no answer within {timeout:g} s (a trade may still land)"
            if what.startswith("POST")
            else f"{what}: no answer within {timeout:g} s",
            code=ErrorCode.NETWORK_ERROR,
        )
    return VenueUnavailable(
        f"{what}: cannot reach the web app ({type(exc).__name__})", code=ErrorCode.NETWORK_ERROR
    )
