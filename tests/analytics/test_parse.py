"""Parsing a journal into DuckDB: the lines keep the journal's order however DuckDB shares the file
between its threads, and the original tool's human numbers are read exactly on the lines that
lack the integer fields."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ama_tui.analytics.load import load_journals
from ama_tui.analytics.timespec import Window
from tests.analytics.journal_builder import ALICE, E18, fill, line, place, write_journal

ACTIONS = ("FILL", "PLACE_LIMIT", "SKIP", "ERROR", "SESSION_INIT", "CANCEL_ORDER")


def _journal(path: Path) -> list[tuple]:
    con = duckdb.connect()
    load_journals([path], Window(), con)
    return con.execute(
        "SELECT ts - min(ts) OVER (), action, trader, price6, amount18, margin6 FROM journal ORDER BY seq"
    ).fetchall()


def test_lines_keep_the_journal_order_across_the_parse_threads(tmp_path: Path) -> None:
    """~24 MB: DuckDB reads it as several buffers on several threads. A plan with a join in it
    (an `IN (...)` list is planned as one) handed the lines back out of order (seen here at this
    size): fills were then replayed out of order."""
    count = 40_000
    note = "n" * 300
    lines = [
        line(
            ms,
            ACTIONS[ms % len(ACTIONS)],
            params={"orderId": str(ms), "price6": str(ms + 1), "amount18": "1", "note": note},
        )
        for ms in range(count)
    ]
    rows = _journal(write_journal(tmp_path / "state", lines))
    assert [row[0] for row in rows] == list(range(count))
    assert [row[3] for row in rows] == [ms + 1 for ms in range(count)]
    fills = [row for row in rows if row[1] == "FILL"]
    assert len(fills) == len(range(0, count, len(ACTIONS))) and all(row[2] == ALICE.lower() for row in fills)


def test_human_numbers_are_read_where_a_line_lacks_the_integer_fields(tmp_path: Path) -> None:
    head = '{"ts":%d,"runId":"r","chainId":1,"orderBook":"0xB00C","trader":"0xA1","action":"%s",'
    lines = [
        place(0, 1, True, 100_000_000, E18, 1_000_000),
        # the original tool's placement: human numbers only, read from their JSON text
        head
        % (1_767_225_601_000, "PLACE_LIMIT")
        + '"params":{"isBuy":false,"price":3001.5,"amount":0.123456789012345,'
        '"estMarginRequired":900.45,"orderId":"9"}}',
        # a placement with its size as an integer but its margin only as a human number
        head
        % (1_767_225_602_000, "PLACE_LIMIT")
        + '"params":{"isBuy":true,"price6":"2999000000","amount18":"2000000000000000000",'
        '"estMarginRequired":12.5,"orderId":"10"}}',
        fill(3000, 1, True, 100_000_000, E18, maker=True),
    ]
    rows = _journal(write_journal(tmp_path / "state", lines))
    assert [row[3:] for row in rows] == [
        (100_000_000, E18, 1_000_000),
        (3_001_500_000, 123_456_789_012_345_000, 900_450_000),
        (2_999_000_000, 2 * E18, 12_500_000),
        (100_000_000, E18, None),
    ]
