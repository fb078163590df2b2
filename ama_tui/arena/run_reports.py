"""A finished run's folder: result.json, report.md, fills.csv, trades.csv, equity.csv and the charts, all made
from what the run recorded (`RunRecord`). `result.json` is written last and atomically: a folder
without it is a run that did not finish."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ama_tui import __version__
from ama_tui.arena.bars import Bars
from ama_tui.arena.charts import write_charts
from ama_tui.arena.equity import Sample, equity_curve
from ama_tui.arena.figures import Figures, SafetyCounts, as_json, compute_figures
from ama_tui.arena.ledger import FillRow, Ledger, book_fill, read_ledger, trades_of
from ama_tui.arena.report_md import render_report
from ama_tui.arena.spec import RunSpec
from ama_tui.arena.tables import (
    EQUITY_CSV,
    FILLS_CSV,
    TRADES_CSV,
    utc_ms,
    write_equity,
    write_fills,
    write_trades,
)
from ama_tui.core.models import ActionLogLine
from ama_tui.engine.packer import RunSummary
from ama_tui.venues.base import Fill
from ama_tui.venues.sim import SimAudit

RESULT_JSON: Final = "result.json"
REPORT_MD: Final = "report.md"
JOURNAL: Final = "actions.jsonl"
RESULT_FORMAT: Final = 1


@dataclass(frozen=True, slots=True)
class RunRecord:
    """Everything a run leaves to be reported."""

    summary: RunSummary
    lines: list[ActionLogLine]
    """The run's journal."""
    audit: SimAudit
    exchange_fills: tuple[Fill, ...]
    """The exchange's own record of our wallets' fills over the run."""
    exchange_positions: dict[str, int]
    """Nickname -> the position the exchange holds at the end."""
    nicknames: dict[str, str]
    """Lower-case address -> nickname."""
    samples: list[Sample]
    step_ms: int
    start_ms: int
    capital6: int
    cap_breaches: list[str]


def write_json_atomic(path: Path, document: dict[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def add_unjournaled_fills(ledger: Ledger, record: RunRecord, spec: RunSpec) -> None:
    """The exchange's fills of our wallets that the journal lacks (by fill id), added to the ledger:
    the engine journals fills at its next cycle's read, so a fill of the run's last moments (a take
    in the final cycle) has no line yet."""
    for fill in record.exchange_fills:
        if fill.fill_id in ledger.fill_ids:
            continue
        ledger.unjournaled_fills += 1
        book_fill(
            ledger,
            ts_ms=round(fill.timestamp * 1000),
            wallet=record.nicknames.get(fill.trader.lower(), fill.trader),
            is_buy=fill.is_buy,
            price6=fill.price6,
            amount18=fill.amount18,
            order_id=fill.order_id,
            is_maker=fill.is_maker,
            maker_fee_bps=spec.maker_fee_bps,
            taker_fee_bps=spec.taker_fee_bps,
        )


def positions_of(fills: Sequence[FillRow], wallets: Iterable[str]) -> dict[str, int]:
    """Each wallet's position from the ledger's fills (to check against the exchange's)."""
    sizes = dict.fromkeys(wallets, 0)
    for fill in fills:
        sizes[fill.wallet] = sizes.get(fill.wallet, 0) + (fill.amount18 if fill.is_buy else -fill.amount18)
    return sizes


def write_run_reports(
    spec: RunSpec, folder: Path, record: RunRecord, inputs: dict[str, Any], bars: Bars | None
) -> dict[str, Any]:
    """Write the run's files into `folder`; the result (as result.json holds it)."""
    ledger = read_ledger(record.lines, maker_fee_bps=spec.maker_fee_bps, taker_fee_bps=spec.taker_fee_bps)
    add_unjournaled_fills(ledger, record, spec)
    trades = trades_of(ledger.fills)
    curve = equity_curve(record.samples, ledger.fills, record.capital6)
    safety = SafetyCounts(record.audit.taker_fills, len(record.cap_breaches), record.audit.self_matches)
    figures = compute_figures(
        ledger, trades, curve, capital6=record.capital6, step_s=record.step_ms / 1000, safety=safety
    )
    write_fills(folder / FILLS_CSV, ledger.fills)
    write_trades(folder / TRADES_CSV, trades)
    write_equity(folder / EQUITY_CSV, curve)
    title = f"{inputs['strategy']} {spec.preset} seed {spec.seed}"
    charts = write_charts(folder, curve, ledger.fills, figures.lifetimes_ms, title)
    matches = positions_of(ledger.fills, record.exchange_positions) == record.exchange_positions
    result = _result(spec, record, figures, inputs, bars, charts, ledger.unjournaled_fills, matches)
    notes = list(bars.gaps) if bars is not None else []
    notes += record.cap_breaches[:10]
    if ledger.unjournaled_fills:
        notes.append(
            f"{ledger.unjournaled_fills} fills of the run's last moments were not in the journal when it "
            "stopped (the engine journals fills at its next cycle's read): they are counted from the "
            "exchange's own record"
        )
    if not matches:
        notes.append("the journal's fills do not add up to the positions the exchange holds at the end")
    (folder / REPORT_MD).write_text(render_report(result, charts, notes), encoding="utf-8")
    write_json_atomic(folder / RESULT_JSON, result)
    return result


def _result(
    spec: RunSpec,
    record: RunRecord,
    figures: Figures,
    inputs: dict[str, Any],
    bars: Bars | None,
    charts: list[str],
    unjournaled: int,
    positions_match: bool,
) -> dict[str, Any]:
    summary = record.summary
    end_ms = record.samples[-1].ts_ms if record.samples else record.start_ms
    return {
        "format": "ama-tui arena result",
        "formatVersion": RESULT_FORMAT,
        "versions": {"amaTui": __version__, "python": platform.python_version()},
        "inputs": inputs,
        "seed": spec.seed,
        "run": {
            "runId": summary.run_id,
            "start": utc_ms(record.start_ms),
            "end": utc_ms(end_ms),
            "simulatedS": (end_ms - record.start_ms) / 1000,
            "cycles": summary.cycles,
            "placed": summary.placed,
            "cancelled": summary.cancelled,
            "fills": summary.fills,
            "errors": summary.errors,
            "skipped": summary.skipped,
            "stopReason": summary.stop_reason,
            "killSwitch": summary.kill_switch,
            "strategyStopped": summary.strategy_stopped,
            "unjournaledFills": unjournaled,
            "positionsMatchExchange": positions_match,
        },
        "figures": as_json(figures),
        "bars": None
        if bars is None
        else {"rows": len(bars.rows), "stepS": bars.step_s, "gaps": len(bars.gaps)},
        "capBreachExamples": record.cap_breaches[:10],
        "files": [REPORT_MD, FILLS_CSV, TRADES_CSV, EQUITY_CSV, JOURNAL, *charts],
    }
