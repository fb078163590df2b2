"""One arena run: a strategy on the embedded exchange's virtual clock for a simulated duration,
then its reports, in a folder of its own.

The run's state folder (checkpoint, journal, wallet files) is a temporary folder inside the run's
folder, with its own lock folder, so runs side by side never share a lock; the journal is kept as
`actions.jsonl`, the rest removed. `result.json` is written last and atomically: a folder without
it is a run that did not finish."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TextIO

from ama_tui import __version__
from ama_tui.arena.bars import Bars, load_bars
from ama_tui.arena.cap_watch import CapWatch
from ama_tui.arena.charts import write_charts
from ama_tui.arena.equity import equity_curve
from ama_tui.arena.figures import Figures, SafetyCounts, as_json, compute_figures
from ama_tui.arena.ledger import FillRow, Ledger, book_fill, read_ledger, trades_of
from ama_tui.arena.progress import ProgressBar
from ama_tui.arena.report_md import render_report
from ama_tui.arena.sampling import SamplingClock
from ama_tui.arena.spec import ArenaInputError, RunSpec, file_sha256, strategy_slug
from ama_tui.arena.tables import FILLS_CSV, TRADES_CSV, utc_ms, write_fills, write_trades
from ama_tui.engine.live_params import LiveParams, ParamsError
from ama_tui.engine.packer import Packer, PackerOptions, RunSummary
from ama_tui.engine.run_setup import ResumeError, StartMode, prepare_run
from ama_tui.store import StateStore, StoreError, derive_wallets
from ama_tui.venues.base import Fill
from ama_tui.venues.sim import SimVenue
from ama_tui.wiring import SetupError, find_market

RESULT_JSON: Final = "result.json"
REPORT_MD: Final = "report.md"
JOURNAL: Final = "actions.jsonl"
BARS_CSV: Final = "bars.csv"
STATE_DIR: Final = "state.tmp"
RESULT_FORMAT: Final = 1
MAX_SAMPLES: Final = 2_000


class ArenaInterrupted(RuntimeError):
    """The run was stopped before its end (Ctrl+C): nothing of it is reported."""


@dataclass(frozen=True, slots=True)
class RunOutcome:
    folder: Path
    result: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """The one-line result: the figures a person looks at first, and where the rest is."""
        fig, inputs = self.result["figures"], self.result["inputs"]
        return {
            "strategy": inputs["strategy"],
            "market": inputs["market"],
            "preset": inputs["preset"],
            "seed": inputs["seed"],
            "pnl": fig["pnl"]["total"],
            "return": fig["return"],
            "maxDrawdown": fig["maxDrawdown"],
            "sharpe": fig["sharpe"],
            "trades": fig["trades"]["count"],
            "winRate": fig["trades"]["winRate"],
            "fills": fig["fills"]["count"],
            "takerFills": fig["safety"]["takerFills"],
            "capBreaches": fig["safety"]["capBreaches"],
            "stopReason": self.result["run"]["stopReason"],
            "folder": str(self.folder),
        }


def add_unjournaled_fills(
    ledger: Ledger, exchange_fills: Sequence[Fill], nicknames: dict[str, str], spec: RunSpec
) -> None:
    """The exchange's fills of our wallets that the journal lacks (by fill id), added to the ledger."""
    for fill in exchange_fills:
        if fill.fill_id in ledger.fill_ids:
            continue
        ledger.unjournaled_fills += 1
        book_fill(
            ledger,
            ts_ms=round(fill.timestamp * 1000),
            wallet=nicknames.get(fill.trader.lower(), fill.trader),
            is_buy=fill.is_buy,
            price6=fill.price6,
            amount18=fill.amount18,
            order_id=fill.order_id,
            is_maker=fill.is_maker,
            maker_fee_bps=spec.maker_fee_bps,
            taker_fee_bps=spec.taker_fee_bps,
        )


def positions_of(fills: Sequence[FillRow], wallets: Iterable[str]) -> dict[str, int]:
    """Each wallet's position from the journal's fills (to check against the exchange's)."""
    sizes = dict.fromkeys(wallets, 0)
    for fill in fills:
        sizes[fill.wallet] = sizes.get(fill.wallet, 0) + (fill.amount18 if fill.is_buy else -fill.amount18)
    return sizes


