"""The exchange web app's HTTP API (reference section 4) as an ASGI app over the devnet.

`make_relay_app(deployment, relayer_keys=...)` serves the six routes with the production request,
response and error shapes. Chain work runs in worker threads (synchronous web3); every failure is
a JSON answer, never a traceback. Request bodies are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, TypeVar

import anyio
import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ama_tui.core.keys import PrivateKey
from ama_tui.devnet.catalog import MarketListing, listing_for
from ama_tui.devnet.deploy import TX_TIMEOUT_S, DevnetDeployment, DevnetMarket
from ama_tui.devnet.relay.bodies import (
    ApiError,
    parse_address,
    parse_json_object,
    parse_session_init,
    parse_trade,
)
from ama_tui.devnet.relay.chain import MAX_DEPTH_LEVELS, RelayChain, human
from ama_tui.devnet.relay.faults import (
    MALFORMED_BODY,
    MARKETS,
    NONCE,
    ORDERBOOK,
    RELAYER_SET,
    REPLACEMENT_FEE_MESSAGE,
    SESSION_INIT,
    TRADE,
    Fault,
    FaultKind,
    FaultPlan,
)
from ama_tui.devnet.relay.rpc import Reverted, RpcError

log = logging.getLogger(__name__)

DEFAULT_PAGE: Final = 100
MAX_PAGE: Final = 1_000
DEFAULT_LEVELS: Final = 10
PRICE_DECIMALS: Final = 6

T = TypeVar("T")
Endpoint = Callable[[Request], Awaitable[Response]]


def market_row(
    deployment: DevnetDeployment, market: DevnetMarket, listing: MarketListing | None
) -> dict[str, Any]:
    """One row of GET /api/markets."""
    status = listing.status if listing else "ACTIVE"
    return {
        "id": market.market_id_bytes32,
        "symbol": market.symbol,
        "name": listing.name if listing else market.symbol,
        "market_identifier": market.symbol,
        "category": listing.category if listing else "devnet",
        "market_address": market.order_book,
        "market_id_bytes32": market.market_id_bytes32,
        "chain_id": deployment.chain_id,
        "network": "devnet",
        "tick_size": human(market.tick6, PRICE_DECIMALS),
        "decimals": PRICE_DECIMALS,
        "market_status": status,
        "is_active": status.upper() == "ACTIVE",
        "initial_price": human(market.initial_price6, PRICE_DECIMALS),
        "margin_requirement_bps": market.margin_bps,
        "central_vault_address": deployment.vault,
    }


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
        receipt_timeout: float = TX_TIMEOUT_S,
    ) -> None:
        self.deployment = deployment
        self.chain = RelayChain(deployment, relayer_keys, receipt_timeout=receipt_timeout)
        self.faults = fault_plan
        listed = list(listings)
        self.rows = [market_row(deployment, m, listing_for(m.symbol, listed)) for m in deployment.markets]

    # --- plumbing -----------------------------------------------------------------------------

    async def _in_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Run chain work in a worker thread, turning every failure into an ApiError."""
        try:
            return await run_in_threadpool(function, *args)
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
            raise ApiError("internal_error", type(error).__name__, status=500) from None

    def endpoint(self, route: str, handler: Endpoint) -> Endpoint:
        """`handler` behind the fault plan of `route`."""

        async def serve(request: Request) -> Response:
            fault = self.faults.take(route) if self.faults is not None else None
            if fault is not None and not fault.after_submit:
                if fault.kind is FaultKind.DELAY:
                    await anyio.sleep(fault.delay_s)
                else:
                    return fault_response(fault)
            try:
                response = await handler(request)
            except Exception as error:  # a bug: still a JSON answer, and no traceback in the logs
                log.warning("%s failed: %s", route, type(error).__name__)
                return internal_error(route)
            if fault is not None and fault.after_submit:
                return fault_response(fault)
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
            raise ApiError("Market not found", status=404)
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
        try:
            levels = _int_query(request, "levels", DEFAULT_LEVELS, 1, MAX_DEPTH_LEVELS)
            market = self.market_by_query(request)
            data = await self._in_thread(self.chain.orderbook, market, levels)
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
            return JSONResponse(error.body(), status_code=error.status)
        return JSONResponse({"nonce": str(nonce)})

    async def session_init(self, request: Request) -> Response:
        try:
            body = parse_json_object(await request.body())
            parsed = parse_session_init(body)
            self.market_by_book(parsed.order_book)
            answer = await self._in_thread(self.chain.create_session, parsed)
        except ApiError as error:
            log.debug("session init refused: %s", error.error)
            return JSONResponse(error.body(), status_code=error.status)
        return JSONResponse(answer)

    async def trade(self, request: Request) -> Response:
        try:
            body = parse_json_object(await request.body())
            parsed = parse_trade(body)
            market = self.market_by_book(parsed.order_book)
            answer = await self._in_thread(self.chain.trade, parsed, market)
        except ApiError as error:
            log.debug("trade refused: %s", error.error)
            return JSONResponse(error.body(), status_code=error.status)
        return JSONResponse(answer)


def internal_error(route: str) -> Response:
    """A 500 in the route's own error shape."""
    if route == ORDERBOOK:
        return JSONResponse({"ok": False, "error": "internal error"}, status_code=500)
    if route == MARKETS:
        return JSONResponse({"success": False, "error": "internal error"}, status_code=500)
    return JSONResponse({"error": "internal_error"}, status_code=500)


def fault_response(fault: Fault) -> Response:
    if fault.kind is FaultKind.REPLACEMENT_FEE_TOO_LOW:
        return JSONResponse({"error": REPLACEMENT_FEE_MESSAGE}, status_code=500)
    if fault.kind is FaultKind.RATE_LIMITED:
        return JSONResponse(
            {"error": "rate limited"}, status_code=429, headers={"Retry-After": str(fault.retry_after_s)}
        )
    if fault.kind is FaultKind.UNAVAILABLE:
        return JSONResponse({"error": "relayer circuit breaker open"}, status_code=503)
    if fault.kind is FaultKind.MALFORMED_JSON:
        return Response(MALFORMED_BODY, status_code=200, media_type="application/json")
    raise ValueError(f"fault {fault.kind} has no response of its own")


def make_relay_app(
    deployment: DevnetDeployment,
    *,
    relayer_keys: Sequence[PrivateKey],
    listings: Sequence[MarketListing] = (),
    fault_plan: FaultPlan | None = None,
    receipt_timeout: float = TX_TIMEOUT_S,
) -> Starlette:
    """The relay API over `deployment`, submitting from `relayer_keys` (each must be in the
    deployment's relayer set). `listings` name the markets; `fault_plan` injects failures."""
    relay = Relay(
        deployment, relayer_keys, listings=listings, fault_plan=fault_plan, receipt_timeout=receipt_timeout
    )
    routes = [
        Route(MARKETS, relay.endpoint(MARKETS, relay.markets), methods=["GET"]),
        Route(ORDERBOOK, relay.endpoint(ORDERBOOK, relay.orderbook), methods=["GET"]),
        Route(RELAYER_SET, relay.endpoint(RELAYER_SET, relay.relayer_set), methods=["GET"]),
        Route(NONCE, relay.endpoint(NONCE, relay.nonce), methods=["GET"]),
        Route(SESSION_INIT, relay.endpoint(SESSION_INIT, relay.session_init), methods=["POST"]),
        Route(TRADE, relay.endpoint(TRADE, relay.trade), methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.relay = relay
    return app
