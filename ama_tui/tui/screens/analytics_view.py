"""What the analytics screen draws of a journal report: each market's series as plot lines
(minutes from the journal's first line; floats for drawing only), and a one-line summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ama_tui.analytics.model import MarketSeries, Point, Report
from ama_tui.tui.widgets.term_plot import Line


def lines_of(report: Report, pick: Callable[[MarketSeries], Sequence[Point]]) -> list[Line]:
    """One line per market of the series `pick` chooses, over minutes since the first line."""
    start = report.first_ms or 0
    out: list[Line] = []
    for series in report.series:
        points = pick(series)
        out.append(
            Line(
                series.label,
                [(p.ts_ms - start) / 60_000 for p in points],
                [float(p.value) for p in points],
            )
        )
    return out


def summary(report: Report, title: str) -> str:
    """`ETH-USD · 1 journal · 135 lines · 2 malformed lines skipped`."""
    parts = [
        title,
        f"{len(report.files)} journal{'s' if len(report.files) != 1 else ''}",
        f"{report.lines:,} lines",
    ]
    if report.malformed:
        parts.append(f"{report.malformed:,} malformed line{'s' if report.malformed != 1 else ''} skipped")
    return " · ".join(parts)


def size_text(paths: Sequence[Path]) -> str:
    """The journals' total size, for the loading line."""
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            continue
    if total >= 1_000_000:
        return f"{total / 1_000_000:.1f} MB"
    return f"{total / 1000:.1f} kB"
