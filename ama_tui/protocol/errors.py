"""Error codes of the relay API, of the chain, and of the embedded exchange, and a classifier.

Every venue reports failures as one of these codes so the engine decides retries and backoff
the same way whether the market lives in the arena, on the devnet or in production. What each
code asks of a client (reference section 7, "Trade route errors") is its `Remedy`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final


class ErrorCode(StrEnum):
    # POST /api/gasless/session/init (400; 503 all_relayers_insufficient_funds)
    BAD_SIG = "bad_sig"
    """Details `recovered`, `expected` (addresses)."""
    BAD_NONCE = "bad_nonce"
    """Details `expected`, `got` (the registry's nonce and the permit's)."""
    EXPIRED = "expired"
    # POST /api/gasless/trade 400: a bug in the request
    INVALID_ORDER_BOOK = "invalid_orderBook"
    INVALID_ORDER_BOOK_SPACED = "invalid orderBook"
    INVALID_SESSION_ID = "invalid_session_id"
    INVALID_TRADER = "invalid_trader"
    MISSING_PRICE = "missing_price"
    MISSING_AMOUNT = "missing_amount"
    MISSING_PAYLOAD = "missing payload"
    METHOD_NOT_ALLOWED = "method not allowed"
    PRICE_MUST_BE_GT_0 = "price_must_be_gt_0"
    AMOUNT_MUST_BE_GT_0 = "amount_must_be_gt_0"
    DIAMOND_MISSING_SELECTOR = "diamond_missing_selector"
    """Answered as `diamond_missing_selector:<method>`; the method becomes the detail `method`."""
    # 400: the session is gone, used up, or cannot do this
    SESSION_UNKNOWN = "session_unknown"
    SESSION_REVOKED = "session_revoked"
    SESSION_EXPIRED = "session_expired"
    SESSION_BAD_TRADER = "session_bad_trader"
    """Details `expected`, `got` (the session's trader and the request's)."""
    SESSION_TRADE_CAP = "session_trade_cap"
    SESSION_SESSION_CAP = "session_session_cap"
    SESSION_METHOD_DENIED = "session_method_denied"
    SESSION_BAD_RELAYER = "session_bad_relayer"
    SESSION_ORDERBOOK_NOT_ALLOWED = "session_orderbook_not_allowed"
    SESSION_MARKET_DENIED = "session_market_denied"
    """The session's allowedMarkets does not include this market (devnet registry)."""
    SESSION_NOTIONAL_CAP = "session_notional_cap"
    """The trade would pass the session's notional cap (devnet registry)."""
    # 400: the wallet
    INSUFFICIENT_COLLATERAL = "insufficient_collateral"
    """Details `available6`, `required6`; the route's `required6` includes an estimated fee."""
    # 400: the market's state (skip this order, read again)
    OB_NO_LIQUIDITY = "ob_no_liquidity_for_market"
    """Detail `side`."""
    CROSSES_SPOT_LIQUIDITY = "crosses_spot_liquidity"
    ORDER_NOT_FOUND = "order_not_found"
    # 400: the market cannot trade (stop quoting it, tell the user)
    OB_SETTLED = "ob_settled"
    ORDERBOOK_NOT_DEPLOYED = "orderbook_not_deployed"
    VAULT_MARKET_NOT_ASSIGNED = "vault_market_not_assigned"
    VAULT_MARKET_ASSIGNED_TO_OTHER_ORDERBOOK = "vault_market_assigned_to_other_orderbook"
    VAULT_ORDERBOOK_ROLE_MISSING = "vault_orderbook_role_missing"
    MARGIN_NOT_ENABLED = "margin_not_enabled"
    # 500: the transaction was mined and reverted
    TX_REVERTED = "tx_reverted"
    """Details `txHash`, `blockNumber`."""
    # observed in production, and transport-level failures
    REPLACEMENT_FEE_TOO_LOW = "replacement fee too low"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    SERVICE_TEMPORARILY_UNAVAILABLE = "service_temporarily_unavailable"
    """503: the relay is shedding load; nothing was sent."""
    ALL_RELAYERS_INSUFFICIENT_FUNDS = "all_relayers_insufficient_funds"
    """503: no relayer can pay for gas; nothing was sent."""
    NETWORK_ERROR = "network_error"
    # chain reverts
    NO_LIQUIDITY = "no_liquidity"
    ZERO_MARGIN = "zero_margin"
    """The order's margin rounds down to 0: the vault reverts it (`CoreVault.InvalidAmount`)."""
    # bad input, as the embedded exchange reports it
    INVALID_PRICE = "invalid_price"
    INVALID_AMOUNT = "invalid_amount"
    OFF_TICK = "off_tick"
    UNKNOWN_MARKET = "unknown_market"
    UNKNOWN_ORDER = "unknown_order"
    NOT_ORDER_OWNER = "not_order_owner"
    MARKET_INACTIVE = "market_inactive"


