"""Reading `actions.jsonl`: the last N lines by seeking from the end, or the whole file streamed.

Neither reader ever fails on content. An unterminated last line that is not a whole JSON
object is a write torn by a crash: skipped, counted, logged. Any other line that is not a
journal record is skipped, counted and logged. Valid records with unknown actions are kept.

Memory stays bounded whatever the file holds: a line longer than `MAX_LINE_BYTES` (a damaged
or foreign file; records are a few hundred bytes) is read past in chunks, never held whole,
and skipped, counted and logged like a malformed one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

from pydantic import ValidationError

from ama_tui.core.models import ActionLogLine
from ama_tui.store.errors import StateFileError
from ama_tui.store.layout import MAX_LINE_BYTES

log = logging.getLogger(__name__)

TAIL_BLOCK_SIZE: Final = 64 * 1024
_DISCARD_CHUNK: Final = 64 * 1024


@dataclass
class JournalReadReport:
    """What a read skipped. Filled in as the read goes."""

    torn_lines: int = 0
    malformed_lines: int = 0
    oversized_lines: int = 0
    """Lines longer than `MAX_LINE_BYTES`, skipped without being read whole."""

    @property
    def skipped(self) -> int:
        return self.torn_lines + self.malformed_lines + self.oversized_lines


@dataclass(frozen=True)
class JournalTail:
    lines: tuple[ActionLogLine, ...]
    """Oldest first."""
    report: JournalReadReport = field(default_factory=JournalReadReport)


def parse_line(raw: bytes) -> ActionLogLine | None:
    """One journal record, or None when the bytes are not one."""
    try:
        return ActionLogLine.model_validate_json(raw)
    except ValidationError:
        return None


def _note_torn(path: Path, report: JournalReadReport) -> None:
    report.torn_lines += 1
    log.warning("journal %s: skipped torn last line (an interrupted write)", path)


def _forward_lines(handle: BinaryIO, limit: int) -> Iterator[bytes | None]:
    """Lines, oldest first, as read (a newline ends all but maybe the last one).

    A line longer than `limit` bytes comes out as None, having been read past in chunks.
    """
    while True:
        raw = handle.readline(limit + 1)
        if not raw:
            return
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield raw
            continue
        while True:  # more than `limit` bytes and no newline yet: drop the rest of the line
            piece = handle.readline(_DISCARD_CHUNK)
            if not piece or piece.endswith(b"\n"):
                break
        yield None


def _reverse_lines(
    handle: BinaryIO, size: int, block_size: int, limit: int
) -> Iterator[tuple[bytes | None, bool]]:
    """Lines from the end of the file, newest first, each with `ends_with_newline`.

    A line longer than `limit` bytes comes out as None: its pieces are dropped as soon as they
    add up to more than `limit`, so at most `limit + block_size` bytes are ever held.
    """
    position = size
    carry: list[bytes] = []  # pieces of the line being assembled, newest piece first
    carried = 0  # their total length
    oversized = False  # the line being assembled is already too long: its pieces are dropped
    trailing = True  # the first segment found is what follows the last newline
    while position > 0:
        step = min(block_size, position)
        position -= step
        handle.seek(position)
        block = handle.read(step)
        end = len(block)
        while True:
            newline = block.rfind(b"\n", 0, end)
            if newline < 0:
                if not oversized:
                    carry.append(block[:end])
                    carried += end
                    if carried > limit:
                        carry.clear()
                        oversized = True
                break
            line: bytes | None = None
            if not oversized and carried + end - newline - 1 <= limit:
                line = block[newline + 1 : end] + b"".join(reversed(carry))
            carry.clear()
            carried, oversized = 0, False
            if not (trailing and line == b""):
                yield line, not trailing
            trailing = False
            end = newline
    if oversized:
        yield None, not trailing
        return
    first_line = b"".join(reversed(carry))
    if first_line:
        yield first_line, not trailing


def _open(path: Path) -> BinaryIO | None:
    try:
        return open(path, "rb")  # closed by the caller's `with`
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(path, f"cannot read the journal: {exc.strerror or exc}") from exc


def read_tail(
    path: Path, count: int, *, block_size: int = TAIL_BLOCK_SIZE, max_line_bytes: int = MAX_LINE_BYTES
) -> JournalTail:
    """The last `count` valid records, read backwards in blocks (never the whole file)."""
    if count < 0:
        raise ValueError("count must not be negative")
    report = JournalReadReport()
    handle = _open(path)
    if handle is None or count == 0:
        if handle is not None:
            handle.close()
        return JournalTail((), report)
    newest_first: list[ActionLogLine] = []
    with handle:
        size = os.fstat(handle.fileno()).st_size  # a line appended meanwhile is left for next time
        for raw, terminated in _reverse_lines(handle, size, block_size, max_line_bytes):
            if raw is None:
                report.oversized_lines += 1
                continue
            if not raw.strip():
                continue
            record = parse_line(raw)
            if record is not None:
                newest_first.append(record)
                if len(newest_first) == count:
                    break
            elif not terminated:
                _note_torn(path, report)
            else:
                report.malformed_lines += 1
    if report.malformed_lines:
        log.warning("journal %s: skipped %d malformed line(s) near its end", path, report.malformed_lines)
    if report.oversized_lines:
        log.warning(
            "journal %s: skipped %d line(s) longer than %d bytes near its end",
            path,
            report.oversized_lines,
            max_line_bytes,
        )
    newest_first.reverse()
    return JournalTail(tuple(newest_first), report)


def iter_journal(
    path: Path, report: JournalReadReport | None = None, *, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[ActionLogLine]:
    """Every valid record, oldest first, streamed. Pass a report to learn what was skipped."""
    report = report if report is not None else JournalReadReport()
    handle = _open(path)
    if handle is None:
        return
    with handle:
        for number, raw in enumerate(_forward_lines(handle, max_line_bytes), start=1):
            if raw is None:
                report.oversized_lines += 1
                log.warning("journal %s: skipped line %d, longer than %d bytes", path, number, max_line_bytes)
                continue
            if not raw.strip():
                continue
            record = parse_line(raw)
            if record is not None:
                yield record
            elif not raw.endswith(b"\n"):
                _note_torn(path, report)
            else:
                report.malformed_lines += 1
                log.warning("journal %s: skipped malformed line %d", path, number)
