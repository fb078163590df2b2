"""Reading and repairing a journal holds a bounded amount of memory, whatever its lines' length."""

from __future__ import annotations

import logging
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ama_tui.store.journal import JournalWriter, encode_line
from ama_tui.store.journal_reader import JournalReadReport, iter_journal, read_tail
from ama_tui.store.layout import MAX_LINE_BYTES
from tests.store.test_journal import make_line

T = TypeVar("T")
HUGE_LINE_BYTES = 64 * 1024 * 1024
PEAK_LIMIT = 8 * 1024 * 1024
CHUNK = b"x" * (1024 * 1024)


def write_huge_line(path: Path, *, newline: bool) -> None:
    """A 64 MiB line that looks like a record, written in chunks (never built in memory)."""
    with open(path, "ab") as handle:
        handle.write(b'{"ts":99,"runId":"run-1","pad":"')
        for _ in range(HUGE_LINE_BYTES // len(CHUNK)):
            handle.write(CHUNK)
        handle.write(b'"}\n' if newline else b'"')


def write_records(path: Path, timestamps: range) -> None:
    with open(path, "ab") as handle:
        handle.write(b"".join(encode_line(make_line(ts)) for ts in timestamps))


def peak_of(action: Callable[[], T]) -> tuple[T, int]:
    """What `action` returns, and the peak of Python memory it allocated meanwhile."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.fixture(scope="module")
def huge_middle_line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("huge") / "actions.jsonl"
    write_records(path, range(0, 3))
    write_huge_line(path, newline=True)
    write_records(path, range(3, 6))
    assert path.stat().st_size > HUGE_LINE_BYTES
    yield path
    path.unlink()


def test_a_huge_middle_line_is_skipped_counted_and_never_held(
    huge_middle_line: Path, caplog: pytest.LogCaptureFixture
) -> None:
    report = JournalReadReport()
    with caplog.at_level(logging.WARNING):
        lines, peak = peak_of(lambda: list(iter_journal(huge_middle_line, report)))
    assert [line.ts for line in lines] == [0, 1, 2, 3, 4, 5]
    assert report.oversized_lines == 1 and report.skipped == 1
    assert f"skipped line 4, longer than {MAX_LINE_BYTES} bytes" in caplog.text
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"


def test_the_tail_reads_past_a_huge_line_in_bounded_memory(huge_middle_line: Path) -> None:
    tail, peak = peak_of(lambda: read_tail(huge_middle_line, 10))
    assert [line.ts for line in tail.lines] == [0, 1, 2, 3, 4, 5]
    assert tail.report.oversized_lines == 1 and tail.report.skipped == 1
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"
    near = read_tail(huge_middle_line, 3)  # stops before the huge line
    assert [line.ts for line in near.lines] == [3, 4, 5] and near.report.skipped == 0


def test_a_huge_last_line_is_bounded_in_readers_and_kept_by_the_repair(tmp_path: Path) -> None:
    path = tmp_path / "actions.jsonl"
    write_records(path, range(0, 3))
    write_huge_line(path, newline=True)
    tail, peak = peak_of(lambda: read_tail(path, 2))
    assert [line.ts for line in tail.lines] == [1, 2] and tail.report.oversized_lines == 1
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"

    path.unlink()
    write_records(path, range(0, 3))
    write_huge_line(path, newline=False)  # unterminated: the writer's repair must stay bounded too
    size = path.stat().st_size
    report = JournalReadReport()
    lines, peak = peak_of(lambda: list(iter_journal(path, report)))
    assert [line.ts for line in lines] == [0, 1, 2] and report.oversized_lines == 1
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"
    tail, peak = peak_of(lambda: read_tail(path, 5))
    assert [line.ts for line in tail.lines] == [0, 1, 2] and tail.report.oversized_lines == 1
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"

    writer, peak = peak_of(lambda: JournalWriter(path))
    with writer:
        assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"
        assert writer.torn_bytes_removed == 0
        assert path.stat().st_size == size + 1  # kept and ended, not cut
        writer.append(make_line(7))
    report = JournalReadReport()
    assert [line.ts for line in iter_journal(path, report)] == [0, 1, 2, 7]
    assert report.oversized_lines == 1 and report.torn_lines == 0


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lengths=st.lists(st.sampled_from([0, 5, 39, 40, 41, 200, -1, -1, -1]), max_size=20),
    ending=st.sampled_from(["newline", "unterminated-long", "unterminated-short"]),
    block_size=st.sampled_from([1, 3, 16, 41, 4096]),
    count=st.integers(min_value=0, max_value=25),
)
def test_tail_and_full_read_agree_with_a_small_line_limit(
    tmp_path_factory: pytest.TempPathFactory, lengths: list[int], ending: str, block_size: int, count: int
) -> None:
    """-1 is a record; other numbers are filler lines of that length (0: a blank line)."""
    limit = 40
    path = tmp_path_factory.mktemp("limit") / "actions.jsonl"
    chunks = []
    for ts, length in enumerate(lengths):
        record = encode_line(make_line(ts))
        chunks.append(record if length < 0 else b"y" * length + b"\n")
    if ending == "unterminated-long":
        chunks.append(b"z" * (limit + 1))
    elif ending == "unterminated-short":
        chunks.append(b"z" * limit)
    path.write_bytes(b"".join(chunks))
    limit_for_records = max(len(encode_line(make_line(ts))) for ts in range(len(lengths) + 1))

    # With a limit above every record, both readers keep the records and agree on what they skip.
    report = JournalReadReport()
    everything = list(iter_journal(path, report, max_line_bytes=limit_for_records))
    tail = read_tail(path, count, block_size=block_size, max_line_bytes=limit_for_records)
    expected = everything[-count:] if count else []
    assert [line.ts for line in tail.lines] == [line.ts for line in expected]
    if count >= len(everything) + 1:
        assert tail.report.skipped == report.skipped

    # With a limit below every record, all lines longer than it are oversized, never malformed.
    small = JournalReadReport()
    list(iter_journal(path, small, max_line_bytes=limit))
    longer = sum(1 for length in lengths if length > limit or length < 0)
    longer += 1 if ending == "unterminated-long" else 0
    assert small.oversized_lines == longer
    whole = read_tail(path, len(lengths) + 1, block_size=block_size, max_line_bytes=limit)
    assert whole.report.oversized_lines == longer
    assert whole.lines == ()


def test_a_line_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "actions.jsonl"
    record = encode_line(make_line(1))
    path.write_bytes(b"\n" + record + record.rstrip(b"\n"))
    size = len(record) - 1
    report = JournalReadReport()
    assert [line.ts for line in iter_journal(path, report, max_line_bytes=size)] == [1, 1]
    assert report.skipped == 0
    assert len(read_tail(path, 5, block_size=7, max_line_bytes=size).lines) == 2
    short = JournalReadReport()
    assert list(iter_journal(path, short, max_line_bytes=size - 1)) == []
    assert short.oversized_lines == 2
    assert read_tail(path, 5, block_size=7, max_line_bytes=size - 1).report.oversized_lines == 2