class Remedy(StrEnum):
    """What a failure asks of the client (the "meaning for a client" column of section 7)."""

    FIX_REQUEST = "fix_request"
    """A bug in the request: sending it again fails again."""
    NEW_SESSION = "new_session"
    """The session is gone, used up, or cannot do this: open a new one."""
    SHRINK_ORDER = "shrink_order"
    """Not enough free collateral: shrink or skip the order."""
    SKIP_ORDER = "skip_order"
    """The market's state refuses this order: skip it and read the market again."""
    STOP_MARKET = "stop_market"
    """The market cannot trade: stop quoting it and tell the user."""
    WAIT = "wait"
    """Refused before anything was sent: wait (as `Retry-After` says) and try again."""
    MINED_REVERT = "mined_revert"
    """The transaction was mined and reverted: nothing landed; do not resend blindly."""
    CHECK_THEN_RETRY = "check_then_retry"
    """Transient, but the trade may have landed: check the chain before resending."""


_REMEDY_CODES: Final[dict[Remedy, tuple[ErrorCode, ...]]] = {
    Remedy.FIX_REQUEST: (
        ErrorCode.BAD_SIG,
        ErrorCode.INVALID_ORDER_BOOK,
        ErrorCode.INVALID_ORDER_BOOK_SPACED,
        ErrorCode.INVALID_TRADER,
        ErrorCode.MISSING_PRICE,
        ErrorCode.MISSING_AMOUNT,
        ErrorCode.MISSING_PAYLOAD,
        ErrorCode.METHOD_NOT_ALLOWED,
        ErrorCode.PRICE_MUST_BE_GT_0,
        ErrorCode.AMOUNT_MUST_BE_GT_0,
        ErrorCode.DIAMOND_MISSING_SELECTOR,
        ErrorCode.ZERO_MARGIN,
        ErrorCode.INVALID_PRICE,
        ErrorCode.INVALID_AMOUNT,
        ErrorCode.OFF_TICK,
        ErrorCode.NOT_ORDER_OWNER,
    ),
    Remedy.NEW_SESSION: (
        # a permit that is stale or out of date is cured by signing a fresh one
        ErrorCode.BAD_NONCE,
        ErrorCode.EXPIRED,
        # the table files invalid_session_id under request bugs; the only id a client sends is
        # its stored session's, so a new session is the cure (the devnet also answers it for a
        # session of another trader)
        ErrorCode.INVALID_SESSION_ID,
        ErrorCode.SESSION_UNKNOWN,
        ErrorCode.SESSION_REVOKED,
        ErrorCode.SESSION_EXPIRED,
        ErrorCode.SESSION_BAD_TRADER,
        ErrorCode.SESSION_TRADE_CAP,
        ErrorCode.SESSION_SESSION_CAP,
        ErrorCode.SESSION_METHOD_DENIED,
        ErrorCode.SESSION_BAD_RELAYER,
        ErrorCode.SESSION_ORDERBOOK_NOT_ALLOWED,
        ErrorCode.SESSION_MARKET_DENIED,
        ErrorCode.SESSION_NOTIONAL_CAP,
    ),
    Remedy.SHRINK_ORDER: (ErrorCode.INSUFFICIENT_COLLATERAL,),
    Remedy.SKIP_ORDER: (
        ErrorCode.OB_NO_LIQUIDITY,
        ErrorCode.CROSSES_SPOT_LIQUIDITY,
        ErrorCode.ORDER_NOT_FOUND,
        ErrorCode.NO_LIQUIDITY,
        ErrorCode.UNKNOWN_ORDER,
    ),
    Remedy.STOP_MARKET: (
        ErrorCode.OB_SETTLED,
        ErrorCode.ORDERBOOK_NOT_DEPLOYED,
        ErrorCode.VAULT_MARKET_NOT_ASSIGNED,
        ErrorCode.VAULT_MARKET_ASSIGNED_TO_OTHER_ORDERBOOK,
        ErrorCode.VAULT_ORDERBOOK_ROLE_MISSING,
        ErrorCode.MARGIN_NOT_ENABLED,
        ErrorCode.UNKNOWN_MARKET,
        ErrorCode.MARKET_INACTIVE,
    ),
    Remedy.WAIT: (
        ErrorCode.RATE_LIMITED,
        ErrorCode.SERVICE_TEMPORARILY_UNAVAILABLE,
        ErrorCode.ALL_RELAYERS_INSUFFICIENT_FUNDS,
    ),
    Remedy.MINED_REVERT: (ErrorCode.TX_REVERTED,),
    Remedy.CHECK_THEN_RETRY: (
        ErrorCode.UNAVAILABLE,
        ErrorCode.NETWORK_ERROR,
        ErrorCode.REPLACEMENT_FEE_TOO_LOW,
    ),
}

