"""What the TUI's Arena screen reads from the arena: each run's equity curve as a table
(equity.csv), each run's simulated time while it runs (`on_progress`), a batch stopped by an
event (the screen's Escape) that keeps its finished runs, and a comparison planned and ranked
without the command line."""

from __future__ import annotations

import csv
import json
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from ama_tui.arena.batch import BatchStopped, JobResult, finished_result, run_batch
from ama_tui.arena.compare import RunOptions, plan_compare, write_leaderboard
from ama_tui.arena.runner import run_one
from ama_tui.arena.spec import ArenaInputError, RunSpec


def test_equity_csv_is_the_curve_the_figures_come_from(tmp_path: Path) -> None:
    outcome = run_one(RunSpec("packer", seed=1, wallets=2, duration_s=60), tmp_path / "run")
    figures = outcome.result["figures"]
    assert "equity.csv" in outcome.result["files"]
    rows = list(csv.DictReader((outcome.folder / "equity.csv").open()))
    assert len(rows) >= 60, "a sample per simulated second"
    times = [int(r["ts_ms"]) for r in rows]
    assert times == sorted(times) and (times[-1] - times[0]) / 1000 == outcome.result["run"]["simulatedS"]
    assert Decimal(rows[0]["equity"]) == Decimal(figures["capital"])
    assert Decimal(rows[-1]["equity"]) - Decimal(figures["capital"]) == Decimal(figures["pnl"]["total"])
    assert max(Decimal(r["drawdown"]) for r in rows) == Decimal(figures["maxDrawdown"])
    assert all(Decimal(r["mid"]) > 0 for r in rows)


def _plan(tmp_path: Path, seeds: tuple[int, ...] = (1, 2), duration_s: float = 30):
    options = RunOptions(wallets=2, duration_s=duration_s)
    return plan_compare(["packer", "rebalancer"], seeds, ("REALISTIC",), options, tmp_path / "cmp")


def test_progress_reaches_the_caller_and_the_leaderboard_is_written(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    assert len(plan.jobs) == 4
    seen: dict[int, list[float]] = {}
    finished: list[JobResult] = []

    def progress(index: int, done_s: float) -> None:
        seen.setdefault(index, []).append(done_s)

    results = run_batch(
        plan.jobs,
        workers=2,
        skip_finished=False,
        err=None,
        on_result=finished.append,
        on_progress=progress,
        start_method="spawn",
    )
    assert all(r.result is not None for r in results) and len(finished) == 4
    assert seen, "no run reported its simulated time"
    for index, times in seen.items():
        assert 0 <= index < 4 and times == sorted(times) and times[-1] <= 30
    board = write_leaderboard(plan, results)
    assert sorted(row["strategy"] for row in board["ranking"]) == ["packer", "rebalancer"]
    assert json.loads((plan.folder / "leaderboard.json").read_text()) == board


def test_a_stopped_batch_keeps_its_finished_runs(tmp_path: Path) -> None:
    plan = _plan(tmp_path, seeds=(1, 2, 3), duration_s=20)
    stop = threading.Event()
    finished: list[JobResult] = []

    def one_done(result: JobResult) -> None:
        finished.append(result)
        stop.set()

    with pytest.raises(BatchStopped):
        run_batch(plan.jobs, workers=1, skip_finished=False, err=None, on_result=one_done, stop=stop)
    assert len(finished) == 1
    kept = [job for job in plan.jobs if finished_result(job) is not None]
    assert kept == [finished[0].job], "the finished run is on disk, no other"


def test_a_plan_refuses_an_unknown_strategy(tmp_path: Path) -> None:
    with pytest.raises(ArenaInputError, match="no-such-strategy"):
        plan_compare(["no-such-strategy"], (1,), ("REALISTIC",), RunOptions(), tmp_path)


def test_quiet_workers_write_nothing_to_the_terminal() -> None:
    """Under a full-screen app a worker's stray print or warning (Python or C level) would garble
    the screen: a quiet worker's fds 1 and 2 go nowhere."""
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "from ama_tui.arena.batch import _start_worker\n"
        "print('before', flush=True)\n"
        "_start_worker(None, True)\n"
        "print('python stdout', flush=True)\n"
        "sys.stderr.write('python stderr\\n'); sys.stderr.flush()\n"
        "os.write(1, b'fd 1\\n'); os.write(2, b'fd 2\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "before\n" and done.stderr == ""
