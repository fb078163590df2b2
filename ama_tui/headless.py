"""`ama-tui run`: the packer without a screen. Prints progress to stderr and, at the end, one JSON
line of totals to stdout. SIGINT/SIGTERM stop it gracefully (checkpoint saved, exit code 0).

Exit codes: 0 the run ended as asked (budget spent, signal, cancel-all); 2 bad input or setup;
3 the exchange failed at start; 4 the kill switch stopped it (too many failing cycles, or a
wallet lost its allowed fraction): the reason is on stderr and in the journal's RUN_STOP line."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from ama_tui.analytics.cache_keeper import keep_report_cache
from ama_tui.engine.live_params import ParamsError, parse_assignments
from ama_tui.engine.packer import PackerOptions, RunSummary, SessionProgress
from ama_tui.engine.run_assembly import assemble_run
from ama_tui.engine.run_setup import ResumeError, StartMode
from ama_tui.engine.snapshot import EngineSnapshot, relay_text
from ama_tui.engine.venue_state import VenueStateError
from ama_tui.notify.hooks import RunNotifications
from ama_tui.store import StateStore, StoreError, WalletEntry
from ama_tui.strategies import DEFAULT_STRATEGY
from ama_tui.venues.base import VenueError, VenueKind
from ama_tui.venues.early_reads import EarlyReads
from ama_tui.wiring import SetupError, VenueChoice, find_market, load_fleet, open_venue, warm_start

EXIT_KILL_SWITCH = 4
EXIT_MARKET_CLOSED = 5
EXIT_STRATEGY_STOPPED = 6


@dataclass(frozen=True, slots=True)
class HeadlessArgs:
    market: str
    venue: VenueChoice = VenueChoice.AUTO
    csv: Path | None = None
    wallets: int | None = None
    state_dir: Path = Path("state")
    mode: StartMode = StartMode.AUTO
    cycles: int | None = None
    duration: float | None = None
    seed: int = 0
    preset: str = "REALISTIC"
    virtual_time: bool = False
    set: tuple[str, ...] = ()
    dry_run: bool = False
    max_in_flight: int | None = None
    pipeline: bool = True
    """False: one trade per wallet at a time (the benchmark's comparison)."""
    strategy: str | None = None
    """A built-in strategy's name; None: the resumed run's own, or the packer."""
    more_markets: tuple[str, ...] = ()
    """Further `--market`s: one run over all of them (`headless_markets`)."""
    market_weights: tuple[str, ...] = ()
    """`MARKET=WEIGHT` items: each market's share of the wallets' budget (default equal)."""
    early_reads: EarlyReads | None = None
    """The web app's first GETs, begun at launch (`venues.early_reads`)."""


class _Progress:
    """At most one progress line a second on stderr. Sessions report from the trade pool's
    threads: each line is written whole, under a lock (`print` writes the text and its newline
    apart, and lines from two threads ran together)."""

    def __init__(self, out: TextIO, *, prefix: str = "") -> None:
        self.out = out
        self.last = 0.0
        self.prefix = prefix
        """The market's symbol in a run over several markets."""
        self.noticed: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def _say(self, line: str) -> None:
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()

    def session(self, report: SessionProgress) -> None:
        status = f"failed: {report.error}" if report.error else "ok"
        self._say(f"session {report.done}/{report.total} {report.nickname} {status}")

    def snapshot(self, snap: EngineSnapshot) -> None:
        if snap.notices != self.noticed:  # what the engine said (e.g. what a resume found): once each
            seen = set(self.noticed)
            for notice in snap.notices:
                if notice not in seen:
                    self._say(f"{self.prefix}note: {notice}")
            self.noticed = snap.notices
        now = time.monotonic()
        if now - self.last < 1.0 or snap.last_cycle is None:
            return
        self.last = now
        t = snap.totals
        top = snap.book.top if snap.book else None
        book = f"bid {top.best_bid6} ask {top.best_ask6}" if top else "no book"
        skips = ", ".join(f"{reason} {count}" for reason, count in snap.skips_by_reason)
        self._say(
            f"{self.prefix}cycle {t.cycle}: placed {t.placed} cancelled {t.cancelled} fills {t.fills} "
            f"errors {t.errors} skipped {t.skipped}{f' ({skips})' if skips else ''} | {book} | "
            f"floor {snap.floor_ticks} ticks | last cycle {snap.last_cycle.duration_ms:.0f} ms, "
            f"{snap.last_cycle.venue_calls} calls | {relay_text(snap)}"
        )


def run_headless(
    args: HeadlessArgs,
    *,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    stop: threading.Event | None = None,
) -> int:
    stop = stop or threading.Event()
    problem = _check_budget(args)
    if problem is not None:
        print(f"ama-tui: {problem}", file=err)
        return 2
    try:
        overrides = parse_assignments(list(args.set))
        setup = open_venue(
            args.venue,
            seed=args.seed,
            preset=args.preset,
            virtual_time=args.virtual_time,
            probe=False,
            early_reads=args.early_reads,
        )
    except (SetupError, ParamsError) as exc:
        print(f"ama-tui: {exc}", file=err)
        return 2
    venue = setup.venue
    app_url = setup.app_url
    warm_start(setup)  # the sessions' first read, while the market is looked up
    print(f"venue: {setup.description}", file=err, flush=True)
    try:
        wallets, warnings = load_fleet(setup.kind, csv=args.csv, count=args.wallets, seed=args.seed)
        for warning in warnings:
            print(f"warning: {warning}", file=err)
        if args.more_markets:
            return _run_markets(args, venue, wallets, overrides, app_url, setup.kind, out, err, stop)
        if args.market_weights:
            raise SetupError("--market-weight needs two or more --market")
        row, info = find_market(venue, args.market, app_url=app_url)
        store = StateStore(args.state_dir).market(info.chain_id, info.order_book)
        with store:
            progress = _Progress(err)
            notes = RunNotifications.from_environment(progress.snapshot)
            run = assemble_run(
                venue,
                store,
                row=row,
                info=info,
                wallets=wallets,
                mode=args.mode,
                options=_options(args),
                overrides=overrides,
                strategy=args.strategy,
                on_snapshot=notes.callback,
            )
            start, packer = run.start, run.packer
            print(
                f"{'resuming' if start.resumed else 'starting'} run {start.checkpoint.run.run_id} "
                f"on {row.symbol} with {len(wallets)} wallets (state: {store.folder})",
                file=err,
                flush=True,
            )
            if start.strategy is not None and start.strategy.info.name != DEFAULT_STRATEGY:
                print(f"strategy: {start.strategy.info.name} ({start.strategy.info.summary})", file=err)
            for note in start.notes:
                print(f"note: {note}", file=err, flush=True)
            progress.noticed = tuple(start.notes)  # said: the engine's notices begin with them
            journals = [store.journal_path]
            with _stop_on_signals(stop), notes, keep_report_cache(journals, virtual_time=args.virtual_time):
                summary = packer.run(
                    stop, max_cycles=args.cycles, duration_s=args.duration, progress=progress.session
                )
    except (SetupError, ParamsError, ResumeError, StoreError, VenueStateError) as exc:
        print(f"ama-tui: {exc}", file=err)
        return 2
    except VenueError as exc:
        print(f"ama-tui: the exchange failed: {exc}", file=err)
        return 3
    finally:
        venue.close()
    print(f"stopped: {summary.stop_reason}", file=err, flush=True)
    print(json.dumps(_result(summary, venue, setup.kind)), file=out, flush=True)
    return exit_code(summary)


def _run_markets(
    args: HeadlessArgs,
    venue: Any,
    wallets: Sequence[WalletEntry],
    overrides: dict[str, str],
    app_url: str | None,
    kind: VenueKind,
    out: TextIO,
    err: TextIO,
    stop: threading.Event,
) -> int:
    """Several markets in one run (`headless_markets`); the caller handles the errors and closes
    the venue."""
    from ama_tui.headless_markets import describe, find_markets, multi_result, open_markets

    picks = find_markets(venue, (args.market, *args.more_markets), app_url=app_url)
    with contextlib.ExitStack() as stack:
        shown = {p.symbol: _Progress(err, prefix=f"{p.symbol} ") for p in picks}
        notes = {
            s: stack.enter_context(RunNotifications.from_environment(p.snapshot)) for s, p in shown.items()
        }
        opened = open_markets(
            venue,
            stack,
            picks=picks,
            state=StateStore(args.state_dir),
            wallets=wallets,
            mode=args.mode,
            options=_options(args),
            overrides=overrides,
            weight_items=args.market_weights,
            strategy=args.strategy,
            on_snapshot={s: n.callback for s, n in notes.items()},
        )
        describe(opened, len(wallets), err)
        journals = [store.journal_path for store in opened.stores]
        stack.enter_context(keep_report_cache(journals, virtual_time=args.virtual_time))
        for pick, assembled in zip(opened.picks, opened.runs, strict=True):
            shown[pick.symbol].noticed = tuple(assembled.start.notes)  # said by `describe`
        with _stop_on_signals(stop):
            summary = opened.engine(venue).run(
                stop,
                max_cycles=args.cycles,
                duration_s=args.duration,
                progress=shown[picks[0].symbol].session,
            )
    print(f"stopped: {summary.stop_reason}", file=err, flush=True)
    result = multi_result(summary, opened)
    audit = _result(opened.runs[0].packer.summary(), venue, kind)
    result |= {k: audit[k] for k in ("taker_fills", "self_matches", "self_trade_cancels")}
    print(json.dumps(result), file=out, flush=True)
    if summary.market_closed:
        return EXIT_MARKET_CLOSED
    if summary.strategy_stopped:
        return EXIT_STRATEGY_STOPPED
    return EXIT_KILL_SWITCH if summary.kill_switch else 0


def _options(args: HeadlessArgs) -> PackerOptions:
    return PackerOptions.for_run(
        virtual_time=args.virtual_time,
        max_in_flight=args.max_in_flight,
        dry_run=args.dry_run,
        seed=args.seed,
        pipeline=args.pipeline,
    )


def exit_code(summary: RunSummary) -> int:
    """0 the run ended as asked; 4 the kill switch; 5 the market cannot trade; 6 a user strategy
    was stopped for what it did."""
    if summary.market_closed:
        return EXIT_MARKET_CLOSED
    if summary.strategy_stopped:
        return EXIT_STRATEGY_STOPPED
    return EXIT_KILL_SWITCH if summary.kill_switch else 0


def _check_budget(args: HeadlessArgs) -> str | None:
    if args.cycles is not None and args.cycles < 1:
        return f"--cycles must be at least 1 (got {args.cycles})"
    if args.duration is not None and not args.duration > 0:
        return f"--duration must be a positive number of seconds (got {args.duration})"
    if args.max_in_flight is not None and args.max_in_flight < 1:
        return f"--max-in-flight must be at least 1 (got {args.max_in_flight})"
    return None


def _result(summary: RunSummary, venue: Any, kind: VenueKind) -> dict[str, Any]:
    audit = venue.audit() if kind is VenueKind.SIM and hasattr(venue, "audit") else None
    return {
        "cycles": summary.cycles,
        "placed": summary.placed,
        "cancelled": summary.cancelled,
        "fills": summary.fills,
        "errors": summary.errors,
        "skipped": summary.skipped,
        "cancels_per_cycle": round(summary.cancels_per_cycle, 3),
        "stop_reason": summary.stop_reason,
        "kill_switch": summary.kill_switch,
        "market_closed": summary.market_closed,
        "taker_fills": audit.taker_fills if audit else None,
        "self_matches": audit.self_matches if audit else None,
        "self_trade_cancels": audit.self_trade_cancels if audit else None,
        "run_id": summary.run_id,
    }


class _stop_on_signals:
    """SIGINT/SIGTERM set the stop event (main thread only); the previous handlers come back after."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, frame: FrameType | None) -> None:
            self.stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            self.previous[sig] = signal.signal(sig, handler)

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self.previous.items():
            signal.signal(sig, previous)
