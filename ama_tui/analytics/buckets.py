"""Time buckets for the series: a round width giving at most `MAX_POINTS` points over the span."""

from __future__ import annotations

from typing import Final

MAX_POINTS: Final = 240
WIDTHS_MS: Final = (
    1_000,
    5_000,
    10_000,
    30_000,
    60_000,
    300_000,
    900_000,
    1_800_000,
    3_600_000,
    21_600_000,
    86_400_000,
    604_800_000,
)


def bucket_width_ms(first_ms: int | None, last_ms: int | None) -> int:
    """The smallest round width that keeps the span within `MAX_POINTS` buckets."""
    if first_ms is None or last_ms is None:
        return WIDTHS_MS[0]
    span = max(0, last_ms - first_ms)
    for width in WIDTHS_MS:
        if span // width < MAX_POINTS:
            return width
    return -(-span // MAX_POINTS)  # over ~4.6 years: whatever width fits


def bucket_end(ts_ms: int, width_ms: int) -> int:
    """The (exclusive) end of the bucket holding `ts_ms`: where its point is drawn."""
    return ts_ms // width_ms * width_ms + width_ms
