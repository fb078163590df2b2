"""Malformed lines are counted and skipped, never fatal."""

from __future__ import annotations

from pathlib import Path

from ama_tui.analytics.render_text import render_text
from ama_tui.analytics.report import build_report
from tests.analytics.journal_builder import E18, fill, line, place, write_journal


def test_each_kind_of_bad_line_is_counted_once(tmp_path: Path) -> None:
    good = [
        place(0, 1, True, 100_000_000, E18, 1_000_000),
        fill(1000, 1, True, 100_000_000, E18, maker=True),
        line(2000, "SKIP", params={"reason": "TOP_MOVED"}),
    ]
    bad = [
        "this is not json",
        "[1, 2, 3]",
        '"a string"',
        '{"ts": "soon", "runId": "r", "chainId": 1, "orderBook": "0x1", "action": "FILL"}',  # ts not a number
        '{"runId": "r", "chainId": 1, "orderBook": "0x1", "action": "FILL"}',  # no ts
        '{"ts": 5, "chainId": 1, "orderBook": "0x1", "action": "FILL"}',  # no runId
        '{"ts": 5, "runId": "r", "chainId": 1, "orderBook": "0x1"}',  # no action
    ]
    lines = [good[0], bad[0], bad[1], "", good[1], *bad[2:], "   ", good[2]]
    path = write_journal(tmp_path / "state", lines)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"ts": 9, "runId": "r", "chai')  # torn last line, no newline
    report = build_report([path])
    (stats,) = report.files
    assert stats.lines == len(good) + len(bad) + 1  # blank lines are not lines
    assert stats.malformed == len(bad) + 1
    assert report.malformed == 8 and report.lines == 3
    assert report.orders.placements == 1 and report.orders.fills == 1
    assert report.notes[0] == "8 malformed line(s) counted and skipped"
    assert "malformed lines (skipped)  8" in render_text(report)


def test_an_empty_journal_reports_nothing_rather_than_failing(tmp_path: Path) -> None:
    report = build_report([write_journal(tmp_path / "state", [])])
    assert report.lines == 0 and report.orders.fill_rate is None and report.markets == ()
    assert report.notes == ("no journal lines",)
    assert "Journal report" in render_text(report)
