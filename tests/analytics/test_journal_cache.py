"""Parsed journals kept between reports: the same figures as a fresh parse, whatever happened to
the journal in between (it grew, a line is half written, it was replaced or cut)."""

from __future__ import annotations

import os
from pathlib import Path

from ama_tui.analytics.journal_cache import JournalCache
from ama_tui.analytics.render_json import report_dict
from ama_tui.analytics.report import build_report
from tests.analytics.journal_builder import E18, cancel, fill, line, place, write_journal


def _same_as_fresh(path: Path, cache: Path) -> dict:
    cached = report_dict(build_report([path], cache_dir=cache))
    assert cached == report_dict(build_report([path]))
    return cached


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def test_a_growing_journal_is_parsed_once_and_its_tail_after(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = write_journal(tmp_path / "state", [place(0, 1, True, 100_000_000, E18, 1_000_000)])
    assert _same_as_fresh(path, cache)["orders"]["placements"] == 1
    (table,) = cache.glob("*.duckdb")
    _append(path, fill(1000, 1, True, 100_000_000, E18, maker=True) + "\n" + cancel(2000, 9) + "\n")
    grown = _same_as_fresh(path, cache)
    assert (grown["orders"]["fills"], grown["orders"]["cancels"], grown["lines"]) == (1, 1, 3)
    assert list(cache.glob("*.duckdb")) == [table]
    assert not list(cache.glob("tail-*"))  # the tail's copy is removed


def test_a_line_still_being_written_waits_for_the_next_report(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = write_journal(tmp_path / "state", [place(0, 1, True, 100_000_000, E18, 1_000_000)])
    half = fill(1000, 1, True, 100_000_000, E18, maker=True)
    _append(path, half[:40])
    report = build_report([path], cache_dir=cache)
    assert (report.lines, report.malformed) == (1, 0)  # not yet a line, so not a malformed one
    _append(path, half[40:] + "\n")
    assert _same_as_fresh(path, cache)["orders"]["fills"] == 1


def test_a_replaced_or_cut_journal_is_parsed_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    state = tmp_path / "state"
    path = write_journal(state, [place(i * 1000, i, True, 100_000_000, E18, 1) for i in range(1, 6)])
    assert _same_as_fresh(path, cache)["orders"]["placements"] == 5
    write_journal(state, [line(0, "SKIP", params={"reason": "NO_SESSION"})] * 7)  # same path, new content
    replaced = _same_as_fresh(path, cache)
    assert (replaced["orders"]["placements"], replaced["lines"]) == (0, 7)
    os.truncate(path, len(line(0, "SKIP", params={"reason": "NO_SESSION"})) + 1)
    assert _same_as_fresh(path, cache)["lines"] == 1


def test_an_unusable_cache_folder_only_costs_a_full_parse(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    path = write_journal(tmp_path / "state", [place(0, 1, True, 100_000_000, E18, 1)])
    assert JournalCache(blocker)(path, 0, __import__("duckdb").connect()) is None
    assert build_report([path], cache_dir=blocker).orders.placements == 1


def _original_tools_placement(ms: int, order_id: int) -> str:
    """A placement as the original tool writes it: human numbers only."""
    return (
        f'{{"ts":{1_767_225_600_000 + ms},"runId":"r","chainId":1337001,'
        '"orderBook":"0x883Ab90A60713CEB9337AbB3aCe03d6898C95589","trader":"0xA1","action":"PLACE_LIMIT",'
        f'"params":{{"isBuy":true,"price":3001.5,"amount":0.25,"estMarginRequired":150.075,"orderId":"{order_id}"}}}}'
    )


def test_the_original_tools_lines_appended_to_a_cached_journal_are_read_exactly(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = write_journal(tmp_path / "state", [place(0, 1, True, 100_000_000, E18, 1_000_000)])
    assert _same_as_fresh(path, cache)["orders"]["placements"] == 1
    _append(path, _original_tools_placement(1000, 2) + "\n")
    grown = _same_as_fresh(path, cache)
    (series,) = grown["series"]
    assert [point["value"] for point in series["restingMargin"]] == ["1", "151.075"]
