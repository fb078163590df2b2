"""Appending to `actions.jsonl`: one compact JSON object per line, fsynced before returning.

A crash can tear only the line being written. The writer repairs that when it opens (under the
market lock), so the next line never glues onto a fragment; a failed append is rolled back to
the previous end of the file. The repair looks at no more of the last line than a reader would
hold (`MAX_LINE_BYTES`).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from ama_tui.core.models import ActionLogLine
from ama_tui.store.atomic import PRIVATE_FILE_MODE, fsync_dir, write_all
from ama_tui.store.errors import StateFileError, StateWriteError, StoreError
from ama_tui.store.js_json import js_dumps
from ama_tui.store.layout import MAX_LINE_BYTES

log = logging.getLogger(__name__)

_BLOCK: Final = 64 * 1024


def encode_line(line: ActionLogLine) -> bytes:
    """The bytes of one journal line, as the original tool writes them (`JSON.stringify`:
    compact, numbers as JavaScript writes them; newline-ended)."""
    if not isinstance(line, ActionLogLine):
        raise TypeError(f"expected an ActionLogLine, got {type(line).__name__}")
    return js_dumps(line.to_json_dict()).encode("utf-8") + b"\n"


def _is_whole_json_object(fragment: bytes) -> bool:
    try:
        return isinstance(json.loads(fragment), dict)
    except ValueError:
        return False


def _start_of_last_line(fd: int, size: int, limit: int) -> int | None:
    """Offset just after the last newline before `size` (0 if there is none), or None when the
    last line is longer than `limit` bytes (found without reading further back than that)."""
    end = size
    while end > 0:
        if size - end > limit:
            return None
        start = max(0, end - _BLOCK)
        block = os.pread(fd, end - start, start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            found = start + newline + 1
            return found if size - found <= limit else None
        end = start
    return 0


class JournalWriter:
    """Appends lines to one journal. Open it only while holding the market's lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.torn_bytes_removed = 0
        """How many bytes of a torn last line were cut off when the journal was opened."""
        self._mutex = threading.Lock()
        existed = path.exists()
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE_MODE)
        except OSError as exc:
            raise StateFileError(path, f"cannot open the journal: {exc.strerror or exc}") from exc
        try:
            os.fchmod(fd, PRIVATE_FILE_MODE)
            if not existed:
                fsync_dir(path.parent)
            self._repair_torn_tail(fd)
        except OSError as exc:
            os.close(fd)
            raise StateFileError(path, f"cannot prepare the journal: {exc.strerror or exc}") from exc
        self._fd: int | None = fd

    def _repair_torn_tail(self, fd: int) -> None:
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return
        start = _start_of_last_line(fd, size, MAX_LINE_BYTES)
        if start is None:
            # Not a torn record (ours are far shorter) but a damaged file: keep its bytes for
            # whoever inspects it, end the line so the next record starts clean; readers skip it.
            write_all(fd, b"\n")
            os.fsync(fd)
            log.warning(
                "journal %s: its unterminated last line is longer than %d bytes; ended it, readers skip it",
                self.path,
                MAX_LINE_BYTES,
            )
            return
        if _is_whole_json_object(os.pread(fd, size - start, start)):
            # A complete record that only lacks its newline: keep it, end it.
            write_all(fd, b"\n")
            os.fsync(fd)
            log.info("journal %s: added the missing newline after its last line", self.path)
            return
        os.ftruncate(fd, start)
        os.fsync(fd)
        self.torn_bytes_removed = size - start
        log.warning(
            "journal %s: removed a torn last line (%d bytes) left by an interrupted write",
            self.path,
            size - start,
        )

    def append(self, line: ActionLogLine) -> None:
        """Write one line and fsync it; when this returns the line is on disk."""
        self._write(encode_line(line))

    def append_many(self, lines: Iterable[ActionLogLine], *, sync: bool = True) -> int:
        """Write a batch with a single fsync (all lines are encoded before any is written).

        With `sync=False` the lines are written (so they survive the process being killed) but
        not fsynced (a power loss may drop them) until the next `sync()` or synced append."""
        data = b"".join(encode_line(line) for line in lines)
        if data:
            self._write(data, sync=sync)
        return data.count(b"\n")

    def sync(self) -> None:
        """fsync what unsynced appends wrote."""
        with self._mutex:
            if self._fd is not None:
                try:
                    os.fsync(self._fd)
                except OSError as exc:
                    raise StateWriteError(self.path, exc.strerror or str(exc)) from exc

    def _write(self, data: bytes, *, sync: bool = True) -> None:
        with self._mutex:
            fd = self._fd
            if fd is None:
                raise StoreError(f"journal {self.path} is closed")
            end = os.fstat(fd).st_size
            try:
                write_all(fd, data)
                if sync:
                    os.fsync(fd)
            except OSError as exc:
                self._roll_back(fd, end)
                raise StateWriteError(self.path, exc.strerror or str(exc)) from exc

    def _roll_back(self, fd: int, end: int) -> None:
        try:
            os.ftruncate(fd, end)
            os.fsync(fd)
        except OSError:
            log.error(
                "journal %s: could not roll back a failed append; it is repaired when next opened",
                self.path,
            )

    def close(self) -> None:
        with self._mutex:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
