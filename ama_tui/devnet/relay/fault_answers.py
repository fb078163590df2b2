"""What a relay route answers for an injected fault, in that route's own error shape."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from ama_tui.devnet.relay.answers import ApiError, route_error
from ama_tui.devnet.relay.faults import (
    DEFAULT_RETRY_AFTER_S,
    MALFORMED_BODY,
    MARKETS,
    ORDERBOOK,
    REPLACEMENT_FEE_MESSAGE,
    Fault,
    FaultKind,
)


def shaped(route: str, error: ApiError) -> Response:
    """`error` as `route` answers errors: `{ok: false, error}` for the order book, `{success: false,
    error}` for the markets, the body itself for the gasless routes."""
    if route == ORDERBOOK:
        body: dict[str, Any] = {"ok": False, "error": error.error}
    elif route == MARKETS:
        body = {"success": False, "error": error.error}
    else:
        body = error.body()
    return JSONResponse(body, status_code=error.status, headers=error.headers())


def fault_error(fault: Fault) -> ApiError:
    """The error a fault answers (not for DELAY, MALFORMED_JSON, BOOK_READS_TIMED_OUT)."""
    wait = fault.retry_after_s if fault.retry_after_s is not None else DEFAULT_RETRY_AFTER_S
    if fault.kind is FaultKind.REPLACEMENT_FEE_TOO_LOW:
        return ApiError(REPLACEMENT_FEE_MESSAGE, status=500)
    if fault.kind is FaultKind.RATE_LIMITED:
        return route_error("rate_limit_exceeded", retry_after=wait)
    if fault.kind is FaultKind.UNAVAILABLE:
        return route_error("service_temporarily_unavailable", retry_after=wait)
    if fault.kind is FaultKind.ANSWER_ERROR:
        return route_error(
            fault.error, status=fault.status, retry_after=fault.retry_after_s, **dict(fault.fields)
        )
    raise ValueError(f"fault {fault.kind} has no error answer")


def fault_response(route: str, fault: Fault) -> Response:
    if fault.kind is FaultKind.MALFORMED_JSON:
        return Response(MALFORMED_BODY, status_code=200, media_type="application/json")
    return shaped(route, fault_error(fault))
