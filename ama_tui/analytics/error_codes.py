"""A short code for an ERROR line's message, to count errors by kind.

Messages are free text ("place buy level 0 failed: 429 Too Many Requests: rate limited"); the
code is, in order: an ethers-style `code=NAME`; after a "failed:" / "not created:" prefix, an
HTTP status or the venue's snake_case code (`insufficient_collateral: ...`); else the message with
its numbers and addresses masked, cut short.
"""

from __future__ import annotations

import re
from typing import Final

_ETHERS_CODE: Final = re.compile(r"\bcode=([A-Z][A-Z0-9_]+)")
_PREFIX: Final = re.compile(r"^.*?\b(?:failed|not created|rejected|refused)\s*:\s*", re.IGNORECASE)
_HTTP: Final = re.compile(r"^(?:[A-Z]+ \S+ failed: )?([1-5]\d\d)\b")
_SNAKE: Final = re.compile(r"^([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b")
_HEX: Final = re.compile(r"0x[0-9a-fA-F]+")
_NUMBER: Final = re.compile(r"\d+(?:[.,]\d+)*")
MAX_CODE_CHARS: Final = 48


def error_code(message: str | None) -> str:
    if not message:
        return "(no message)"
    ethers = _ETHERS_CODE.search(message)
    if ethers:
        return ethers.group(1)
    rest = _PREFIX.sub("", message, count=1).strip()
    http = _HTTP.match(rest)
    if http:
        return f"HTTP {http.group(1)}"
    snake = _SNAKE.match(rest)
    if snake:
        return snake.group(1)
    masked = _NUMBER.sub("N", _HEX.sub("0x…", message.strip()))
    head = masked.split(":", 1)[0].strip()
    return head if len(head) <= MAX_CODE_CHARS else head[: MAX_CODE_CHARS - 1] + "…"
