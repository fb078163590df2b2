from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ama_tui.core.models import ActionLogLine
from ama_tui.store import journal_reader
from ama_tui.store.errors import StateWriteError
from ama_tui.store.journal import JournalWriter, encode_line
from ama_tui.store.journal_reader import JournalReadReport, iter_journal, read_tail

ORDER_BOOK = "0x4e5D6F497fCf4070A8d87A5Abb019f83E16c64bb"


def make_line(ts: int, action: str = "PLACE_LIMIT", **extra: Any) -> ActionLogLine:
    return ActionLogLine.model_validate(
        {
            "ts": ts,
            "runId": "run-1",
            "chainId": 999,
            "orderBook": ORDER_BOOK,
            "trader": "0x724CbE7b515dab1CE4B0e262990d2E3C47c6CA36",
            "nickname": "User001",
            "role": "MAKER",
            "action": action,
            "params": {"isBuy": True, "price": 4.5200000000000005, "amount": 0.125},
            **extra,
        }
    )


def write_lines(path: Path, count: int, start: int = 0) -> list[bytes]:
    raw = [encode_line(make_line(start + i)) for i in range(count)]
    with open(path, "ab") as handle:
        handle.write(b"".join(raw))
    return raw


def test_lines_are_compact_and_newline_terminated() -> None:
    data = encode_line(make_line(1))
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert b", " not in data and b": " not in data
    assert json.loads(data) == make_line(1).to_json_dict()
    assert b'"price":4.5200000000000005' in data


def test_append_fsyncs_each_line_and_append_many_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "actions.jsonl"
    calls: list[int] = []
    real_fsync = os.fsync
    with JournalWriter(path) as writer:

        def counting_fsync(fd: int) -> None:
            calls.append(fd)
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", counting_fsync)
        writer.append(make_line(1))
        assert len(calls) == 1
        assert writer.append_many(make_line(ts) for ts in range(2, 12)) == 10
        assert len(calls) == 2
        assert writer.append_many([]) == 0
        assert len(calls) == 2
    assert [line.ts for line in iter_journal(path)] == list(range(1, 12))
    assert path.stat().st_mode & 0o777 == 0o600


def test_an_existing_journal_is_made_private_and_appended_to(tmp_path: Path) -> None:
    path = tmp_path / "actions.jsonl"
    write_lines(path, 3)
    path.chmod(0o644)
    with JournalWriter(path) as writer:
        writer.append(make_line(3))
    assert path.stat().st_mode & 0o777 == 0o600
    assert [line.ts for line in iter_journal(path)] == [0, 1, 2, 3]


