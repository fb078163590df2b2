"""How far a long `report` or `export` got: one line on stderr, redrawn in place, only when stderr
is a terminal (a script or a log reading stderr gets the command's own lines and nothing else),
and wiped before the command prints its result.

An export says bytes read of the journals' total; a report says which journal it is reading and
DuckDB's own progress through it (`query_progress`, polled on a thread), then that it works out
the figures."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Final, TextIO

import duckdb

INTERVAL_S: Final = 0.25
Progress = Callable[[int, int], None]
"""Told (bytes done, bytes in all the files): what an export says after each chunk."""
_MB: Final = 1_000_000


class ProgressLine:
    """One line on `stream`, redrawn at most every `interval_s`; silent unless it is a terminal."""

    def __init__(
        self,
        stream: TextIO,
        *,
        interval_s: float = INTERVAL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self.on = stream.isatty()
        self._interval_s = interval_s
        self._monotonic = monotonic
        self._shown_at = float("-inf")
        self._width = 0
        self._lock = threading.Lock()

    def show(self, text: str, *, now: bool = False) -> None:
        """Draw `text` (at once with `now`, else only if the last drawing is `interval_s` old)."""
        if not self.on:
            return
        with self._lock:
            at = self._monotonic()
            if not now and at - self._shown_at < self._interval_s:
                return
            self._shown_at = at
            self._stream.write("\r" + text + " " * max(0, self._width - len(text)))
            self._stream.flush()
            self._width = len(text)

    def clear(self) -> None:
        with self._lock:
            if self.on and self._width:
                self._stream.write("\r" + " " * self._width + "\r")
                self._stream.flush()
                self._width = 0


def bytes_read(line: ProgressLine, label: str) -> Progress:
    """An export's `progress`: "<label>: 42% (248 of 591 MB)"."""

    def told(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        line.show(f"{label}: {percent}% ({done / _MB:,.0f} of {total / _MB:,.0f} MB)", now=done >= total)

    return told


class ReportProgress:
    """While `build_report` runs: which journal it reads (`file_started`, its `on_file`) and how
    far DuckDB is through it, polled from a thread; then "working out the figures"."""

    def __init__(self, line: ProgressLine, con: duckdb.DuckDBPyConnection, paths: Sequence[Path]) -> None:
        self._line = line
        self._con = con
        self._paths = list(paths)
        self._file = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def file_started(self, index: int) -> None:
        self._file = index
        self._draw(now=True)

    def _text(self) -> str:
        index, count = self._file, len(self._paths)
        if index >= count:
            return "report: working out the figures"
        if index < 0:
            return "report: starting"
        percent = self._con.query_progress()
        through = f" {percent:.0f}%" if percent >= 0 else ""
        which = f" ({index + 1} of {count})" if count > 1 else ""
        return f"report: reading {self._paths[index].parent.name}/{self._paths[index].name}{which}{through}"

    def _draw(self, *, now: bool = False) -> None:
        with contextlib.suppress(duckdb.Error):  # between two queries: the next poll draws
            self._line.show(self._text(), now=now)

    def _poll(self) -> None:
        while not self._stop.wait(INTERVAL_S):
            self._draw()

    def __enter__(self) -> ReportProgress:
        if self._line.on:
            self._thread = threading.Thread(target=self._poll, name="report-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._line.clear()
