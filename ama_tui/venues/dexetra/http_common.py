"""Small HTTP facts shared by the API client and the JSON-RPC client."""

from __future__ import annotations

import math
import time
from email.utils import parsedate_to_datetime
from typing import Final
from urllib.parse import urlparse

import httpx

MAX_RETRY_AFTER_S: Final = 3600.0
RETRYABLE_TRANSPORT: Final = (
    httpx.ConnectError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)
"""Transport failures (typically a dead kept-alive connection) after which an idempotent request is
sent once more; a timeout is not among them."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """`Retry-After` as seconds to wait: delta-seconds or an HTTP date (RFC 9110); None when absent
    or unreadable. Capped at an hour so a broken header cannot park the packer for days."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment is None:
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


def host_of(url: str) -> str:
    """Scheme and host of a URL, without path or query (which may hold credentials)."""
    parsed = urlparse(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.hostname or '?'}{port}"