def test_torn_last_line_is_skipped_reported_and_repaired(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "actions.jsonl"
    good = write_lines(path, 5)
    torn = encode_line(make_line(5))[:37]
    with open(path, "ab") as handle:
        handle.write(torn)

    with caplog.at_level(logging.WARNING):
        tail = read_tail(path, 10)
    assert [line.ts for line in tail.lines] == [0, 1, 2, 3, 4]
    assert tail.report.torn_lines == 1 and tail.report.malformed_lines == 0
    assert "skipped torn last line" in caplog.text

    report = JournalReadReport()
    assert [line.ts for line in iter_journal(path, report)] == [0, 1, 2, 3, 4]
    assert report.torn_lines == 1 and report.skipped == 1

    with JournalWriter(path) as writer:
        assert writer.torn_bytes_removed == len(torn)
        writer.append(make_line(99))
    assert path.read_bytes() == b"".join(good) + encode_line(make_line(99))
    clean = JournalReadReport()
    assert [line.ts for line in iter_journal(path, clean)] == [0, 1, 2, 3, 4, 99]
    assert clean.skipped == 0


def test_a_whole_last_record_without_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "actions.jsonl"
    write_lines(path, 2)
    with open(path, "ab") as handle:
        handle.write(encode_line(make_line(2)).rstrip(b"\n"))
    assert [line.ts for line in read_tail(path, 5).lines] == [0, 1, 2]
    with JournalWriter(path) as writer:
        assert writer.torn_bytes_removed == 0
        writer.append(make_line(3))
    report = JournalReadReport()
    assert [line.ts for line in iter_journal(path, report)] == [0, 1, 2, 3]
    assert report.skipped == 0


def test_a_journal_that_is_only_a_torn_fragment_is_emptied(tmp_path: Path) -> None:
    path = tmp_path / "actions.jsonl"
    path.write_bytes(b'{"ts":12,"ru')
    with JournalWriter(path) as writer:
        writer.append(make_line(1))
    assert path.read_bytes() == encode_line(make_line(1))


def test_malformed_middle_lines_are_skipped_and_counted_unknown_actions_kept(tmp_path: Path) -> None:
    path = tmp_path / "actions.jsonl"
    future = make_line(2, action="FUTURE_ACTION", newField={"nested": [1, 2.5]})
    with open(path, "wb") as handle:
        handle.write(encode_line(make_line(1)))
        handle.write(b"this is not json\n")
        handle.write(b'{"valid": "json but not a journal record"}\n')
        handle.write(b"[1, 2]\n")
        handle.write(b"\n")
        handle.write(encode_line(future))
        handle.write(b'{"ts":3,"ru{"ts":4}\n')  # a torn fragment an older writer glued onto
        handle.write(encode_line(make_line(5)))

    report = JournalReadReport()
    lines = list(iter_journal(path, report))
    assert [line.ts for line in lines] == [1, 2, 5]
    assert report.malformed_lines == 4 and report.torn_lines == 0
    assert lines[1].action == "FUTURE_ACTION"
    assert lines[1].to_json_dict()["newField"] == {"nested": [1, 2.5]}
    assert encode_line(lines[1]) == encode_line(future)

    tail = read_tail(path, 3)
    assert [line.ts for line in tail.lines] == [1, 2, 5]
    assert tail.report.malformed_lines == 4


def test_tail_of_a_missing_or_empty_journal(tmp_path: Path) -> None:
    missing = tmp_path / "none.jsonl"
    assert read_tail(missing, 10).lines == ()
    assert list(iter_journal(missing)) == []
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert read_tail(empty, 10).lines == ()
    assert read_tail(empty, 0).lines == ()
    with pytest.raises(ValueError):
        read_tail(empty, -1)


class CountingFile(io.BufferedReader):
    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        CountingFile.bytes_read += len(data)
        return data


def test_tail_reads_blocks_from_the_end_not_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "actions.jsonl"
    raw = write_lines(path, 6000)
    size = path.stat().st_size
    assert size > 20 * 64 * 1024
    CountingFile.bytes_read = 0
    monkeypatch.setattr(
        journal_reader, "open", lambda p, mode: CountingFile(io.FileIO(p, "r")), raising=False
    )
    tail = read_tail(path, 200)
    assert [line.ts for line in tail.lines] == list(range(5800, 6000))
    assert CountingFile.bytes_read <= sum(map(len, raw[-200:])) + 2 * 64 * 1024
    assert CountingFile.bytes_read < size / 10


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kinds=st.lists(st.sampled_from(["good", "good", "good", "bad", "blank"]), max_size=25),
    tail_kind=st.sampled_from(["newline", "torn", "unterminated"]),
    block_size=st.sampled_from([1, 2, 7, 64, 333, 65536]),
    count=st.integers(min_value=0, max_value=30),
)
def test_tail_matches_the_end_of_a_full_read(
    tmp_path_factory: pytest.TempPathFactory, kinds: list[str], tail_kind: str, block_size: int, count: int
) -> None:
    path = tmp_path_factory.mktemp("tail") / "actions.jsonl"
    chunks = []
    for ts, kind in enumerate(kinds):
        chunks.append({"good": encode_line(make_line(ts)), "bad": b"{oops\n", "blank": b"\n"}[kind])
    if tail_kind == "torn":
        chunks.append(encode_line(make_line(1000))[:20])
    elif tail_kind == "unterminated":
        chunks.append(encode_line(make_line(1000)).rstrip(b"\n"))
    path.write_bytes(b"".join(chunks))

    everything = list(iter_journal(path))
    tail = read_tail(path, count, block_size=block_size)
    expected = everything[-count:] if count else []
    assert [line.ts for line in tail.lines] == [line.ts for line in expected]
    assert tail.report.torn_lines == (1 if tail_kind == "torn" and count else 0)


def test_failed_append_is_rolled_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "actions.jsonl"
    write_lines(path, 2)
    before = path.read_bytes()

    def half_then_fail(fd: int, data: bytes) -> None:
        os.write(fd, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    with JournalWriter(path) as writer:
        monkeypatch.setattr("ama_tui.store.journal.write_all", half_then_fail)
        with pytest.raises(StateWriteError, match="No space left"):
            writer.append_many([make_line(2), make_line(3)])
        assert path.read_bytes() == before
        monkeypatch.undo()
        writer.append(make_line(4))
    assert [line.ts for line in iter_journal(path)] == [0, 1, 4]


def test_encoding_errors_write_nothing(tmp_path: Path) -> None:
    path = tmp_path / "actions.jsonl"
    with JournalWriter(path) as writer:
        with pytest.raises(TypeError):
            writer.append_many([make_line(1), {"ts": 2}])  # type: ignore[list-item]
        assert path.read_bytes() == b""
    writer.close()
    with pytest.raises(Exception, match="closed"):
        writer.append(make_line(1))


def test_unsynced_appends_are_written_at_once_and_synced_later(tmp_path: Path) -> None:
    from ama_tui.core.models import ActionLogLine
    from ama_tui.store import StateStore

    store = StateStore(tmp_path).market(1, "0x" + "11" * 20).open()
    try:
        line = ActionLogLine(ts=1, run_id="r", chain_id=1, order_book="0x" + "11" * 20, action="PLACE_LIMIT")
        assert store.append_many([line, line], sync=False) == 2
        assert store.journal_path.read_text().count("PLACE_LIMIT") == 2
        store.sync_journal()
        assert [entry.action for entry in store.iter_journal()] == ["PLACE_LIMIT", "PLACE_LIMIT"]
    finally:
        store.close()
