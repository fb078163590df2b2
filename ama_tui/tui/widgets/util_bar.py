"""A utilization bar: how much of a wallet's collateral cap its resting orders reserve."""

from __future__ import annotations

from typing import Final

from rich.text import Text

WARN_BPS: Final = 7_000
"""At or above 70 % of the cap the bar turns yellow."""
HIGH_BPS: Final = 9_000
"""At or above 90 % of the cap the bar turns red."""

_EIGHTHS: Final = " ▏▎▍▌▋▊▉"


def utilization_style(bps: int) -> str:
    """green below 70 %, yellow below 90 %, red from 90 % (of the cap)."""
    if bps < WARN_BPS:
        return "green"
    if bps < HIGH_BPS:
        return "yellow"
    return "red"


def bar_cells(fraction: float, width: int) -> str:
    """A left-aligned bar of `width` cells filled to `fraction` (clamped to 0..1), in eighths."""
    if width <= 0:
        return ""
    fraction = min(1.0, max(0.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full
    if part and full < width:
        bar += _EIGHTHS[part]
    return bar.ljust(width)


def utilization_cell(bps: int, width: int = 6) -> tuple[str, str]:
    """(text, style) of a utilization cell: the bar then the percentage, e.g. `███▌   62%`."""
    percent = bps // 100
    return f"{bar_cells(bps / 10_000, width)} {percent:>3d}%", utilization_style(bps)


def utilization_text(bps: int, width: int = 6) -> Text:
    text, style = utilization_cell(bps, width)
    return Text(text, style=style, no_wrap=True)