def sample_step_ms(duration_s: float) -> int:
    """Whole seconds, at most MAX_SAMPLES steps over the run."""
    return max(1, -(-int(duration_s) // MAX_SAMPLES)) * 1000


def run_id_of(spec: RunSpec) -> str:
    return f"arena-{strategy_slug(spec.strategy)}-{spec.preset.lower()}-seed{spec.seed}"


def resolve_bars(spec: RunSpec) -> Bars | None:
    return load_bars(spec.bars) if spec.bars is not None else None


def run_duration_s(spec: RunSpec, bars: Bars | None) -> float:
    """The spec's duration; with bars and none given (0), the bars' span."""
    if spec.duration_s > 0:
        return spec.duration_s
    if bars is not None and bars.span_s > 0:
        return float(bars.span_s)
    raise ArenaInputError("--duration is needed (the bars span no time)")


def expected_inputs(
    spec: RunSpec, bars: Bars | None, strategy_sha: str | None, duration_s: float
) -> dict[str, Any]:
    """What a finished run of `spec` records as its inputs (how `compare` knows a run is done)."""
    inputs = spec.inputs(bars_sha256=bars.sha256() if bars else None, strategy_sha256=strategy_sha)
    inputs["durationS"] = int(duration_s) if float(duration_s).is_integer() else duration_s
    return inputs


def strategy_sha256(spec: RunSpec) -> str | None:
    file = spec.strategy_file()
    if file is None:
        return None
    try:
        return file_sha256(file)
    except OSError:
        raise ArenaInputError(f"no strategy file at {file}") from None


def write_json_atomic(path: Path, document: dict[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def run_one(
    spec: RunSpec,
    folder: Path,
    *,
    err: TextIO | None = None,
    stop: threading.Event | None = None,
    on_time: Callable[[float], None] | None = None,
) -> RunOutcome:
    """Run `spec` into `folder` (made empty first) and write its reports. Raises ArenaInputError for
    bad input (nothing run)."""
    stop = stop or threading.Event()
    bars = resolve_bars(spec)
    duration_s = run_duration_s(spec, bars)
    strategy_file = spec.strategy_file()
    strategy_sha = strategy_sha256(spec)
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    sim_options: dict[str, Any] = {}
    if bars is not None:
        (folder / BARS_CSV).write_text(bars.canonical_csv(), encoding="utf-8")
        sim_options = {
            "ohlcv_csv": folder / BARS_CSV,
            "ohlcv_symbol": spec.market,
            "start_time": bars.first_ts,
        }
    try:
        sim = SimVenue(spec.seed, preset=spec.preset, clock="virtual", **sim_options)
    except (KeyError, ValueError) as exc:
        raise ArenaInputError(f"cannot start the embedded exchange: {exc}") from None
    state = folder / STATE_DIR
    try:
        row, info = find_market(sim, spec.market)
        store = StateStore(state, lock_dir=state / "locks").market(info.chain_id, info.order_book)
        store.open()
    except SetupError as exc:
        sim.close()
        raise ArenaInputError(str(exc)) from None
    try:
        fleet = list(derive_wallets(spec.seed, spec.wallets))
        addresses = [w.address for w in fleet]
        capital6 = sum(sim.available_collateral(addresses).values())
        try:
            start = prepare_run(
                store,
                market=row.to_market_ref(),
                wallets=fleet,
                mode=StartMode.FRESH,
                now=sim.clock.now(),
                overrides=dict(spec.overrides),
                run_id=run_id_of(spec),
                strategy=spec.strategy,
            )
        except (ParamsError, ResumeError) as exc:
            raise ArenaInputError(str(exc)) from None
        params = LiveParams(start.checkpoint.config, start.checkpoint.packer_params, start.strategy_params)
        bar = ProgressBar(err, f"{strategy_slug(spec.strategy)} {spec.preset} seed {spec.seed}", duration_s)

        def tick(done_s: float) -> None:
            bar.update(done_s)
            if on_time is not None:
                on_time(done_s)

        watch = CapWatch(
            sim, utilization_bps=lambda: params.current().packer.utilization_bps, margin_bps=info.margin_bps
        )
        clock = SamplingClock(sim, info.order_book, sample_step_ms(duration_s), on_time=tick)
        watch.clock = clock
        packer = Packer(
            venue=watch,
            store=store,
            market=info,
            wallets=fleet,
            start=start,
            params=params,
            options=PackerOptions.for_run(
                virtual_time=True, max_in_flight=None, dry_run=False, seed=spec.seed
            ),
        )
        fills_cursor = sim.fills_cursor(info.order_book)
        summary = packer.run(stop, duration_s=duration_s)
        if stop.is_set():
            raise ArenaInterrupted(
                f"{run_id_of(spec)} interrupted after {clock.now() - clock.start_ms / 1000:.0f} s"
            )
        clock.sample_now()
        bar.close()
        lines = list(store.iter_journal())
        audit = sim.audit()
        exchange_fills = sim.fills_since(info.order_book, addresses, fills_cursor).fills
        held = sim.positions(info.order_book, addresses)
        exchange_positions = {w.nickname: held[w.address].size18 if w.address in held else 0 for w in fleet}
    finally:
        store.close()
        sim.close()
    shutil.copyfile(store.folder / JOURNAL, folder / JOURNAL)
    shutil.rmtree(state, ignore_errors=True)

    ledger = read_ledger(lines, maker_fee_bps=spec.maker_fee_bps, taker_fee_bps=spec.taker_fee_bps)
    nicknames = {w.address.lower(): w.nickname for w in fleet}
    add_unjournaled_fills(ledger, exchange_fills, nicknames, spec)
    trades = trades_of(ledger.fills)
    curve = equity_curve(clock.samples, ledger.fills, capital6)
    safety = SafetyCounts(audit.taker_fills, len(watch.breaches), audit.self_matches)
    figures = compute_figures(
        ledger, trades, curve, capital6=capital6, step_s=clock.step_ms / 1000, safety=safety
    )
    write_fills(folder / FILLS_CSV, ledger.fills)
    write_trades(folder / TRADES_CSV, trades)
    title = f"{strategy_file.name if strategy_file else spec.strategy} {spec.preset} seed {spec.seed}"
    charts = write_charts(folder, curve, ledger.fills, figures.lifetimes_ms, title)
    result = _result(spec, summary, figures, clock, bars, strategy_sha, duration_s, charts, watch.breaches)
    result["run"]["unjournaledFills"] = ledger.unjournaled_fills
    result["run"]["positionsMatchExchange"] = (
        positions_of(ledger.fills, exchange_positions) == exchange_positions
    )
    notes = list(bars.gaps) if bars is not None else []
    notes += watch.breaches[:10]
    if ledger.unjournaled_fills:
        notes.append(
            f"{ledger.unjournaled_fills} fills of the run's last moments were not in the journal when it "
            "stopped (the engine journals fills at its next cycle's read): they are counted from the "
            "exchange's own record"
        )
    if not result["run"]["positionsMatchExchange"]:
        notes.append("the journal's fills do not add up to the positions the exchange holds at the end")
    (folder / REPORT_MD).write_text(render_report(result, charts, notes), encoding="utf-8")
    write_json_atomic(folder / RESULT_JSON, result)
    return RunOutcome(folder, result)


def _result(
    spec: RunSpec,
    summary: RunSummary,
    figures: Figures,
    clock: SamplingClock,
    bars: Bars | None,
    strategy_sha: str | None,
    duration_s: float,
    charts: list[str],
    breaches: list[str],
) -> dict[str, Any]:
    inputs = expected_inputs(spec, bars, strategy_sha, duration_s)
    end_ms = clock.samples[-1].ts_ms if clock.samples else clock.start_ms
    return {
        "format": "ama-tui arena result",
        "formatVersion": RESULT_FORMAT,
        "versions": {"amaTui": __version__, "python": platform.python_version()},
        "inputs": inputs,
        "seed": spec.seed,
        "run": {
            "runId": summary.run_id,
            "start": utc_ms(clock.start_ms),
            "end": utc_ms(end_ms),
            "simulatedS": (end_ms - clock.start_ms) / 1000,
            "cycles": summary.cycles,
            "placed": summary.placed,
            "cancelled": summary.cancelled,
            "fills": summary.fills,
            "errors": summary.errors,
            "skipped": summary.skipped,
            "stopReason": summary.stop_reason,
            "killSwitch": summary.kill_switch,
            "strategyStopped": summary.strategy_stopped,
        },
        "figures": as_json(figures),
        "bars": None
        if bars is None
        else {"rows": len(bars.rows), "stepS": bars.step_s, "gaps": len(bars.gaps)},
        "capBreachExamples": breaches[:10],
        "files": [REPORT_MD, FILLS_CSV, TRADES_CSV, JOURNAL, *charts],
    }


def check_spec(spec: RunSpec) -> dict[str, Any]:
    """Everything about `spec` that can be wrong, checked without running it (the market, the
    strategy, its parameters, the bars); the inputs a finished run of it records. Raises
    ArenaInputError naming the problem."""
    bars = resolve_bars(spec)
    duration_s = run_duration_s(spec, bars)
    strategy_sha = strategy_sha256(spec)
    sim = SimVenue(spec.seed, preset=spec.preset, clock="virtual")
    try:
        row, info = find_market(sim, spec.market)
        with tempfile.TemporaryDirectory(prefix="ama-arena-check-") as folder:
            state = Path(folder)
            with StateStore(state, lock_dir=state / "locks").market(info.chain_id, info.order_book) as store:
                prepare_run(
                    store,
                    market=row.to_market_ref(),
                    wallets=list(derive_wallets(spec.seed, 1)),
                    mode=StartMode.FRESH,
                    now=sim.clock.now(),
                    overrides=dict(spec.overrides),
                    run_id=run_id_of(spec),
                    strategy=spec.strategy,
                )
    except (SetupError, ParamsError, ResumeError, StoreError) as exc:
        raise ArenaInputError(str(exc)) from None
    finally:
        sim.close()
    return expected_inputs(spec, bars, strategy_sha, duration_s)
