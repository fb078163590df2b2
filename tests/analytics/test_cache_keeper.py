"""The report's cache kept up to date beside a run: a child process refreshes each journal's table
now and then, a stop or a kill at any instant leaves the cache correct, a report waits a moment
for a table the child has open, and the run itself never loads DuckDB."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from ama_tui.analytics import cache_keeper
from ama_tui.analytics.cache_keeper import CacheKeeper, keep_report_cache, keeper_enabled, refresh
from ama_tui.analytics.render_json import report_dict
from ama_tui.analytics.report import build_report
from ama_tui.headless import HeadlessArgs, run_headless
from ama_tui.wiring import VenueChoice
from tests.analytics.journal_builder import E18, cancel, fill, place, write_journal


def _lines(start: int, count: int) -> list[str]:
    out: list[str] = []
    for n in range(start, start + count):
        out.append(place(n * 10, n, n % 2 == 0, 100_000_000 + (n % 7) * 10_000, E18, 1_000_000))
        if n % 3 == 0:
            out.append(fill(n * 10 + 5, n, n % 2 == 0, 100_000_000, E18 // 2, maker=True))
        elif n % 3 == 1:
            out.append(cancel(n * 10 + 7, n))
    return out


def _append(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("".join(text + "\n" for text in lines))


def _cached_bytes(cache: Path) -> int | None:
    """How many bytes of the journal the cache's table holds (None: no table)."""
    tables = list(cache.glob("*.duckdb"))
    if not tables:
        return None
    (table,) = tables
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{table}' AS c (READ_ONLY)")
        row = con.execute("SELECT parsed FROM c.meta").fetchone()
        return int(row[0]) if row else None
    except duckdb.Error:
        return None
    finally:
        con.close()


def _wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _same_as_fresh(path: Path, cache: Path) -> dict[str, object]:
    cached = report_dict(build_report([path], cache_dir=cache))
    assert cached == report_dict(build_report([path]))
    return cached


