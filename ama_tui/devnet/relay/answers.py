"""The error answers of the relay routes (reference section 7): status, extra fields, `Retry-After`.

`ApiError` is every answer other than success; `route_error(code, **fields)` builds one with the
status and `Retry-After` the production trade route gives that code, so the devnet and a fault
plan answer each code exactly as production does.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from starlette.responses import JSONResponse


class ApiError(Exception):
    """An answer other than success: HTTP `status` with `{"error": error, ...extra}` and, when
    `retry_after` is set, a `Retry-After` header (seconds)."""

    def __init__(
        self,
        error: str,
        message: str | None = None,
        *,
        status: int = 400,
        retry_after: int | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(error if message is None else f"{error}: {message}")
        self.error = error
        self.status = status
        self.retry_after = retry_after
        self.extra: dict[str, Any] = dict(extra)
        if message is not None:
            self.extra["message"] = message

    def body(self) -> dict[str, Any]:
        return {"error": self.error, **self.extra}

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers())


@dataclass(frozen=True)
class RouteErrorSpec:
    status: int
    retry_after: int | None = None
    message: str | None = None


RATE_LIMIT_GLOBAL_S: Final = 10
"""`Retry-After` of the route's global rate limit (the per-address limit says 30)."""
RATE_LIMIT_PER_ADDRESS_S: Final = 30
BREAKER_RETRY_S: Final = 60

_REQUEST_BUGS: Final = (
    "invalid_orderBook",
    "invalid orderBook",
    "invalid_session_id",
    "invalid_trader",
    "missing_price",
    "missing_amount",
    "missing payload",
    "method not allowed",
    "price_must_be_gt_0",
    "amount_must_be_gt_0",
)
_SESSION_GONE: Final = (
    "session_unknown",
    "session_revoked",
    "session_expired",
    "session_bad_trader",
    "session_trade_cap",
    "session_session_cap",
    "session_method_denied",
    "session_bad_relayer",
    "session_orderbook_not_allowed",
)
_MARKET_STATE: Final = (
    "insufficient_collateral",
    "ob_no_liquidity_for_market",
    "crosses_spot_liquidity",
    "order_not_found",
    "ob_settled",
    "orderbook_not_deployed",
    "vault_market_not_assigned",
    "vault_market_assigned_to_other_orderbook",
    "vault_orderbook_role_missing",
    "margin_not_enabled",
)

ROUTE_ERRORS: Final = MappingProxyType(
    {
        **{code: RouteErrorSpec(400) for code in (*_REQUEST_BUGS, *_SESSION_GONE, *_MARKET_STATE)},
        "bad_sig": RouteErrorSpec(400),
        "bad_nonce": RouteErrorSpec(400),
        "expired": RouteErrorSpec(400),
        "rate_limit_exceeded": RouteErrorSpec(
            429, RATE_LIMIT_GLOBAL_S, "Service is experiencing high traffic. Please try again shortly."
        ),
        "service_temporarily_unavailable": RouteErrorSpec(
            503, BREAKER_RETRY_S, "Gasless trading is temporarily unavailable. Please try again in a minute."
        ),
        "all_relayers_insufficient_funds": RouteErrorSpec(
            503,
            BREAKER_RETRY_S,
            "All relayers in the pool have insufficient gas funds. Please try again later.",
        ),
        "tx_reverted": RouteErrorSpec(500),
        "server misconfigured": RouteErrorSpec(500),
        "relay failed": RouteErrorSpec(500),
    }
)
"""Every code the trade route answers, with its status and `Retry-After` (section 7's table)."""

OTHER_MESSAGE_STATUS: Final = 500
"""A code not in the table is "another message": production answers 500."""


def route_error(
    code: str,
    *,
    status: int | None = None,
    retry_after: int | None = None,
    message: str | None = None,
    **fields: Any,
) -> ApiError:
    """The answer production gives for `code`; `status`, `retry_after` and `message` override the
    table. A 503 also carries `retryAfter` in its body, as production's does."""
    spec = ROUTE_ERRORS.get(code, RouteErrorSpec(OTHER_MESSAGE_STATUS))
    wait = retry_after if retry_after is not None else spec.retry_after
    text = message if message is not None else spec.message
    final_status = status if status is not None else spec.status
    if final_status == 503 and wait is not None:
        fields.setdefault("retryAfter", wait)
    return ApiError(code, text, status=final_status, retry_after=wait, **fields)
