"""How figures read as text: durations, times, ratios, money and sizes (shared by renderers)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from ama_tui.core.units import format_fixed


def duration(ms: float | None) -> str:
    if ms is None:
        return "–"
    if ms < 1_000:
        return f"{ms:.0f} ms"
    seconds = ms / 1_000
    if seconds < 60:
        return f"{seconds:.2f} s"
    if seconds < 3_600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86_400:
        return f"{seconds / 3_600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def utc_time(ms: int | None) -> str:
    if ms is None:
        return "–"
    return datetime.fromtimestamp(ms / 1_000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ratio(value: Decimal | None) -> str:
    if value is None:
        return "–"
    return f"{value:.4f} ({value * 100:.2f} %)"


def fixed(value: Decimal | None, places: int, *, signed: bool = False) -> str:
    """Rounded toward zero; a zero has one form (never -0.00 or +0.00)."""
    if value is None:
        return "–"
    text = format_fixed(value, places)
    if text.lstrip("-").replace("0", "").replace(".", "").replace(",", "") == "":
        return text.lstrip("-")
    return f"+{text}" if signed and not text.startswith("-") else text


def money(value: Decimal | None) -> str:
    return fixed(value, 2, signed=True)


def size(value: Decimal | None) -> str:
    return fixed(value, 4)
