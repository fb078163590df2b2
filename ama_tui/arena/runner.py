"""One arena run: a strategy on the embedded exchange's virtual clock for a simulated duration,
then its reports (`run_reports`), in a folder of its own.

The run's state folder (checkpoint, journal, wallet files) is a temporary folder inside the run's
folder, with its own lock folder, so runs side by side never share a lock; the journal is kept as
`actions.jsonl`, the rest removed."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TextIO

from ama_tui.arena.bars import Bars, load_bars
from ama_tui.arena.cap_watch import CapWatch
from ama_tui.arena.progress import ProgressBar
from ama_tui.arena.run_reports import JOURNAL, RESULT_JSON, RunRecord, write_run_reports
from ama_tui.arena.sampling import SamplingClock
from ama_tui.arena.spec import ArenaInputError, RunSpec, file_sha256, strategy_slug
from ama_tui.engine.live_params import LiveParams, ParamsError
from ama_tui.engine.packer import Packer, PackerOptions
from ama_tui.engine.run_setup import ResumeError, StartMode, prepare_run
from ama_tui.store import StateStore, StoreError, derive_wallets
from ama_tui.venues.sim import SimVenue
from ama_tui.wiring import SetupError, find_market

__all__ = ["RESULT_JSON", "ArenaInterrupted", "RunOutcome", "check_spec", "run_one"]

BARS_CSV: Final = "bars.csv"
STATE_DIR: Final = "state.tmp"
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


def run_one(
    spec: RunSpec,
    folder: Path,
    *,
    err: TextIO | None = None,
    stop: threading.Event | None = None,
    on_time: Callable[[float], None] | None = None,
) -> RunOutcome:
    """Run `spec` into `folder` (made empty first) and write its reports. Raises ArenaInputError for
    bad input (nothing run), ArenaInterrupted when `stop` is set before the end (nothing reported)."""
    bars = resolve_bars(spec)
    duration_s = run_duration_s(spec, bars)
    inputs = expected_inputs(spec, bars, strategy_sha256(spec), duration_s)
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
    bar = ProgressBar(err, f"{strategy_slug(spec.strategy)} {spec.preset} seed {spec.seed}", duration_s)

    def tick(done_s: float) -> None:
        bar.update(done_s)
        if on_time is not None:
            on_time(done_s)

    try:
        record = _simulate(spec, sim, folder / STATE_DIR, duration_s, stop or threading.Event(), tick)
    finally:
        sim.close()
        bar.close()
    shutil.rmtree(folder / STATE_DIR, ignore_errors=True)
    return RunOutcome(folder, write_run_reports(spec, folder, record, inputs, bars))


def _simulate(
    spec: RunSpec,
    sim: SimVenue,
    state: Path,
    duration_s: float,
    stop: threading.Event,
    on_time: Callable[[float], None],
) -> RunRecord:
    """The run itself, its state in `state` (the journal is copied beside it)."""
    try:
        row, info = find_market(sim, spec.market)
    except SetupError as exc:
        raise ArenaInputError(str(exc)) from None
    store = StateStore(state, lock_dir=state / "locks").market(info.chain_id, info.order_book)
    fleet = list(derive_wallets(spec.seed, spec.wallets))
    addresses = [w.address for w in fleet]
    with store:
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
        watch = CapWatch(
            sim, utilization_bps=lambda: params.current().packer.utilization_bps, margin_bps=info.margin_bps
        )
        clock = SamplingClock(sim, info.order_book, sample_step_ms(duration_s), on_time=on_time)
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
            done_s = clock.now() - clock.start_ms / 1000
            raise ArenaInterrupted(f"{run_id_of(spec)} interrupted after {done_s:.0f} simulated seconds")
        clock.sample_now()
        held = sim.positions(info.order_book, addresses)
        record = RunRecord(
            summary=summary,
            lines=list(store.iter_journal()),
            audit=sim.audit(),
            exchange_fills=sim.fills_since(info.order_book, addresses, fills_cursor).fills,
            exchange_positions={
                w.nickname: held[w.address].size18 if w.address in held else 0 for w in fleet
            },
            nicknames={w.address.lower(): w.nickname for w in fleet},
            samples=list(clock.samples),
            step_ms=clock.step_ms,
            start_ms=clock.start_ms,
            capital6=capital6,
            cap_breaches=list(watch.breaches),
        )
    shutil.copyfile(store.folder / JOURNAL, state.parent / JOURNAL)
    return record


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
