"""Arena throughput and the leaderboard's speed-up from one worker process to all cores.

1. Throughput: the packer with 10 wallets on REALISTIC for `--sim-s` simulated seconds, as
   `ama-tui arena run` does it (the run, then its reports and charts), timed on the wall clock;
   the figure is simulated hours per wall minute, for the whole run and for the simulation alone.
2. Speed-up: the same comparison (`--runs` runs of `--compare-sim-s` simulated seconds, 4 wallets)
   with one worker, then with one per core; the ratio of the wall times (target >= 1.7x on 2 cores).

Everything is written to a temporary folder. The machine's load is printed beside the figures: on
a shared machine, compare ratios from one invocation.

Run: `uv run python benchmarks/bench_arena.py [--sim-s S] [--runs N] [--compare-sim-s S] [--workers N]`.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from ama_tui.arena import runner
from ama_tui.arena.batch import Job, run_batch
from ama_tui.arena.runner import check_spec, run_one
from ama_tui.arena.spec import RunSpec


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} / {five:.1f}"


def throughput(folder: Path, sim_s: float) -> None:
    spec = RunSpec("packer", preset="REALISTIC", seed=1, wallets=10, duration_s=sim_s)
    reporting = 0.0
    write_reports = runner.write_run_reports

    def timed(*args: Any, **kwargs: Any) -> Any:
        nonlocal reporting
        began = time.perf_counter()
        try:
            return write_reports(*args, **kwargs)
        finally:
            reporting = time.perf_counter() - began

    runner.write_run_reports = timed  # the reports' share, measured from outside
    began = time.perf_counter()
    try:
        outcome = run_one(spec, folder / "throughput")
    finally:
        runner.write_run_reports = write_reports
    wall = time.perf_counter() - began
    sim_only = wall - reporting
    hours = sim_s / 3600
    fills = outcome.result["figures"]["fills"]["count"]
    print(
        f"throughput (packer, 10 wallets, REALISTIC, {sim_s:.0f} simulated s, {fills} fills): "
        f"{wall:.1f} s wall with reports = {hours / (wall / 60):.2f} simulated h per wall minute; "
        f"without the reports {sim_only:.1f} s = {hours / (sim_only / 60):.2f} h/min ({_load()})"
    )


def speedup(folder: Path, runs: int, sim_s: float, workers: int) -> None:
    base = RunSpec("packer", preset="REALISTIC", wallets=4, duration_s=sim_s)
    inputs = check_spec(base)

    def jobs(where: Path) -> list[Job]:
        return [
            Job(
                RunSpec("packer", wallets=4, duration_s=sim_s, seed=s),
                where / f"seed{s}",
                {**inputs, "seed": s},
            )
            for s in range(1, runs + 1)
        ]

    timings = {}
    for count in (1, workers):
        began = time.perf_counter()
        results = run_batch(jobs(folder / f"workers{count}"), workers=count, skip_finished=False, err=None)
        timings[count] = time.perf_counter() - began
        assert all(r.result is not None for r in results), [r.error for r in results]
    print(
        f"leaderboard speed-up ({runs} runs of {sim_s:.0f} simulated s, 4 wallets): 1 worker "
        f"{timings[1]:.1f} s, {workers} workers {timings[workers]:.1f} s = "
        f"{timings[1] / timings[workers]:.2f}x ({_load()})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim-s", type=float, default=1800.0)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--compare-sim-s", type=float, default=300.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-arena-") as temporary:
        folder = Path(temporary)
        throughput(folder, args.sim_s)
        speedup(folder, args.runs, args.compare_sim_s, args.workers)


if __name__ == "__main__":
    main()
