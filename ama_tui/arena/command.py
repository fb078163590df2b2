"""`ama-tui arena run` and `ama-tui arena compare`: what the command line asks, checked, run, and
answered with one JSON line on stdout (progress and problems on stderr).

Exit codes: 0 done; 1 some runs failed (each is named); 2 bad input (one line says what);
130 interrupted (finished runs are kept)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from ama_tui.arena.batch import JobResult, run_batch
from ama_tui.arena.compare import RunOptions, jobs_of, leaderboard_line, plan_compare, write_leaderboard
from ama_tui.arena.leaderboard import LEADERBOARD_MD
from ama_tui.arena.runner import ArenaInterrupted, RunOutcome, run_one
from ama_tui.arena.spec import (
    ArenaInputError,
    parse_overrides,
    parse_preset,
    parse_presets,
    parse_seeds,
    strategy_slug,
)
from ama_tui.arena.stats import spread
from ama_tui.notify.hooks import notify_arena_finished

RESULTS = Path("results")
EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED = 1, 2, 130


def run_arena_command(
    args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if args.arena_command == "compare":
            return _compare(args, out, err)
        return _run(args, out, err)
    except ArenaInputError as exc:
        print(f"ama-tui arena: {exc}", file=err)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("ama-tui arena: interrupted; finished runs are kept (the same command skips them)", file=err)
        return EXIT_INTERRUPTED


def _options(args: argparse.Namespace) -> RunOptions:
    return RunOptions(
        market=args.market,
        wallets=args.wallets,
        duration_s=args.duration,
        overrides=parse_overrides(args.set),
        bars=args.bars,
        maker_fee_bps=args.maker_fee_bps,
        taker_fee_bps=args.taker_fee_bps,
    )


def _check_workers(workers: int) -> None:
    if workers < 1:
        raise ArenaInputError(f"--workers must be at least 1 (got {workers})")


@contextmanager
def _stop_on_interrupt(stop: threading.Event) -> Iterator[None]:
    """Ctrl+C sets `stop` (the engine ends its cycle) instead of raising mid-cycle."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _check_workers(args.workers)
    if args.seeds is not None:
        seeds = parse_seeds(args.seeds)
    else:
        seeds = (_one_seed(args.seed),) if args.seed is not None else (0,)
    spec = _options(args).spec(args.strategy, parse_preset(args.preset))
    folder = args.out or RESULTS / f"{strategy_slug(spec.strategy)}-{spec.market}"
    jobs = jobs_of(spec, seeds, (spec.preset,), folder)
    if len(jobs) == 1:
        stop = threading.Event()
        with _stop_on_interrupt(stop):
            try:
                outcome = run_one(jobs[0].spec, jobs[0].folder, err=err, stop=stop)
            except ArenaInterrupted as exc:
                print(f"ama-tui arena: {exc}; nothing reported", file=err)
                return EXIT_INTERRUPTED
        print(f"report: {outcome.folder / 'report.md'}", file=err, flush=True)
        print(json.dumps(outcome.summary()), file=out, flush=True)
        notify_arena_finished(outcome.summary())
        return 0
    results = run_batch(jobs, workers=args.workers, skip_finished=False, err=err)
    failed = _say_failures(results, err)
    done = [RunOutcome(r.job.folder, r.result) for r in results if r.result is not None]
    pnl = spread([Decimal(o.result["figures"]["pnl"]["total"]) for o in done])
    line = {
        "strategy": jobs[0].inputs["strategy"],
        "runs": len(done),
        "failed": failed,
        "pnlMean": str(pnl.mean) if pnl else None,
        "pnlStdev": str(pnl.stdev) if pnl and pnl.stdev is not None else None,
        "results": [o.summary() for o in done],
        "out": str(folder),
    }
    print(json.dumps(line), file=out, flush=True)
    notify_arena_finished(line)
    return EXIT_FAILED if failed else 0


def _one_seed(text: str) -> int:
    try:
        seed = int(str(text).strip())
    except ValueError:
        raise ArenaInputError(f"--seed {text!r}: not a whole number (--seeds takes ranges)") from None
    if seed < 0:
        raise ArenaInputError(f"--seed {text!r}: a seed is 0 or more")
    return seed


def _say_failures(results: Sequence[JobResult], err: TextIO) -> int:
    failed = [r for r in results if r.result is None]
    for r in failed:
        spec = r.job.spec
        print(f"ama-tui arena: {spec.strategy} {spec.preset} seed {spec.seed} failed: {r.error}", file=err)
    return len(failed)


def _compare(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _check_workers(args.workers)
    seeds = parse_seeds(args.seeds)
    presets = parse_presets(args.presets)
    options = _options(args)
    folder = args.out or RESULTS / f"compare-{options.market.strip()}"
    plan = plan_compare(args.strategies, seeds, presets, options, folder)
    jobs = plan.jobs
    strategies = plan.strategies
    print(
        f"arena compare: {len(strategies)} strategies x {len(presets)} presets x {len(seeds)} seeds "
        f"= {len(jobs)} runs, {min(args.workers, len(jobs))} processes; results in {folder}",
        file=err,
        flush=True,
    )
    results = run_batch(jobs, workers=args.workers, skip_finished=not args.fresh, err=err)
    failed = _say_failures(results, err)
    if failed:
        print(f"ama-tui arena: no leaderboard: {failed} runs failed", file=err)
        return EXIT_FAILED
    board = write_leaderboard(plan, results)
    print(f"leaderboard: {folder / LEADERBOARD_MD}", file=err, flush=True)
    line = leaderboard_line(board, results, folder)
    print(json.dumps(line), file=out, flush=True)
    notify_arena_finished(line, leaderboard=True)
    return 0
