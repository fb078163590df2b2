"""Exports go a chunk of lines at a time: the Parquet file gets a row group per chunk (memory
holds one chunk, not the journals), the rows are the same as a one-chunk export's, in order, and
progress is told after each chunk. The ClickHouse export sends a line that comes twice in one
export (the same journal under two folders) once."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from ama_tui.analytics import export_lines
from ama_tui.analytics.export_clickhouse import connect, export_clickhouse
from ama_tui.analytics.export_parquet import export_parquet
from tests.analytics.journal_builder import E18, cancel, fill, line, place, write_journal

FIXTURE = Path(__file__).parent.parent / "fixtures" / "ts-state"


def _lines() -> list[str]:
    return [
        place(0, 1, True, 100_000_000, E18, 1_000_000),
        place(0, 2, False, 101_000_000, E18, 1_000_000),
        "{torn",
        fill(1000, 1, True, 100_000_000, E18, maker=True),
        cancel(2000, 2),
        line(3000, "SKIP", params={"reason": "TOP_MOVED"}),
        line(3000, "SKIP", params={"reason": "TOP_MOVED"}),  # the same line again: occurrence 2
    ]


def _rows(path: Path) -> list[tuple[Any, ...]]:
    return duckdb.connect().execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()


def test_parquet_in_chunks_is_the_same_file_content_in_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(FIXTURE, tmp_path / "state")
    (ts_journal,) = (tmp_path / "state" / "999").glob("*/actions.jsonl")
    ours = write_journal(tmp_path / "state", _lines())
    whole = tmp_path / "whole.parquet"
    export_parquet([ts_journal, ours], whole)
    monkeypatch.setattr(export_lines, "CHUNK_LINES", 4)
    told: list[tuple[int, int]] = []
    chunked = tmp_path / "chunked.parquet"
    staged = export_parquet([ts_journal, ours], chunked, lambda done, total: told.append((done, total)))
    assert staged.rows == 135 + 7 and staged.malformed == 1
    assert _rows(chunked) == _rows(whole)  # every column of every row, in file and line order
    # 135 lines in chunks of 4 (34 chunks, the last of 3), then 7 in 2: a row group each
    assert pq.ParquetFile(chunked).metadata.num_row_groups == 34 + 2
    total = ts_journal.stat().st_size + ours.stat().st_size
    assert [t for _, t in told] == [total] * 36
    assert [d for d, _ in told] == sorted(d for d, _ in told) and told[-1][0] == total


def test_a_failed_parquet_export_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = write_journal(tmp_path / "state", _lines())
    monkeypatch.setattr(export_lines, "CHUNK_LINES", 2)
    out = tmp_path / "out" / "j.parquet"

    def fail_on_the_second_chunk(done: int, total: int) -> None:
        if done > 0 and len(calls) == 1:
            raise OSError(28, "No space left on device")
        calls.append(done)

    calls: list[int] = []
    with pytest.raises(OSError, match="No space"):
        export_parquet([journal], out, fail_on_the_second_chunk)
    assert not out.exists()
    assert list(out.parent.iterdir()) == []  # no .partial either


def test_clickhouse_in_chunks_sends_a_journal_under_two_folders_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("chdb")
    here = write_journal(tmp_path / "host-a", _lines())
    there = write_journal(tmp_path / "host-b", _lines())
    monkeypatch.setattr(export_lines, "CHUNK_LINES", 3)
    client = connect(f"chdb://{tmp_path / 'clickhouse'}")
    try:
        told: list[int] = []
        result = export_clickhouse([here, there], client, lambda done, total: told.append(done))
        assert (result.staged.rows, result.staged.malformed) == (14, 2)
        assert (result.inserted, result.already_stored) == (6, 6)
        assert len(told) == 6  # 7 lines a file in chunks of 3: three chunks a file
        stored = client.query("SELECT source, lineNo FROM ama_journal FINAL ORDER BY lineNo").result_rows
        assert [tuple(r) for r in stored] == [(str(here), n) for n in (1, 2, 4, 5, 6, 7)]
        again = export_clickhouse([there], client)
        assert (again.inserted, again.already_stored) == (0, 6)
    finally:
        client.close()
