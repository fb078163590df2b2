"""Reading `actions.jsonl`: the last N lines by seeking from the end, or the whole file streamed.

Neither reader ever fails on content. An unterminated last line that is not a whole JSON
object is a write torn by a crash: skipped, counted, logged. Any other line that is not a
journal record is skipped, counted and logged. Valid records with unknown actions are kept.
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

log = logging.getLogger(__name__)

TAIL_BLOCK_SIZE: Final = 64 * 1024


@dataclass
class JournalReadReport:
    """What a read skipped. Filled in as the read goes."""

    torn_lines: int = 0
    malformed_lines: int = 0

    @property
    def skipped(self) -> int:
        return self.torn_lines + self.malformed_lines


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


def _reverse_lines(handle: BinaryIO, size: int, block_size: int) -> Iterator[tuple[bytes, bool]]:
    """Lines from the end of the file, newest first, each with `ends_with_newline`."""
    position = size
    carry: list[bytes] = []  # pieces of the line being assembled, newest piece first
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
                carry.append(block[:end])
                break
            line = block[newline + 1 : end] + b"".join(reversed(carry))
            carry.clear()
            if not (trailing and not line):
                yield line, not trailing
            trailing = False
            end = newline
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


def read_tail(path: Path, count: int, *, block_size: int = TAIL_BLOCK_SIZE) -> JournalTail:
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
        for raw, terminated in _reverse_lines(handle, size, block_size):
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
    newest_first.reverse()
    return JournalTail(tuple(newest_first), report)


def iter_journal(path: Path, report: JournalReadReport | None = None) -> Iterator[ActionLogLine]:
    """Every valid record, oldest first, streamed. Pass a report to learn what was skipped."""
    report = report if report is not None else JournalReadReport()
    handle = _open(path)
    if handle is None:
        return
    with handle:
        for number, raw in enumerate(handle, start=1):
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
