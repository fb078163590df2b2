"""The exchange web app's HTTP API (reference sections 4 and 7) as an ASGI app over the devnet.

`make_relay_app(deployment, relayer_keys=...)` serves the six routes with the production request,
response and error shapes. Chain work runs in worker threads (synchronous web3); every failure is
a JSON answer, never a traceback, an HTML page or plain text (unknown routes 404, wrong methods
405). Bodies are refused over 64 KiB before they are read. Request bodies are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, TypeVar

import anyio
import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ama_tui.core.keys import PrivateKey
from ama_tui.devnet.catalog import MarketListing
from ama_tui.devnet.deploy import TX_TIMEOUT_S, DevnetDeployment, DevnetMarket
from ama_tui.devnet.relay.answers import ApiError, route_error
from ama_tui.devnet.relay.bodies import (
    parse_address,
    parse_json_object,
    parse_session_init,
    parse_trade,
    read_capped_body,
)
from ama_tui.devnet.relay.chain import MAX_DEPTH_LEVELS, RelayChain
from ama_tui.devnet.relay.fault_answers import fault_response, shaped
from ama_tui.devnet.relay.faults import (
    MARKETS,
    NONCE,
    ORDERBOOK,
    RELAYER_SET,
    SESSION_INIT,
    TRADE,
    FaultKind,
    FaultPlan,
)
from ama_tui.devnet.relay.market_rows import market_rows
from ama_tui.devnet.relay.rpc import Reverted, RpcError
from ama_tui.devnet.relay.trade_checks import DEFAULT_ESTIMATED_FEE_BPS

log = logging.getLogger(__name__)

DEFAULT_PAGE: Final = 100
MAX_PAGE: Final = 1_000
DEFAULT_LEVELS: Final = 10
UNRESOLVED_BOOK: Final = "OrderBook address could not be resolved"

T = TypeVar("T")
Endpoint = Callable[[Request], Awaitable[Response]]


def _int_query(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(f"{name} must be an integer from {low} to {high}") from None
    if not low <= value <= high:
        raise ApiError(f"{name} must be an integer from {low} to {high}")
    return value


class Relay:
    """The routes' state: the chain side, the market rows and the optional fault plan."""

    def __init__(
        self,
        deployment: DevnetDeployment,
        relayer_keys: Sequence[PrivateKey],
        *,
        listings: Sequence[MarketListing] = (),
        fault_plan: FaultPlan | None = None,
        wait_for_mined: bool = False,
        fee_bps: int = DEFAULT_ESTIMATED_FEE_BPS,
        receipt_timeout: float = TX_TIMEOUT_S,
    ) -> None:
        self.deployment = deployment
        self.chain = RelayChain(
            deployment,
            relayer_keys,
            wait_for_mined=wait_for_mined,
            fee_bps=fee_bps,
            receipt_timeout=receipt_timeout,
        )
        self.faults = fault_plan
        self.rows = market_rows(deployment, listings)

    # --- plumbing -----------------------------------------------------------------------------

    async def _in_thread(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run chain work in a worker thread, turning every failure into an ApiError."""
        try:
            return await run_in_threadpool(function, *args, **kwargs)
        except ApiError:
            raise
        except Reverted as revert:
            raise ApiError(revert.reason) from None
        except RpcError as error:
            log.warning("chain node error: %s", str(error)[:200])
            raise ApiError(error.message[:300], "the chain node refused a request", status=500) from None
        except (httpx.TransportError, httpx.HTTPStatusError, OSError) as error:
            log.warning("chain node unreachable: %s", type(error).__name__)
            raise ApiError("network_error", "the relay could not reach the chain node", status=500) from None
        except Exception as error:
            log.warning("relay failure: %s", type(error).__name__)  # its text may quote the request
            raise ApiError("relay failed", type(error).__name__, status=500) from None

    def endpoint(self, route: str, handler: Endpoint) -> Endpoint:
        """`handler` behind the fault plan of `route`."""

        async def serve(request: Request) -> Response:
            admitted = self.faults.admit(route) if self.faults is not None else None
            if admitted is None:
                return await faulted(request)
            ok, hold_s, retry_after_s = admitted
            if not ok:
                return shaped(route, route_error("rate_limit_exceeded", retry_after=retry_after_s))
            try:
                await anyio.sleep(hold_s)
                return await faulted(request)
            finally:
                assert self.faults is not None
                self.faults.leave(route)

        async def faulted(request: Request) -> Response:
            fault = self.faults.take(route) if self.faults is not None else None
            if fault is not None and not fault.after_submit:
                if fault.kind is FaultKind.DELAY:
                    await anyio.sleep(fault.delay_s)
                elif fault.kind is FaultKind.BOOK_READS_TIMED_OUT:
                    request.state.book_reads_timed_out = True
                else:
                    return fault_response(route, fault)
            try:
                response = await handler(request)
            except Exception as error:  # a bug: still a JSON answer, and no traceback in the logs
                log.warning("%s failed: %s", route, type(error).__name__)
                return shaped(route, ApiError("relay failed", status=500))
            if fault is not None and fault.after_submit:
                return fault_response(route, fault)
            return response

        return serve

    def market_by_query(self, request: Request) -> DevnetMarket:
        query = request.query_params
        markets = self.deployment.markets
        if query.get("symbol"):
            wanted = query["symbol"].strip().lower()
            found = [m for m in markets if m.symbol.lower() == wanted]
        elif query.get("orderBookAddress"):
            wanted = query["orderBookAddress"].strip().lower()
            found = [m for m in markets if m.order_book.lower() == wanted]
        elif query.get("marketIdBytes32"):
            wanted = query["marketIdBytes32"].strip().lower()
            found = [m for m in markets if m.market_id_bytes32.lower() == wanted]
        else:
            raise ApiError("give one of symbol, orderBookAddress or marketIdBytes32")
        if not found:
            raise ApiError(UNRESOLVED_BOOK, status=404)
        return found[0]

    def market_by_book(self, order_book: str) -> DevnetMarket:
        market = self.chain.market_for_book(order_book)
        if market is None:
            raise ApiError("unknown_market", "orderBook is not a market of this exchange")
        return market

    # --- routes -------------------------------------------------------------------------------

    async def markets(self, request: Request) -> Response:
        try:
            limit = _int_query(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
            offset = _int_query(request, "offset", 0, 0, 10**9)
        except ApiError as error:
            return JSONResponse({"success": False, "error": error.error}, status_code=400)
        query = request.query_params
        rows = self.rows
        if status := query.get("status", "").strip():
            rows = [r for r in rows if str(r["market_status"]).upper() == status.upper()]
        if symbol := query.get("symbol", "").strip():
            rows = [r for r in rows if str(r["symbol"]).lower() == symbol.lower()]
        if category := query.get("category", "").strip():
            rows = [r for r in rows if str(r["category"]).lower() == category.lower()]
        if search := query.get("search", "").strip().lower():
            fields = ("symbol", "name", "market_identifier", "category")
            rows = [r for r in rows if any(search in str(r[f]).lower() for f in fields)]
        page = rows[offset : offset + limit]
        return JSONResponse(
            {
                "success": True,
                "markets": page,
                "pagination": {"limit": limit, "offset": offset, "total": len(rows)},
            }
        )

    async def orderbook(self, request: Request) -> Response:
        timed_out = bool(getattr(request.state, "book_reads_timed_out", False))
        try:
            levels = _int_query(request, "levels", DEFAULT_LEVELS, 1, MAX_DEPTH_LEVELS)
            market = self.market_by_query(request)
            data = await self._in_thread(self.chain.orderbook, market, levels, timed_out=timed_out)
        except ApiError as error:
            message = (
                error.error if "message" not in error.extra else f"{error.error}: {error.extra['message']}"
            )
            return JSONResponse({"ok": False, "error": message}, status_code=error.status)
        return JSONResponse({"ok": True, "fromCache": False, "cacheAgeMs": 0, "data": data})

    async def relayer_set(self, request: Request) -> Response:
        return JSONResponse(
            {
                "relayerAddresses": list(self.deployment.relayers),
                "relayerSetRoot": self.deployment.relayer_set_root,
            }
        )

    async def nonce(self, request: Request) -> Response:
        try:
            trader = parse_address(request.query_params.get("trader"), "trader")
            nonce = await self._in_thread(self.chain.meta_nonce, trader)
        except ApiError as error:
            return error.response()
        return JSONResponse({"nonce": str(nonce)})

    async def session_init(self, request: Request) -> Response:
        try:
            body = parse_json_object(await read_capped_body(request))
            parsed = parse_session_init(body)
            self.market_by_book(parsed.order_book)
            answer = await self._in_thread(self.chain.create_session, parsed)
        except ApiError as error:
            log.debug("session init refused: %s", error.error)
            return error.response()
        return JSONResponse(answer)

    async def trade(self, request: Request) -> Response:
        try:
            body = parse_json_object(await read_capped_body(request))
            parsed = parse_trade(body)
            market = self.chain.market_for_book(parsed.order_book)  # a lookup: no thread for it
            if market is None:
                market = await self._in_thread(self.chain.trade_market, parsed.order_book)
            answer = await self._in_thread(self.chain.trade, parsed, market)
        except ApiError as error:
            log.debug("trade refused: %s", error.error)
            return error.response()
        return JSONResponse(answer)


_HTTP_ERRORS: Final = {404: "not_found", 405: "method_not_allowed"}


async def http_error(request: Request, exc: Exception) -> Response:
    """Unknown routes and wrong methods, as JSON (Starlette's default is plain text)."""
    assert isinstance(exc, HTTPException)
    code = _HTTP_ERRORS.get(exc.status_code, "http_error")
    if exc.status_code == 405:
        message = f"{request.method} is not served on {request.url.path}"
    elif exc.status_code == 404:
        message = f"no route {request.url.path}"
    else:
        message = str(exc.detail)
    return JSONResponse({"error": code, "message": message}, status_code=exc.status_code, headers=exc.headers)


def make_relay_app(
    deployment: DevnetDeployment,
    *,
    relayer_keys: Sequence[PrivateKey],
    listings: Sequence[MarketListing] = (),
    fault_plan: FaultPlan | None = None,
    wait_for_mined: bool = False,
    fee_bps: int = DEFAULT_ESTIMATED_FEE_BPS,
    receipt_timeout: float = TX_TIMEOUT_S,
) -> Starlette:
    """The relay API over `deployment`, submitting from `relayer_keys` (each must be in the
    deployment's relayer set). `listings` name the markets (a listing of no deployed market is
    listed with a null address); `fault_plan` injects failures. Trades are answered `pending`
    right after sending, or once mined with `wait_for_mined`; `fee_bps` is the fee the trade
    route adds to a placement's margin in its collateral check."""
    relay = Relay(
        deployment,
        relayer_keys,
        listings=listings,
        fault_plan=fault_plan,
        wait_for_mined=wait_for_mined,
        fee_bps=fee_bps,
        receipt_timeout=receipt_timeout,
    )
    routes = [
        Route(MARKETS, relay.endpoint(MARKETS, relay.markets), methods=["GET"]),
        Route(ORDERBOOK, relay.endpoint(ORDERBOOK, relay.orderbook), methods=["GET"]),
        Route(RELAYER_SET, relay.endpoint(RELAYER_SET, relay.relayer_set), methods=["GET"]),
        Route(NONCE, relay.endpoint(NONCE, relay.nonce), methods=["GET"]),
        Route(SESSION_INIT, relay.endpoint(SESSION_INIT, relay.session_init), methods=["POST"]),
        Route(TRADE, relay.endpoint(TRADE, relay.trade), methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.relay = relay
    return app
