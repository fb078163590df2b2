"""Small pure formatting helpers shared by the widgets (times, durations, truncation)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Final

from ama_tui.core.units import format_amount18, format_price6, format_usdc6

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


def signed_usdc6(value6: int) -> str:
    """USDC with an explicit sign for non-zero values (PnL reads better as +1.20 / -0.35)."""
    text = usdc_text(value6)
    return f"+{text}" if value6 > 0 else text


def short_address(address: str) -> str:
    """0x1234…abcd."""
    if len(address) <= 12:
        return address
    return f"{address[:6]}…{address[-4:]}"


def pnl_style(value6: int) -> str:
    if value6 > 0:
        return "green"
    if value6 < 0:
        return "red"
    return "dim"
