"""JSON text as the original tool's `JSON.stringify` writes it, so a file or line it wrote and we
re-save stays byte for byte the same.

Python's `json.dumps` differs from JavaScript in one place that matters: numbers. Python writes
`1.3947236317444e-05`, `1e-07` and `100.0`; JavaScript writes `0.000013947236317444`, `1e-7` and
`100` (see `core.units.js_number_text`). Strings are escaped the same way by both (only `"`, `\\`
and control characters; other characters as UTF-8), but for a lone surrogate, which JavaScript
escapes as `\\udxxx` (Python could not encode it at all). Not-a-number and the infinities are
`null`, as in JavaScript. Layout: compact, or `JSON.stringify(x, null, indent)`'s.
"""

from __future__ import annotations

import json.encoder
import re
from collections.abc import Callable
from typing import Any, Final

from ama_tui.core.units import js_number_text

_escape: Final[Callable[[str], str]] = json.encoder.encode_basestring
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _string(text: str) -> str:
    quoted = _escape(text)
    if _LONE_SURROGATE.search(quoted) is None:
        return quoted
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", quoted)


def _number(value: int | float) -> str:
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return "null"
    return js_number_text(value)


def _key(key: object) -> str:
    """An object key as `json.dumps` turns it into a string (numbers as JavaScript writes them)."""
    if isinstance(key, str):
        return _string(key)
    if key is True or key is False:
        return _string("true" if key else "false")
    if key is None:
        return _string("null")
    if isinstance(key, int | float):
        return _string(_number(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _encode(value: Any, parts: list[str], indent: str | None, depth: int) -> None:
    if isinstance(value, str):
        parts.append(_string(value))
    elif value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, int | float):
        parts.append(_number(value))
    elif isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        inner, outer, colon = _layout(indent, depth)
        parts.append("{")
        for index, (key, item) in enumerate(value.items()):
            parts.append(inner if index == 0 else "," + inner)
            parts.append(_key(key))
            parts.append(colon)
            _encode(item, parts, indent, depth + 1)
        parts.append(outer + "}")
    elif isinstance(value, list | tuple):
        if not value:
            parts.append("[]")
            return
        inner, outer, _ = _layout(indent, depth)
        parts.append("[")
        for index, item in enumerate(value):
            parts.append(inner if index == 0 else "," + inner)
            _encode(item, parts, indent, depth + 1)
        parts.append(outer + "]")
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _layout(indent: str | None, depth: int) -> tuple[str, str, str]:
    """(before an item, before the closing bracket, between a key and its value)."""
    if indent is None:
        return "", "", ":"
    return "\n" + indent * (depth + 1), "\n" + indent * depth, ": "


def js_dumps(value: Any, *, indent: int | None = None) -> str:
    """`JSON.stringify(value)` (compact), or `JSON.stringify(value, null, indent)`."""
    parts: list[str] = []
    _encode(value, parts, None if indent is None else " " * indent, 0)
    return "".join(parts)
