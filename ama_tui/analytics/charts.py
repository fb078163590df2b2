"""PNG charts of the report (matplotlib, Agg backend: no display needed). Floats only here, for
drawing; a chart with nothing to draw is not written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ama_tui.analytics.model import MarketSeries, Point, Report

Chart = tuple[str, str]
"""(title, file name)."""


def _times(points: Sequence[Point]) -> list[datetime]:
    return [datetime.fromtimestamp(p.ts_ms / 1_000, UTC) for p in points]


def _save(figure: Figure, out_dir: Path, name: str) -> None:
    figure.tight_layout()
    figure.savefig(out_dir / name, dpi=100)
    plt.close(figure)


def _series_chart(
    report: Report,
    out_dir: Path,
    name: str,
    title: str,
    unit: str,
    pick: Callable[[MarketSeries], Sequence[tuple[str, Sequence[Point]]]],
) -> Chart | None:
    lines = [(f"{s.label[:14]} {what}".strip(), pts) for s in report.series for what, pts in pick(s) if pts]
    if not lines:
        return None
    figure, axes = plt.subplots(figsize=(9, 4))
    ax: Axes = axes
    for label, points in lines:
        ax.step(_times(points), [float(p.value) for p in points], where="post", label=label)  # type: ignore[arg-type]
    ax.set_title(title)
    ax.set_ylabel(unit)
    ax.grid(True, alpha=0.3)
    if len(lines) > 1:
        ax.legend(fontsize="small")
    figure.autofmt_xdate()
    _save(figure, out_dir, name)
    return title, name


def _lifetime_chart(report: Report, out_dir: Path) -> Chart | None:
    buckets = report.lifetimes.histogram
    if not buckets or not any(b.count for b in buckets):
        return None
    figure, axes = plt.subplots(figsize=(9, 4))
    ax: Axes = axes
    ax.bar(range(len(buckets)), [b.count for b in buckets])
    ax.set_xticks(range(len(buckets)), [b.label for b in buckets], rotation=30, ha="right", fontsize="small")
    ax.set_ylabel("orders")
    title = "Order lifetimes"
    ax.set_title(title)
    _save(figure, out_dir, "lifetimes.png")
    return title, "lifetimes.png"


def _errors_chart(report: Report, out_dir: Path) -> Chart | None:
    codes = report.errors_by_code[:12]
    if not codes:
        return None
    figure, axes = plt.subplots(figsize=(9, 0.4 * len(codes) + 1.2))
    ax: Axes = axes
    ax.barh([c.key[:40] for c in reversed(codes)], [c.count for c in reversed(codes)])
    title = "Errors by code"
    ax.set_title(title)
    ax.set_xlabel("errors")
    _save(figure, out_dir, "errors.png")
    return title, "errors.png"


def write_charts(report: Report, out_dir: Path) -> list[Chart]:
    """Write the charts that have data into `out_dir`; (title, file name) of each."""
    out_dir.mkdir(parents=True, exist_ok=True)
    made = [
        _lifetime_chart(report, out_dir),
        _series_chart(
            report,
            out_dir,
            "resting_margin.png",
            "Margin held by resting orders",
            "USDC",
            lambda s: [("", s.resting_margin)],
        ),
        _series_chart(
            report, out_dir, "position.png", "Net position", "base units", lambda s: [("", s.position)]
        ),
        _series_chart(
            report,
            out_dir,
            "pnl.png",
            "PnL (marked to the last fill)",
            "USDC",
            lambda s: [("realized", s.realized_pnl), ("total", s.total_pnl)],
        ),
        _errors_chart(report, out_dir),
    ]
    return [chart for chart in made if chart is not None]
