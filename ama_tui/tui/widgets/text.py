"""Small pure formatting helpers shared by the widgets (times, durations, truncation)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Final

from ama_tui.core.units import (
    amount_human,
    format_amount18,
    format_fixed,
    format_price6,
    format_usdc6,
    usdc_human,
)

NONE: Final = "—"
"""What a cell shows when there is nothing to show."""


@lru_cache(maxsize=8192)
def price_text(value6: int, tick6: int) -> str:
    """`format_price6`, memoised: a dashboard formats the same prices ten times a second."""
    return format_price6(value6, tick6)


@lru_cache(maxsize=8192)
def amount_text(value18: int) -> str:
    """`format_amount18` (4 places), memoised."""
    return format_amount18(value18)


@lru_cache(maxsize=8192)
def usdc_text(value6: int) -> str:
    """`format_usdc6` (2 places), memoised."""
    return format_usdc6(value6)


def format_hms(seconds: float) -> str:
    """A duration as h:mm:ss (hours unbounded); negative durations read as 0:00:00."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def ago_text(seconds: float) -> str:
    """`12 s ago`, `4 min ago`, `2 h 5 min ago`, `3 d ago`."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86_400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min ago"
    return f"{seconds // 86_400} d ago"


def in_text(ahead_s: float) -> str:
    """`in 45 min`, `in 24 h`, `in 3 d` (rounded to the unit); `now` when not ahead."""
    seconds = round(ahead_s)
    if seconds <= 0:
        return "now"
    if seconds < 3600:
        return f"in {max(1, round(seconds / 60))} min"
    if seconds < 2 * 86_400:
        return f"in {round(seconds / 3600)} h"
    return f"in {round(seconds / 86_400)} d"


def utc_minute(unix_seconds: float) -> str:
    """`2026-01-02 00:00` (UTC)."""
    return datetime.fromtimestamp(int(unix_seconds), UTC).strftime("%Y-%m-%d %H:%M")


def utc_clock(unix_seconds: float) -> str:
    """HH:MM:SS in UTC, so every screen (and every test) shows the same time for the same event."""
    return _utc_clock(int(unix_seconds // 1))


@lru_cache(maxsize=4096)
def _utc_clock(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%H:%M:%S")


def truncate(text: str, width: int) -> str:
    """`text` on one line, cut to `width` characters with an ellipsis when longer."""
    flat = " ".join(text.split())
    if width <= 0:
        return ""
    if len(flat) <= width:
        return flat
    return flat[: width - 1] + "…"


NUMBER: Final = re.compile(r"[-+$]?[0-9][0-9,.]*[%:;)]?|[-+$]?[.,][0-9][0-9,.]*[%:;)]?")
"""A word that is (or starts with) a number: never cut in two."""


def clip_words(text: str, width: int) -> str:
    """`text` on one line, cut to `width` characters at a word boundary with an ellipsis. Only
    whole words are kept, so a number is never cut in two; a single word longer than the room
    is cut only when it is not a number (else just `…` remains)."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    if width <= 0:
        return ""
    room = width - 1
    kept = flat[:room]
    if flat[room] != " ":
        space = kept.rfind(" ")
        if space >= 0:
            kept = kept[:space]
        elif NUMBER.match(flat):
            kept = ""
    return kept.rstrip() + "…"


SUFFIXES: Final = (("k", 3), ("M", 6), ("B", 9), ("T", 12))


def fit_quantity(value: Decimal, places: int, width: int) -> str:
    """`value` grouped with `places` decimals, or with fewer, or in k/M/B/T, whatever fits in
    `width`: a number too wide for its column is rounded down, never cut."""
    for kept in range(places, -1, -1):
        text = format_fixed(value, kept)
        if len(text) <= width:
            return text
    for suffix, power in SUFFIXES:
        scaled = value.scaleb(-power)
        for kept in (1, 0):
            text = format_fixed(scaled, kept) + suffix
            if len(text) <= width:
                return text
    return "#" * width


def usdc_fit(value6: int, width: int) -> str:
    """`usdc_text`, or a shorter form of the same amount when it is wider than `width`."""
    text = usdc_text(value6)
    return text if len(text) <= width else fit_quantity(usdc_human(value6), 2, width)


def amount_fit(value18: int, width: int) -> str:
    """`amount_text`, or a shorter form of the same amount when it is wider than `width`."""
    text = amount_text(value18)
    return text if len(text) <= width else fit_quantity(amount_human(value18), 4, width)


def shows_zero(value6: int) -> bool:
    """Does this amount read as 0.00 at the dashboard's precision? (Then it is shown as zero:
    one form, never `+0.00` or `-0.00`.)"""
    return usdc_text(abs(value6)) == usdc_text(0)


def signed_usdc6(value6: int) -> str:
    """USDC with an explicit sign for non-zero values (PnL reads better as +1.20 / -0.35)."""
    if shows_zero(value6):
        return usdc_text(0)
    text = usdc_text(value6)
    return f"+{text}" if value6 > 0 else text


def short_address(address: str) -> str:
    """0x1234…abcd."""
    if len(address) <= 12:
        return address
    return f"{address[:6]}…{address[-4:]}"


def pnl_style(value6: int) -> str:
    if shows_zero(value6):
        return "dim"
    if value6 > 0:
        return "green"
    if value6 < 0:
        return "red"
    return "dim"


def signed_usdc_fit(value6: int, width: int) -> str:
    """`signed_usdc6` in at most `width` characters (a shorter form rather than a cut)."""
    if shows_zero(value6):
        return usdc_fit(0, width)
    if value6 > 0:
        return "+" + usdc_fit(value6, width - 1)
    return usdc_fit(value6, width)


SKIP_CODE: Final = re.compile(r"[A-Z][A-Z0-9_]*")


def split_skip_reason(reason: str) -> tuple[str, str]:
    """`"BELOW_MIN_SIZE: sell level 1: ..."` -> ("BELOW_MIN_SIZE", "sell level 1: ...");
    a reason without a leading code is all message ("", reason)."""
    code, sep, message = reason.partition(":")
    code = code.strip()
    if sep and SKIP_CODE.fullmatch(code):
        return code, message.strip()
    return "", reason.strip()


def code_label(code: str) -> str:
    """`BELOW_MIN_SIZE` -> `below min size`."""
    return code.lower().replace("_", " ")


def skip_label(reason: str) -> str:
    """The short, readable form of a skip reason: its code in words (`below min size`)."""
    code, message = split_skip_reason(reason)
    if code:
        return code_label(code)
    return clip_words(message, 24)
