"""A run's pictures (matplotlib, Agg backend): equity and drawdown, position, fills on the price
path, and the distribution of order lifetimes. Floats only here, for drawing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ama_tui.arena.equity import EquityPoint, drawdowns6
from ama_tui.arena.ledger import FillRow
from ama_tui.core.units import AMOUNT_SCALE, PRICE_SCALE, USDC_SCALE

EQUITY_PNG = "equity.png"
POSITION_PNG = "position.png"
FILLS_PNG = "fills.png"
LIFETIMES_PNG = "lifetimes.png"
CHARTS = (
    ("Equity and drawdown", EQUITY_PNG),
    ("Position", POSITION_PNG),
    ("Fills on the price path", FILLS_PNG),
    ("Order lifetimes", LIFETIMES_PNG),
)
_METADATA = {"Software": None}
"""No matplotlib version in the file: the same run draws the same bytes."""


def _minutes(ts_ms: int, start_ms: int) -> float:
    return (ts_ms - start_ms) / 60_000


def _save(figure: Figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=90, metadata=_METADATA)
    plt.close(figure)


def write_charts(
    out_dir: Path,
    curve: Sequence[EquityPoint],
    fills: Sequence[FillRow],
    lifetimes_ms: Sequence[int],
    title: str,
) -> list[str]:
    """Write the four pictures; the file names written."""
    if not curve:
        return []
    start = curve[0].ts_ms
    times = [_minutes(p.ts_ms, start) for p in curve]

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True, height_ratios=(3, 2))
    top.plot(times, [p.equity6 / USDC_SCALE for p in curve], color="tab:blue", linewidth=1)
    top.set_ylabel("equity (USDC)")
    top.set_title(f"Equity and drawdown: {title}")
    top.ticklabel_format(axis="y", useOffset=False, style="plain")
    bottom.fill_between(
        times, [-d / USDC_SCALE for d in drawdowns6([p.equity6 for p in curve])], color="tab:red"
    )
    bottom.set_ylabel("drawdown (USDC)")
    bottom.set_xlabel("simulated minutes")
    _save(figure, out_dir / EQUITY_PNG)

    figure, ax = plt.subplots(figsize=(9, 3.5))
    ax.step(times, [p.position18 / AMOUNT_SCALE for p in curve], where="post", label="fleet net")
    ax.step(
        times, [p.gross18 / AMOUNT_SCALE for p in curve], where="post", label="sum of |wallet|", alpha=0.6
    )
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_title(f"Position: {title}")
    ax.set_ylabel("base units")
    ax.set_xlabel("simulated minutes")
    ax.legend(loc="upper left", fontsize="small")
    _save(figure, out_dir / POSITION_PNG)

    figure, ax = plt.subplots(figsize=(9, 4))
    ax.plot(times, [p.mark6 / PRICE_SCALE for p in curve], color="grey", linewidth=1, label="mid")
    for is_buy, color, marker, label in ((True, "tab:green", "^", "buy"), (False, "tab:red", "v", "sell")):
        side = [f for f in fills if f.is_buy is is_buy]
        ax.scatter(
            [_minutes(f.ts_ms, start) for f in side],
            [f.price6 / PRICE_SCALE for f in side],
            s=12,
            color=color,
            marker=marker,
            label=f"{label} fills ({len(side)})",
        )
    ax.set_title(f"Fills on the price path: {title}")
    ax.set_ylabel("price")
    ax.set_xlabel("simulated minutes")
    ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    ax.legend(loc="upper left", fontsize="small")
    _save(figure, out_dir / FILLS_PNG)

    figure, ax = plt.subplots(figsize=(9, 3.5))
    if lifetimes_ms:
        ax.hist([ms / 1000 for ms in lifetimes_ms], bins=40, color="tab:purple")
    else:
        ax.text(0.5, 0.5, "no order ended", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(f"Order lifetimes (placement to cancel or complete fill): {title}")
    ax.set_xlabel("seconds")
    ax.set_ylabel("orders")
    _save(figure, out_dir / LIFETIMES_PNG)
    return [name for _, name in CHARTS]
