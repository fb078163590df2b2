"""Many runs side by side: one process per run (the engine keeps its run in one thread, so
processes are what uses the machine's cores), results collected as they finish.

A run whose folder already holds a `result.json` with the same inputs is skipped (results are
deterministic), so an interrupted batch loses only the runs that were in flight. Workers ignore
Ctrl+C; the parent stops the pool and terminates them (also when its `stop` event is set: the TUI's
Escape). With `on_progress`, each worker reports its run's simulated time through a queue the pool
hands it at start (a few times a second), so a screen can draw a bar per run."""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any, Final, TextIO

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


PROGRESS_EVERY_S: Final = 0.25
"""How often (wall time) a worker reports its run's simulated time."""
_progress: Queue[tuple[int, float]] | None = None
"""In a worker: where it reports progress (set by the pool's initializer), or None."""


class BatchStopped(ArenaInterrupted):
    """The batch's `stop` event was set: the runs in flight were terminated, the finished kept."""


def _start_worker(progress: Queue[tuple[int, float]] | None = None, quiet: bool = False) -> None:
    global _progress
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _progress = progress
    if quiet:  # under a full-screen app: a stray print or warning would garble its screen
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(devnull, fd)
        os.close(devnull)


def _reporter(key: int) -> Callable[[float], None] | None:
    if _progress is None:
        return None
    progress = _progress
    last = [0.0]

    def report(done_s: float) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            progress.put((key, done_s))

    return report


def run_job(spec: RunSpec, folder: Path, key: int = 0) -> tuple[dict[str, Any] | None, str | None]:
    """In a worker: (result, None), or (None, what went wrong)."""
    try:
        return run_one(spec, folder, on_time=_reporter(key)).result, None
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
    on_progress: Callable[[int, float], None] | None = None,
    stop: threading.Event | None = None,
    start_method: str | None = None,
    quiet_workers: bool = False,
) -> list[JobResult]:
    """Every job's result, in the jobs' order. KeyboardInterrupt propagates after the pool is
    stopped (finished runs stay on disk), and so does `BatchStopped` once `stop` is set.
    `on_progress(job index, simulated seconds done)` is called from this thread; `start_method`
    ("spawn" from a process with threads of its own, such as the TUI) picks how workers start;
    `quiet_workers` sends the workers' own output (fds 1 and 2) nowhere (under the TUI)."""
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
        context = multiprocessing.get_context(start_method)
        progress: Queue[tuple[int, float]] | None = context.Queue() if on_progress is not None else None
        pool = ProcessPoolExecutor(
            max_workers=max(1, min(workers, len(todo))),
            mp_context=context,
            initializer=_start_worker,
            initargs=(progress, quiet_workers),
        )
        futures: dict[Future[tuple[dict[str, Any] | None, str | None]], int] = {}
        polling = progress is not None or stop is not None
        try:
            for index in todo:
                futures[pool.submit(run_job, jobs[index].spec, jobs[index].folder, index)] = index
            pending = set(futures)
            while pending:
                done_now, pending = wait(
                    pending, timeout=PROGRESS_EVERY_S if polling else None, return_when=FIRST_COMPLETED
                )
                if progress is not None and on_progress is not None:
                    _drain(progress, on_progress)
                if stop is not None and stop.is_set():
                    raise BatchStopped("stopped: the runs in flight were ended, the finished ones kept")
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
        finally:
            if progress is not None:
                progress.close()
        pool.shutdown(wait=True)
    return [results[index] for index in range(len(jobs))]


def _drain(progress: Queue[tuple[int, float]], on_progress: Callable[[int, float], None]) -> None:
    latest: dict[int, float] = {}
    while True:
        try:
            key, done_s = progress.get_nowait()
        except queue.Empty:
            break
        latest[key] = max(done_s, latest.get(key, 0.0))
    for key, done_s in sorted(latest.items()):
        on_progress(key, done_s)


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