def test_lines_written_while_the_first_parse_reads_the_journal_are_not_counted_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run appends while the refresh parses its whole journal: DuckDB may read the new lines too,
    and the next refresh, starting where the first said it stopped, would add them again (seen in
    a wall-clock run: one SESSION_INIT counted twice)."""
    import ama_tui.analytics.journal_cache as journal_cache

    cache = tmp_path / "cache"
    path = write_journal(tmp_path / "state", _lines(1, 50))
    real = journal_cache.parse_journal
    grew: list[bool] = []

    def parse_while_the_run_writes(con: duckdb.DuckDBPyConnection, source: Path, *args: object) -> None:
        if source == path and not grew:
            grew.append(True)
            _append(path, _lines(51, 5))  # lands before DuckDB reads the file
        real(con, source, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(journal_cache, "parse_journal", parse_while_the_run_writes)
    assert refresh([path], cache) == []
    assert grew
    monkeypatch.setattr(journal_cache, "parse_journal", real)
    assert refresh([path], cache) == []  # takes the appended lines once
    _same_as_fresh(path, cache)


def test_a_refresh_brings_the_table_up_to_the_journals_end(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = write_journal(tmp_path / "state", _lines(1, 200))
    assert refresh([path], cache) == []
    assert _cached_bytes(cache) == path.stat().st_size
    _append(path, _lines(201, 50))
    assert refresh([path], cache) == []
    assert _cached_bytes(cache) == path.stat().st_size
    assert _same_as_fresh(path, cache)["orders"]["placements"] == 250  # type: ignore[index]


def test_a_missing_journal_is_named_and_the_others_are_refreshed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = write_journal(tmp_path / "state", _lines(1, 20))
    gone = tmp_path / "elsewhere" / "actions.jsonl"
    problems = refresh([gone, path], cache)
    assert len(problems) == 1 and str(gone) in problems[0]
    assert _cached_bytes(cache) == path.stat().st_size


def test_the_keeper_refreshes_while_the_journal_grows_and_rests_while_it_does_not(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = write_journal(tmp_path / "state", _lines(1, 100))
    with CacheKeeper([path], cache_dir=cache, first_after_s=0.05, every_s=0.3) as keeper:
        _wait_for(lambda: keeper.refreshes >= 1)
        assert _cached_bytes(cache) == path.stat().st_size
        _append(path, _lines(101, 40))
        _wait_for(lambda: keeper.refreshes >= 2)
        assert _cached_bytes(cache) == path.stat().st_size
        settled = keeper.refreshes
        time.sleep(1.0)  # three more rounds with nothing new: no child started
        assert keeper.refreshes == settled and keeper.last_problem is None
    assert _same_as_fresh(path, cache)["lines"] == 100 + 40 + 93  # type: ignore[comparison-overlap]


def test_a_stop_ends_a_refresh_at_once_and_the_next_report_is_still_exact(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = write_journal(tmp_path / "state", _lines(1, 30_000))
    keeper = CacheKeeper([path], cache_dir=cache, first_after_s=0.0, every_s=60.0)
    keeper.start()
    _wait_for(lambda: keeper.child is not None)
    child = keeper.child
    assert child is not None
    started = time.monotonic()
    keeper.stop()
    assert time.monotonic() - started < cache_keeper.STOP_GRACE_S + 1.0
    assert child.poll() is not None  # ended, not left behind
    assert keeper.refreshes == 0 and keeper.last_problem == "stopped with the run before it finished"
    _same_as_fresh(path, cache)


@pytest.mark.parametrize("after_s", [0.05, 0.3, 0.6, 1.0])
def test_a_refresh_killed_at_any_instant_leaves_a_cache_that_reports_exactly(
    tmp_path: Path, after_s: float
) -> None:
    cache = tmp_path / "cache"
    path = write_journal(tmp_path / "state", _lines(1, 20_000))
    assert refresh([path], cache) == []
    _append(path, _lines(20_001, 20_000))  # the killed child was parsing this tail
    child = subprocess.Popen(
        [sys.executable, "-m", "ama_tui.analytics.cache_keeper", "--cache-dir", str(cache), str(path)],
        stderr=subprocess.PIPE,
    )
    time.sleep(after_s)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    held = _cached_bytes(cache)
    assert held is not None and held <= path.stat().st_size
    assert _same_as_fresh(path, cache)["orders"]["placements"] == 40_000  # type: ignore[index]
    assert _cached_bytes(cache) == path.stat().st_size


_HOLD = """
import sys, time, duckdb
con = duckdb.connect()
con.execute(f"ATTACH '{sys.argv[1]}' AS held")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_report_waits_for_a_table_another_process_has_open(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = write_journal(tmp_path / "state", _lines(1, 100))
    assert refresh([path], cache) == []
    _append(path, _lines(101, 10))
    (table,) = cache.glob("*.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(table), "0.8"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        report = build_report([path], cache_dir=cache)
    finally:
        holder.wait(timeout=30)
    assert report.orders.placements == 110
    assert _cached_bytes(cache) == path.stat().st_size  # read through the cache, not around it


def test_the_keeper_is_off_on_the_virtual_clock_and_when_the_user_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(cache_keeper.ENABLE_ENV, "")
    assert keeper_enabled() and not keeper_enabled(virtual_time=True)
    for word in ("off", "0", "No", "false"):
        monkeypatch.setenv(cache_keeper.ENABLE_ENV, word)
        assert not keeper_enabled()
        with keep_report_cache([tmp_path / "actions.jsonl"]) as keeper:
            assert keeper is None


def test_a_wall_clock_run_leaves_its_journal_parsed_for_the_report(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import io

    cache_home = tmp_path / "cache-home"
    monkeypatch.setenv("AMA_TUI_CACHE_DIR", str(cache_home))
    monkeypatch.setenv(cache_keeper.ENABLE_ENV, "on")
    monkeypatch.setattr(cache_keeper, "FIRST_AFTER_S", 0.5)
    monkeypatch.setattr(cache_keeper, "EVERY_S", 0.5)
    err = io.StringIO()
    code = run_headless(
        HeadlessArgs(
            market="ETH-USD", venue=VenueChoice.SIM, wallets=3, state_dir=tmp_path / "st", duration=4.0
        ),
        out=io.StringIO(),
        err=err,
    )
    assert code == 0, err.getvalue()
    (journal,) = (tmp_path / "st").rglob("actions.jsonl")
    cache = cache_home / "journal-tables"
    held = _cached_bytes(cache)
    assert held is not None and 0 < held <= journal.stat().st_size  # the last lines may be after it
    _same_as_fresh(journal, cache)


def test_the_child_runs_at_the_lowest_priority(tmp_path: Path) -> None:
    path = write_journal(tmp_path / "state", _lines(1, 10))
    script = (
        "import os, sys\n"
        "from ama_tui.analytics import cache_keeper\n"
        "cache_keeper.main(['--cache-dir', sys.argv[1], sys.argv[2]])\n"
        "print(os.nice(0))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "cache"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert int(done.stdout.strip()) == max(os.nice(0), 19)


def test_the_tables_live_in_the_users_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ama_tui.analytics.cache_dir import default_cache_dir

    monkeypatch.setenv("AMA_TUI_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "mine" / "journal-tables"
    monkeypatch.delenv("AMA_TUI_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "ama-tui" / "journal-tables"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "ama-tui" / "journal-tables"
