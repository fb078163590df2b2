"""What the Arena screen shows of a comparison: the leaderboard's rows (from leaderboard.json's
ranking), a run's progress cell, and a run's equity curve (from its equity.csv)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from ama_tui.arena.tables import EQUITY_CSV

BAR_WIDTH: Final = 10
LEADERBOARD_COLUMNS: Final = (
    "#",
    "strategy",
    "runs",
    "PnL mean ± sd",
    "PnL 95 % CI",
    "max drawdown",
    "Sharpe",
    "win rate",
    "fills",
    "taker",
    "cap",
)


def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def progress_bar(done_s: float, total_s: float) -> str:
    """`█████░░░░░`: the share of the run's simulated duration done."""
    share = min(1.0, done_s / total_s) if total_s > 0 else 1.0
    filled = int(share * BAR_WIDTH)
    return f"{'█' * filled}{'░' * (BAR_WIDTH - filled)}"


def sim_time(done_s: float, total_s: float) -> str:
    """`2m30s/5m00s`: simulated time done of the run's duration."""
    return f"{clock(done_s)}/{clock(total_s)}"


def run_label(strategy: str, preset: str, seed: int) -> str:
    """`packer REALISTIC s2`."""
    return f"{strategy} {preset} s{seed}"


def _text(value: Any, places: int) -> str:
    if value is None:
        return "–"
    try:
        return str(Decimal(str(value)).quantize(Decimal(1).scaleb(-places)))
    except InvalidOperation:
        return str(value)


def _spread(value: dict[str, Any] | None, places: int = 2) -> str:
    if not value:
        return "–"
    mean = _text(value.get("mean"), places)
    stdev = value.get("stdev")
    return mean if stdev is None else f"{mean} ± {_text(stdev, places)}"


def _interval(value: dict[str, Any] | None) -> str:
    if not value or value.get("ci95Low") is None or value.get("ci95High") is None:
        return "–"
    return f"[{_text(value['ci95Low'], 2)}, {_text(value['ci95High'], 2)}]"


def leaderboard_rows(board: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per strategy, as ranked over every preset."""
    return [
        (
            str(row["rank"]),
            str(row["strategy"]),
            str(row["runs"]),
            _spread(row["pnl"]),
            _interval(row["pnl"]),
            _spread(row["maxDrawdown"]),
            _spread(row["sharpe"]),
            _spread(row["winRate"], 3),
            _spread(row["fills"], 0),
            str(row["takerFills"]),
            str(row["capBreaches"]),
        )
        for row in board["ranking"]
    ]


@dataclass(frozen=True, slots=True)
class EquitySeries:
    minutes: list[float]
    equity: list[float]
    """USDC, for drawing only."""
    drawdown: list[float]


def read_equity(folder: Path) -> EquitySeries | None:
    """The run's equity curve from `folder/equity.csv`, or None when it has none (a run written
    before the arena kept one, or not finished)."""
    try:
        with (folder / EQUITY_CSV).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError:
        return None
    try:
        start = int(rows[0]["ts_ms"]) if rows else 0
        return EquitySeries(
            minutes=[(int(r["ts_ms"]) - start) / 60_000 for r in rows],
            equity=[float(r["equity"]) for r in rows],
            drawdown=[-float(r["drawdown"]) for r in rows],
        )
    except (KeyError, ValueError):
        return None
