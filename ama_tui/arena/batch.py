"""Many runs side by side: one process per run (the engine keeps its run in one thread, so
processes are what uses the machine's cores), results collected as they finish.

A run whose folder already holds a `result.json` with the same inputs is skipped (results are
deterministic), so an interrupted batch loses only the runs that were in flight. Workers ignore
Ctrl+C; the parent stops the pool and terminates them."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ama_tui.arena.run_reports import RESULT_JSON
from ama_tui.arena.runner import ArenaInterrupted, run_one
from ama_tui.arena.spec import ArenaInputError, RunSpec


@dataclass(frozen=True, slots=True)
class Job:
    spec: RunSpec
    folder: Path
    inputs: dict[str, Any]
    """What a finished run of it records (from `runner.check_spec`)."""


@dataclass(frozen=True, slots=True)
class JobResult:
    job: Job
    result: dict[str, Any] | None
    error: str | None = None
    skipped: bool = False


def finished_result(job: Job) -> dict[str, Any] | None:
    """The job's result when its folder holds one for the same inputs."""
    try:
        result = json.loads((job.folder / RESULT_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(result, dict) or result.get("inputs") != job.inputs:
        return None
    return result


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_job(spec: RunSpec, folder: Path) -> tuple[dict[str, Any] | None, str | None]:
    """In a worker: (result, None), or (None, what went wrong)."""
    try:
        return run_one(spec, folder).result, None
    except (ArenaInputError, ArenaInterrupted) as exc:
        return None, str(exc)
    except Exception as exc:  # one failing run must not lose the others; said, not hidden
        return None, f"{type(exc).__name__}: {exc}"


def run_batch(
    jobs: Sequence[Job],
    *,
    workers: int,
    skip_finished: bool,
    err: TextIO | None,
    on_result: Callable[[JobResult], None] | None = None,
) -> list[JobResult]:
    """Every job's result, in the jobs' order. KeyboardInterrupt propagates after the pool is
    stopped (finished runs stay on disk)."""
    results: dict[int, JobResult] = {}
    todo: list[int] = []
    for index, job in enumerate(jobs):
        done = finished_result(job) if skip_finished else None
        if done is not None:
            results[index] = JobResult(job, done, skipped=True)
        else:
            todo.append(index)
    if err is not None and results:
        print(f"{len(results)} of {len(jobs)} runs already finished: skipped", file=err, flush=True)
    began = time.monotonic()
    if todo:
        pool = ProcessPoolExecutor(
            max_workers=max(1, min(workers, len(todo))), initializer=_ignore_interrupts
        )
        futures: dict[Future[tuple[dict[str, Any] | None, str | None]], int] = {}
        try:
            for index in todo:
                futures[pool.submit(run_job, jobs[index].spec, jobs[index].folder)] = index
            pending = set(futures)
            while pending:
                done_now, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done_now, key=lambda f: futures[f]):
                    index = futures[future]
                    result, error = future.result()
                    outcome = JobResult(jobs[index], result, error)
                    results[index] = outcome
                    _report(err, outcome, len(results), len(jobs), len(todo) - len(pending), len(todo), began)
                    if on_result is not None:
                        on_result(outcome)
        except BaseException:
            # the pool forgets its processes on shutdown: take them first, to stop the runs in flight
            processes = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            raise
        pool.shutdown(wait=True)
    return [results[index] for index in range(len(jobs))]


def _report(
    err: TextIO | None, outcome: JobResult, done: int, total: int, ran: int, to_run: int, began: float
) -> None:
    if err is None:
        return
    spec = outcome.job.spec
    elapsed = time.monotonic() - began
    eta = elapsed / ran * (to_run - ran) if ran else 0.0
    if outcome.result is not None:
        what = f"PnL {outcome.result['figures']['pnl']['total']}"
    else:
        what = f"failed: {outcome.error}"
    print(
        f"[{done}/{total}] {spec.strategy} {spec.preset} seed {spec.seed}: {what} (ETA {eta:.0f} s)",
        file=err,
        flush=True,
    )
