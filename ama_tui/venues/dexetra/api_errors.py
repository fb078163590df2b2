"""The web app's error answers as typed venue failures, with the production error codes.

- 400 (and other 4xx) `{error: code, ...}` -> TradeRejected(code, message, details); `available6`
  and `required6` come as ints; a revert reason the relay passes through (`OB: no liq`) is
  classified into its code.
- 429 -> RateLimited(retry_after from `Retry-After`, seconds or an HTTP date).
- 503 -> VenueUnavailable(UNAVAILABLE): the relayer's circuit breaker is open.
- 500 `replacement fee too low` -> VenueUnavailable(REPLACEMENT_FEE_TOO_LOW): the trade may have
  landed; other 5xx -> VenueUnavailable with the code the body carries, else UNAVAILABLE.

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
INTEGER_DETAILS: Final = frozenset({"available6", "required6", "expectedNonce", "blockNumber"})
_DIGITS = re.compile(r"^-?[0-9]{1,78}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class RelayRefused(VenueUnavailable):
    """503: the relayer's circuit breaker is open; nothing was sent."""


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


def _details(body: Mapping[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for key, value in body.items():
        if key in ("error", "message"):
            continue
        if key in INTEGER_DETAILS and isinstance(value, str) and _DIGITS.match(value.strip()):
            value = int(value.strip())
        details[str(key)] = value
    return details


def failure_for(
    route: str, status: int, body: Any, *, raw: str = "", retry_after: str | None = None
) -> VenueError:
    """The typed failure for a non-2xx answer of `route` (e.g. `POST /api/gasless/trade`)."""
    text = error_text(body, raw)
    shown = f": {text}" if text else ""
    if status == 429:
        return RateLimited(f"{route}: 429 rate limited{shown}", retry_after=parse_retry_after(retry_after))
    if status == 503:
        return RelayRefused(f"{route}: 503 unavailable{shown}", code=ErrorCode.UNAVAILABLE)
    if status >= 500:
        found = classify(text) if text else None
        transient = found if found in TRANSIENT else ErrorCode.UNAVAILABLE
        return VenueUnavailable(f"{route}: {status}{shown}", code=transient)
    if not text:
        return TradeRejected(f"http_{status}", f"{route} answered {status}")
    code = error_code(text)
    message = ""
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        message = _clean(body["message"])
    if code in TRANSIENT:  # a transient failure reported with a 4xx: still retryable
        return VenueUnavailable(f"{route}: {status}{shown}", code=code)
    details = _details(body) if isinstance(body, Mapping) else {}
    return TradeRejected(code, message or (text if text != str(code) else ""), details)
