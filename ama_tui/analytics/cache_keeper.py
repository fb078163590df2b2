"""While a run writes its journals, keep their parsed tables (`journal_cache`) up to date, so a
report after the run (`ama-tui report`, the analytics screen) parses only the last minutes' lines.

A cold report of a long journal is mostly DuckDB parsing JSON: 3-5 s for 1,000,000 lines on two
cores, against about 1 s from the cache. So the run starts a child process (`python -m
ama_tui.analytics.cache_keeper`) at the lowest CPU priority, `FIRST_AFTER_S` after its start (past
the first pack) and then every `EVERY_S` while its journals grow. The child brings each journal's
table up to date (a journal from before the run, the original tool's included, is parsed once in
full, then only what it gains) and exits. It runs with one DuckDB thread beside the run, never in
the run's process: the run imports nothing of it, and its memory is given back when it exits.

The run never waits for it. A stop ends a child still working (DuckDB rolls its unfinished
transaction back: the next refresh parses those lines again), and a report that finds a table
open waits a moment for it (`journal_cache.REPORT_LOCK_WAIT_S`). The journals hold no keys, so
neither does the cache. `AMA_TUI_REPORT_CACHE=off` turns the keeper off; runs on the virtual clock
(tests, backtests) do not start it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Final

from ama_tui.analytics.cache_dir import default_cache_dir

ENABLE_ENV: Final = "AMA_TUI_REPORT_CACHE"
"""`off` (or `0`, `no`, `false`): runs do not keep the report's cache."""
FIRST_AFTER_S: Final = 30.0
EVERY_S: Final = 300.0
STOP_GRACE_S: Final = 2.0
"""A child still working at the run's stop is asked to end (SIGTERM), then killed after this."""
_POLL_S: Final = 0.2
_OFF_WORDS: Final = frozenset({"off", "0", "no", "false"})


def keeper_enabled(*, virtual_time: bool = False) -> bool:
    """Whether a run keeps the report's cache: not on the virtual clock, not when turned off."""
    if virtual_time:
        return False
    return os.environ.get(ENABLE_ENV, "").strip().lower() not in _OFF_WORDS


class CacheKeeper:
    """A daemon thread refreshing `journals`' tables through a child process now and then.

    `refreshes` counts the children that finished their work; `last_problem` is the last one's
    complaint (the run does not show it: the report parses whatever the cache lacks)."""

    def __init__(
        self,
        journals: Sequence[Path],
        *,
        cache_dir: Path | None = None,
        first_after_s: float | None = None,
        every_s: float | None = None,
    ) -> None:
        self.journals = tuple(journals)
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self.first_after_s = FIRST_AFTER_S if first_after_s is None else first_after_s
        self.every_s = EVERY_S if every_s is None else every_s
        self.child: subprocess.Popen[bytes] | None = None
        """The refresh working now, if one is."""
        self.refreshes = 0
        self.last_problem: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._done_sizes: tuple[int, ...] | None = None

    def start(self) -> None:
        if self._thread is None and self.journals:
            self._thread = threading.Thread(target=self._loop, name="report-cache", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_GRACE_S + 3.0)

    def __enter__(self) -> CacheKeeper:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _sizes(self) -> tuple[int, ...]:
        sizes = []
        for path in self.journals:
            try:
                sizes.append(path.stat().st_size)
            except OSError:
                sizes.append(-1)
        return tuple(sizes)

    def _loop(self) -> None:
        wait = self.first_after_s
        while not self._stop.wait(wait):
            wait = self.every_s
            sizes = self._sizes()
            if sizes == self._done_sizes or all(size <= 0 for size in sizes):
                continue  # nothing new since the last refresh
            if self._refresh():
                self._done_sizes = sizes

    def _command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "ama_tui.analytics.cache_keeper",
            "--cache-dir",
            str(self.cache_dir),
            *(str(path) for path in self.journals),
        ]

    def _refresh(self) -> bool:
        try:
            child = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # the terminal's Ctrl-C is the run's to handle, not the child's
            )
        except OSError as exc:
            self.last_problem = f"cannot start the report cache's refresh: {exc.strerror or exc}"
            return False
        self.child = child
        try:
            while True:
                try:
                    code = child.wait(timeout=_POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    if self._stop.is_set():
                        _end(child)
                        self.last_problem = "stopped with the run before it finished"
                        return False
        finally:
            self.child = None
        said = _read_all(child.stderr).strip()
        if code != 0 or said:  # failed, or left a journal out (its table open in a report): next time
            self.last_problem = said.splitlines()[-1] if said else f"the refresh exited with code {code}"
            return False
        self.refreshes += 1
        self.last_problem = None
        return True


def refresh_later(journals: Sequence[Path], cache_dir: Path) -> subprocess.Popen[bytes] | None:
    """Build `journals`' tables in a child that outlives the caller (a report that parsed them in
    memory and printed already), at the lowest priority; None if it could not start (the next
    report parses them again)."""
    command = [sys.executable, "-m", "ama_tui.analytics.cache_keeper", "--cache-dir", str(cache_dir)]
    try:
        return subprocess.Popen(
            [*command, *(str(path) for path in journals)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not ended by the terminal's Ctrl-C or hang-up after the report
        )
    except OSError:
        return None


def _end(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    _read_all(child.stderr)


def _read_all(stream: IO[bytes] | None) -> str:
    if stream is None:
        return ""
    with stream:
        return stream.read().decode("utf-8", "replace")


@contextlib.contextmanager
def keep_report_cache(
    journals: Sequence[Path], *, virtual_time: bool = False
) -> Iterator[CacheKeeper | None]:
    """`with keep_report_cache(paths, virtual_time=...):` around a run (nothing when turned off)."""
    if not keeper_enabled(virtual_time=virtual_time):
        yield None
        return
    with CacheKeeper(journals) as keeper:
        yield keeper


def refresh(journals: Sequence[Path], cache_dir: Path) -> list[str]:
    """Bring each journal's table up to date; the journals it could not (one line each)."""
    from ama_tui.analytics import duck
    from ama_tui.analytics.journal_cache import JournalCache

    con = duck.connect(threads=1)
    try:
        cache = JournalCache(cache_dir)
        return [
            f"{path}: not refreshed (missing, unreadable, or its table is open in another report)"
            for index, path in enumerate(journals)
            if not path.is_file() or cache(path, index, con) is None
        ]
    finally:
        con.close()


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ama_tui.analytics.cache_keeper")
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("journals", type=Path, nargs="+")
    args = parser.parse_args(argv)
    with contextlib.suppress(OSError):
        os.nice(19)  # the run comes first
    for problem in refresh(args.journals, args.cache_dir):
        print(problem, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
