"""A journal the cache has never seen: the report parses it in memory (quicker than into the
cache file), prints, and leaves the table to a child built after it (`refresh_later`); the next
report reads the table. A table that only lacks what the journal gained is still brought up to
date by the report itself."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ama_tui.analytics import cache_keeper
from ama_tui.analytics.journal_cache import JournalCache
from ama_tui.analytics.render_json import report_dict
from ama_tui.analytics.report import build_report
from ama_tui.cli import main
from tests.analytics.cache_children import record_children
from tests.analytics.journal_builder import E18, fill, place, write_journal


def _tables(cache: Path) -> list[str]:
    names = []
    for file in sorted(cache.glob("*.duckdb")):
        with duckdb.connect(str(file), read_only=True) as con:
            names += [
                r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
            ]
    return names


def test_a_journal_never_seen_is_deferred_and_a_grown_one_is_not(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    path = write_journal(tmp_path / "state", [place(0, 1, True, 100_000_000, E18, 1_000_000)])
    deferring = JournalCache(cache_dir, defer_full=True)
    first = build_report([path], cache=deferring)
    assert deferring.deferred == [path]
    assert _tables(cache_dir) == []  # nothing was parsed into the cache
    assert report_dict(first) == report_dict(build_report([path]))
    assert cache_keeper.refresh(deferring.deferred, cache_dir) == []  # what the child does
    assert _tables(cache_dir) == ["lines", "meta"]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(fill(1000, 1, True, 100_000_000, E18, maker=True) + "\n")
    again = JournalCache(cache_dir, defer_full=True)
    grown = build_report([path], cache=again)
    assert again.deferred == []  # the table took the new line itself
    assert report_dict(grown) == report_dict(build_report([path]))
    assert grown.orders.fills == 1


def test_the_command_prints_then_a_child_builds_the_table(
    tmp_path: Path,
    private_cache_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = tmp_path / "state"
    path = write_journal(state, [place(0, 1, True, 100_000_000, E18, 1_000_000)])
    started = record_children(monkeypatch)
    assert main(["report", "--state-dir", str(state), "--no-cache", "--format", "json"]) == 0
    fresh = json.loads(capsys.readouterr().out)
    assert started == []  # --no-cache: no cache, no child
    assert main(["report", "--state-dir", str(state), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == fresh
    (one,) = started
    assert one.journals == [path] and one.cache_dir == private_cache_dir / "journal-tables"
    assert one.child is not None and one.child.wait(timeout=120) == 0
    assert _tables(one.cache_dir) == ["lines", "meta"]
    assert main(["report", "--state-dir", str(state), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == fresh
    assert len(started) == 1  # read from the table: nothing left for a child


def test_with_the_keeper_off_the_report_builds_the_table_itself(
    tmp_path: Path,
    private_cache_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = tmp_path / "state"
    write_journal(state, [place(0, 1, True, 100_000_000, E18, 1_000_000)])
    monkeypatch.setattr(
        cache_keeper, "refresh_later", lambda *a: pytest.fail("no child when the keeper is off")
    )
    assert main(["report", "--state-dir", str(state), "--format", "json"]) == 0
    assert _tables(private_cache_dir / "journal-tables") == ["lines", "meta"]