REMEDIES: Final[dict[ErrorCode, Remedy]] = {
    code: remedy for remedy, codes in _REMEDY_CODES.items() for code in codes
}
"""Every code's remedy (each code has exactly one)."""


def remedy(code: ErrorCode | str | None) -> Remedy | None:
    """The remedy of a code (None for a code this client does not know)."""
    if isinstance(code, ErrorCode):
        return REMEDIES[code]
    try:
        return REMEDIES[ErrorCode(str(code))]
    except ValueError:
        return None


TRANSIENT: Final[frozenset[ErrorCode]] = frozenset(
    {
        ErrorCode.RATE_LIMITED,
        ErrorCode.UNAVAILABLE,
        ErrorCode.NETWORK_ERROR,
        ErrorCode.REPLACEMENT_FEE_TOO_LOW,
        ErrorCode.SERVICE_TEMPORARILY_UNAVAILABLE,
        ErrorCode.ALL_RELAYERS_INSUFFICIENT_FUNDS,
    }
)
"""Failures that say nothing about the request itself. A retry after REPLACEMENT_FEE_TOO_LOW or
NETWORK_ERROR is safe only once the caller has checked that the first attempt did not land.
`tx_reverted` is not among them: a mined revert is an answer about the request."""

SESSION_INVALID: Final[frozenset[ErrorCode]] = frozenset(
    code for code in _REMEDY_CODES[Remedy.NEW_SESSION] if code not in (ErrorCode.BAD_NONCE, ErrorCode.EXPIRED)
)
"""Trade failures cured by creating a fresh session (the engine drops the session and opens a new
one). `bad_nonce` and `expired` answer a session init, not a trade."""

MARKET_CLOSED: Final[frozenset[ErrorCode]] = frozenset(_REMEDY_CODES[Remedy.STOP_MARKET])
"""Failures that say the market cannot trade at all: stop quoting it and tell the user."""

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
    # the vault's custom error for an order whose margin rounds down to 0 (reference section 7)
    ErrorCode.ZERO_MARGIN: ("InvalidAmount()",),
    # a diamond without the function (e.g. sessionPlaceLimit on current deployments)
    ErrorCode.DIAMOND_MISSING_SELECTOR: ("FunctionDoesNotExist()",),
    ErrorCode.RATE_LIMITED: (
        "rate limited",
        "rate limit exceeded",
        "rate_limit_exceeded",
        "too many requests",
    ),
    ErrorCode.UNAVAILABLE: (
        "circuit breaker",
        "circuit open",
        "service unavailable",
        "server misconfigured",
        "relay failed",
    ),
    ErrorCode.NETWORK_ERROR: (
        "fetch failed",
        "ECONNREFUSED",
        "ECONNRESET",
        "ENOTFOUND",
        "connection refused",
        "connection reset",
    ),
}


@functools.cache
def _pattern() -> re.Pattern[str]:
    """Every code's phrases in one pattern, compiled at the first error (~30 ms: not at import,
    which every launch pays)."""
    return re.compile(
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
    match = _pattern().search(_as_text(error))
    if match is not None and match.lastgroup is not None:
        return _CODES_BY_GROUP[match.lastgroup]
    if status is not None:
        return _STATUS_CODES.get(status)
    return None
