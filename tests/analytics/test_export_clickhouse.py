"""ClickHouse export on chdb (an in-process ClickHouse) through the same client library and the
same DDL and queries a server gets: idempotent re-export, nothing lost, nothing doubled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from ama_tui.analytics import clickhouse_queries as q
from ama_tui.analytics.export_clickhouse import connect, export_clickhouse, redacted
from ama_tui.cli import main
from tests.analytics.journal_builder import BOOK, E18, cancel, fill, line, place, write_journal

pytest.importorskip("chdb")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    # chdb keeps one engine per process: each test opens its own folder and closes it after
    ch = connect(f"chdb://{tmp_path / 'clickhouse'}")
    try:
        yield ch
    finally:
        ch.close()


def _lines() -> list[str]:
    skip = line(5000, "SKIP", params={"reason": "TOP_MOVED", "message": "buy at 1 not sent"})
    return [
        place(0, 1, True, 100_000_000, E18, 1_000_000),
        place(0, 2, False, 101_000_000, E18, 1_000_000),
        fill(1000, 1, True, 100_000_000, E18, maker=True),
        cancel(2000, 2),
        "{torn",
        skip,
        line(
            5000, "SKIP", params={"reason": "TOP_MOVED", "message": "sell at 2 not sent"}
        ),  # same key, other line
        skip,  # the very same line again: a second occurrence, kept
    ]


def _rows(client: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in client.query(sql).result_rows]


def test_ddl_from_the_package_and_every_valid_line_once(tmp_path: Path, client: Any) -> None:
    path = write_journal(tmp_path / "state", _lines())
    first = export_clickhouse([path], client)
    assert (first.staged.rows, first.staged.malformed, first.inserted, first.already_stored) == (8, 1, 7, 0)
    assert "ENGINE = ReplacingMergeTree" in q.table_ddl()
    assert _rows(client, q.ROWS) == [(7,)]
    assert _rows(client, q.LINES_BY_ACTION) == [
        ("SKIP", 3),
        ("PLACE_LIMIT", 2),
        ("CANCEL_ORDER", 1),
        ("FILL", 1),
    ]
    assert _rows(client, q.FILL_RATE_BY_MARKET) == [(1337001, BOOK.lower(), 2, 1, 0.5)]
    stored = _rows(client, "SELECT line FROM ama_journal ORDER BY lineNo")
    assert [r[0] for r in stored] == [text for text in _lines() if text != "{torn"]


def test_exporting_twice_adds_nothing_and_new_lines_once(tmp_path: Path, client: Any) -> None:
    path = write_journal(tmp_path / "state", _lines())
    export_clickhouse([path], client)
    again = export_clickhouse([path], client)
    assert (again.inserted, again.already_stored) == (0, 7)
    # as seen by the queries, and in the table's raw rows too (nothing was sent twice)
    assert _rows(client, q.ROWS) == [(7,)]
    assert _rows(client, "SELECT count() FROM ama_journal") == [(7,)]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(fill(6000, 1, True, 100_000_000, E18, maker=False) + "\n")
    grown = export_clickhouse([path], client)
    assert (grown.inserted, grown.already_stored) == (1, 7)
    assert _rows(client, q.ROWS) == [(8,)]


def test_the_same_journal_from_two_hosts_lands_once(tmp_path: Path, client: Any) -> None:
    """A copy of a journal under another path (another host's state folder) is the same lines."""
    here = write_journal(tmp_path / "host-a", _lines())
    there = write_journal(tmp_path / "host-b", _lines())
    export_clickhouse([here], client)
    result = export_clickhouse([there], client)
    assert result.inserted == 0
    assert _rows(client, q.ROWS) == [(7,)]


def test_replacing_merge_tree_collapses_a_racing_duplicate(tmp_path: Path, client: Any) -> None:
    """Two exporters racing can both insert a line; FINAL (which every query uses) shows it once."""
    path = write_journal(tmp_path / "state", _lines()[:1])
    export_clickhouse([path], client)
    client.command(f"INSERT INTO {q.TABLE} SELECT * REPLACE (now64(3) AS exportedAt) FROM {q.TABLE}")
    assert _rows(client, "SELECT count() FROM ama_journal") == [(2,)]
    assert _rows(client, q.ROWS) == [(1,)]


def test_export_command_to_a_chdb_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_journal(tmp_path / "state", _lines())
    url = f"chdb://{tmp_path / 'cli-clickhouse'}"
    argv = ["export", "--state-dir", str(tmp_path / "state"), "--to", "clickhouse", url]
    assert main(argv) == 0
    assert (
        capsys.readouterr().out
        == "7 lines from 1 journal(s) sent, 0 already stored, 1 malformed (not sent)\n"
    )


def test_a_table_the_export_cannot_fill_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"chdb://{tmp_path / 'other-clickhouse'}"
    other = connect(url)
    other.command("CREATE TABLE ama_journal (something Int8) ENGINE = MergeTree ORDER BY something")
    other.close()
    write_journal(tmp_path / "state", _lines())
    assert main(["export", "--state-dir", str(tmp_path / "state"), "--to", "clickhouse", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ama-tui: export to {url} failed: ") and err.count("\n") == 1


def test_an_unreachable_server_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_journal(tmp_path / "state", _lines())
    url = "http://127.0.0.1:9/"  # the discard port: nothing listens
    assert main(["export", "--state-dir", str(tmp_path / "state"), "--to", "clickhouse", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ama-tui: --to clickhouse {url}: cannot connect") and err.count("\n") == 1


@pytest.mark.parametrize("password", ["s3cret-pw", "p%40ss%21word"])
def test_the_servers_password_is_never_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], password: str
) -> None:
    write_journal(tmp_path / "state", _lines())
    url = f"http://alice:{password}@127.0.0.1:9/analytics"
    assert main(["export", "--state-dir", str(tmp_path / "state"), "--to", "clickhouse", url]) == 2
    captured = capsys.readouterr()
    assert "ama-tui: --to clickhouse http://alice:***@127.0.0.1:9/analytics: cannot connect" in captured.err
    for secret in (password, unquote(password)):
        assert secret not in captured.err + captured.out
    assert redacted(url) == "http://alice:***@127.0.0.1:9/analytics"
