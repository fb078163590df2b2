"""Error codes of the relay API, of the chain, and of the embedded exchange, and a classifier.

Every venue reports failures as one of these codes so the engine decides retries and backoff
the same way whether the market lives in the arena, on the devnet or in production.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final


class ErrorCode(StrEnum):
    # POST /api/gasless/session/init (400)
    BAD_SIG = "bad_sig"
    BAD_NONCE = "bad_nonce"
    EXPIRED = "expired"
    # POST /api/gasless/trade (400)
    INVALID_SESSION_ID = "invalid_session_id"
    SESSION_UNKNOWN = "session_unknown"
    SESSION_EXPIRED = "session_expired"
    SESSION_BAD_RELAYER = "session_bad_relayer"
    SESSION_METHOD_DENIED = "session_method_denied"
    SESSION_MARKET_DENIED = "session_market_denied"
    """The session's allowedMarkets does not include this market (devnet registry)."""
    SESSION_NOTIONAL_CAP = "session_notional_cap"
    """The trade would pass the session's notional cap (devnet registry)."""
    INSUFFICIENT_COLLATERAL = "insufficient_collateral"
    MISSING_PRICE = "missing_price"
    METHOD_NOT_ALLOWED = "method not allowed"
    # observed in production, and transport-level failures
    REPLACEMENT_FEE_TOO_LOW = "replacement fee too low"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    NETWORK_ERROR = "network_error"
    # chain reverts
    NO_LIQUIDITY = "no_liquidity"
    # bad input, as the embedded exchange reports it
    INVALID_PRICE = "invalid_price"
    INVALID_AMOUNT = "invalid_amount"
    OFF_TICK = "off_tick"
    UNKNOWN_MARKET = "unknown_market"
    UNKNOWN_ORDER = "unknown_order"
    NOT_ORDER_OWNER = "not_order_owner"
    MARKET_INACTIVE = "market_inactive"


TRANSIENT: Final[frozenset[ErrorCode]] = frozenset(
    {
        ErrorCode.RATE_LIMITED,
        ErrorCode.UNAVAILABLE,
        ErrorCode.NETWORK_ERROR,
        ErrorCode.REPLACEMENT_FEE_TOO_LOW,
    }
)
"""Failures that say nothing about the request itself. A retry after REPLACEMENT_FEE_TOO_LOW or
NETWORK_ERROR is safe only once the caller has checked that the first attempt did not land."""

SESSION_INVALID: Final[frozenset[ErrorCode]] = frozenset(
    {
        ErrorCode.INVALID_SESSION_ID,
        ErrorCode.SESSION_UNKNOWN,
        ErrorCode.SESSION_EXPIRED,
        ErrorCode.SESSION_BAD_RELAYER,
        ErrorCode.SESSION_METHOD_DENIED,
        ErrorCode.SESSION_MARKET_DENIED,
        ErrorCode.SESSION_NOTIONAL_CAP,
    }
)
"""Failures cured by creating a fresh session."""

_WORD_EDGE_BEFORE = r"(?<![A-Za-z0-9_])"
_WORD_EDGE_AFTER = r"(?![A-Za-z0-9_])"


def _phrase(text: str) -> str:
    return _WORD_EDGE_BEFORE + re.escape(text).replace(r"\ ", r"\s+") + _WORD_EDGE_AFTER


# Each code's own text, plus the other ways the same failure shows up in the wild.
_ALIASES: Final[dict[ErrorCode, tuple[str, ...]]] = {
    ErrorCode.REPLACEMENT_FEE_TOO_LOW: (
        "replacement transaction underpriced",
        "REPLACEMENT_UNDERPRICED",
    ),
    ErrorCode.NO_LIQUIDITY: ("OB: no liq", "OB: no liquidity", "no liquidity"),
    ErrorCode.RATE_LIMITED: ("rate limited", "rate limit exceeded", "too many requests"),
    ErrorCode.UNAVAILABLE: ("circuit breaker", "circuit open", "service unavailable"),
    ErrorCode.NETWORK_ERROR: (
        "fetch failed",
        "ECONNREFUSED",
        "ECONNRESET",
        "ENOTFOUND",
        "connection refused",
        "connection reset",
    ),
}

_PATTERN: Final = re.compile(
    "|".join(
        f"(?P<c{index}>{'|'.join(_phrase(text) for text in (code.value, *_ALIASES.get(code, ())))})"
        for index, code in enumerate(ErrorCode)
    ),
    re.IGNORECASE,
)
_CODES_BY_GROUP: Final = {f"c{index}": code for index, code in enumerate(ErrorCode)}

_STATUS_CODES: Final[dict[int, ErrorCode]] = {429: ErrorCode.RATE_LIMITED, 503: ErrorCode.UNAVAILABLE}


def _as_text(error: str | bytes | Mapping[str, Any] | BaseException | None) -> str:
    if error is None:
        return ""
    if isinstance(error, bytes):
        return error.decode("utf-8", errors="replace")
    if isinstance(error, Mapping):
        return json.dumps(error, default=str)
    return str(error)


def classify(
    error: str | bytes | Mapping[str, Any] | BaseException | None, *, status: int | None = None
) -> ErrorCode | None:
    """The code an error body, message or exception carries, or None when it names none.

    The earliest code in the text wins (the outer message comes before the nested causes an
    RPC error quotes). Without a code in the text, HTTP 429 and 503 still classify.
    """
    match = _PATTERN.search(_as_text(error))
    if match is not None and match.lastgroup is not None:
        return _CODES_BY_GROUP[match.lastgroup]
    if status is not None:
        return _STATUS_CODES.get(status)
    return None
