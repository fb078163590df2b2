"""The web app's error answers as typed venue failures, with the production error codes.

Reference section 7, "Trade route errors", row by row:

- 400 (and other 4xx) `{error: code, ...}` -> TradeRejected(code, message, details); integer
  details (`available6`, `required6`, `blockNumber`, a nonce's `expected`/`got`) come as ints;
  `diamond_missing_selector:<method>` keeps the method as the detail `method`; a revert reason
  the relay passes through (`OB: no liq`) is classified into its code. What each code asks of the
  client is its `protocol.errors.Remedy`.
- 429 -> RateLimited(retry_after from `Retry-After`, seconds or an HTTP date).
- 503 -> RelayRefused: the relay refused before sending anything (circuit breaker open,
  `service_temporarily_unavailable`, `all_relayers_insufficient_funds`); it is also a RateLimited,
  so the engine waits as long as its `Retry-After` says.
- 500 `tx_reverted` -> TradeRejected(TX_REVERTED, details txHash, blockNumber): the transaction
  was mined and reverted. Not an outage, and nothing landed: no retry, no doubt.
- 500 `replacement fee too low` -> VenueUnavailable(REPLACEMENT_FEE_TOO_LOW): the trade may have
  landed; other 5xx (`server misconfigured`, `relay failed`, anything else) -> VenueUnavailable
  with the transient code the body carries, else UNAVAILABLE: check the chain before resending.

Messages quote only the answer's own error text (truncated), never the request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from ama_tui.protocol.errors import TRANSIENT, ErrorCode, classify
from ama_tui.venues.base import RateLimited, TradeRejected, VenueError, VenueUnavailable
from ama_tui.venues.dexetra.http_common import parse_retry_after

MAX_TEXT: Final = 200
INTEGER_DETAILS: Final = frozenset(
    {"available6", "required6", "expectedNonce", "blockNumber", "expected", "got"}
)
"""Details read as integers when they are decimal strings (an address `expected` stays a string)."""
_DIGITS = re.compile(r"^-?[0-9]{1,78}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SELECTOR_PREFIX: Final = ErrorCode.DIAMOND_MISSING_SELECTOR.value + ":"


class RelayRefused(VenueUnavailable, RateLimited):
    """503: the relay refused before sending anything (circuit breaker open, no funded relayer).
    Nothing can have landed; wait `retry_after` seconds (when the answer says) and try again."""

    def __init__(
        self, message: str, *, code: ErrorCode | str | None = None, retry_after: float | None = None
    ):
        super().__init__(message, code=code)
        self.retry_after = retry_after


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()[:MAX_TEXT]


def error_text(body: Any, raw: str = "") -> str:
    """The error an answer states: `error` (or `message`) of a JSON object, else its raw text."""
    if isinstance(body, Mapping):
        for key in ("error", "message", "reason"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return _clean(value)
            if isinstance(value, Mapping):  # {"error": {"message": ...}}
                inner = value.get("message")
                if isinstance(inner, str) and inner.strip():
                    return _clean(inner)
        return ""
    return _clean(raw)


def error_code(text: str) -> ErrorCode | str:
    """The production code of an error text: exact when it is one, else classified, else as given."""
    stripped = text.strip()
    try:
        return ErrorCode(stripped)
    except ValueError:
        pass
    found = classify(stripped)
    return found if found is not None else stripped


def _details(body: Mapping[str, Any], text: str) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for key, value in body.items():
        if key in ("error", "message"):
            continue
        if key in INTEGER_DETAILS and isinstance(value, str) and _DIGITS.match(value.strip()):
            value = int(value.strip())
        details[str(key)] = value
    if text.startswith(_SELECTOR_PREFIX) and "method" not in details:
        details["method"] = text[len(_SELECTOR_PREFIX) :].strip()
    return details


def _rejected(text: str, body: Any, default_message: str = "") -> TradeRejected:
    code = error_code(text)
    message = default_message
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        message = _clean(body["message"])
    details = _details(body, text) if isinstance(body, Mapping) else {}
    return TradeRejected(code, message or (text if text != str(code) else ""), details)


def failure_for(
    route: str, status: int, body: Any, *, raw: str = "", retry_after: str | None = None
) -> VenueError:
    """The typed failure for a non-2xx answer of `route` (e.g. `POST /api/gasless/trade`)."""
    text = error_text(body, raw)
    shown = f": {text}" if text else ""
    if status == 429:
        return RateLimited(f"{route}: 429 rate limited{shown}", retry_after=parse_retry_after(retry_after))
    if status == 503:
        found = classify(text) if text else None
        return RelayRefused(
            f"{route}: 503 unavailable{shown}",
            code=found if found in TRANSIENT else ErrorCode.UNAVAILABLE,
            retry_after=parse_retry_after(retry_after),
        )
    if status >= 500:
        if error_code(text) is ErrorCode.TX_REVERTED:
            return _rejected(text, body, "the transaction was mined and reverted")
        found = classify(text) if text else None
        transient = found if found in TRANSIENT else ErrorCode.UNAVAILABLE
        return VenueUnavailable(f"{route}: {status}{shown}", code=transient)
    if not text:
        return TradeRejected(f"http_{status}", f"{route} answered {status}")
    if error_code(text) in TRANSIENT:  # a transient failure reported with a 4xx: still retryable
        return VenueUnavailable(f"{route}: {status}{shown}", code=error_code(text))
    return _rejected(text, body)
