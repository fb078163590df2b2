"""Progress of a long report or export: a line on a terminal's stderr, never on stdout, nothing
when stderr is not a terminal; and DuckDB's own progress bar (which it prints on stdout) off."""

from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb
import pytest

from ama_tui.analytics import duck
from ama_tui.analytics.progress_line import ProgressLine, ReportProgress, bytes_read
from ama_tui.analytics.report import build_report
from ama_tui.cli import main
from tests.analytics.journal_builder import E18, fill, place, write_journal
from tests.tui.dashboard_support import FakeClock

FIXTURE = Path(__file__).parent.parent / "fixtures" / "ts-state"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_line_redrawn_in_place_at_most_every_interval_then_wiped() -> None:
    stream, clock = _Terminal(), FakeClock()
    line = ProgressLine(stream, interval_s=0.25, monotonic=clock)
    told = bytes_read(line, "exporting")
    told(100_000_000, 400_000_000)
    clock.now = 0.1
    told(200_000_000, 400_000_000)  # too soon: not drawn
    clock.now = 0.3
    told(300_000_000, 400_000_000)
    clock.now = 0.31
    told(400_000_000, 400_000_000)  # the end is always drawn
    line.clear()
    assert stream.getvalue().split("\r") == [
        "",
        "exporting: 25% (100 of 400 MB)",
        "exporting: 75% (300 of 400 MB)",
        "exporting: 100% (400 of 400 MB)",
        " " * len("exporting: 100% (400 of 400 MB)"),
        "",
    ]


def test_a_shorter_text_covers_the_longer_one_before_it() -> None:
    stream = _Terminal()
    line = ProgressLine(stream, interval_s=0.0)
    line.show("report: reading a/actions.jsonl 50%")
    line.show("report: done")
    assert stream.getvalue().endswith(
        "\rreport: done" + " " * (len("report: reading a/actions.jsonl 50%") - 12)
    )


def test_nothing_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    line = ProgressLine(stream, interval_s=0.0)
    bytes_read(line, "exporting")(1, 2)
    line.clear()
    assert stream.getvalue() == ""


def test_a_report_says_which_journal_it_reads_then_the_figures(tmp_path: Path) -> None:
    first = write_journal(tmp_path / "a", [place(0, 1, True, 100_000_000, E18, 1_000_000)])
    second = write_journal(tmp_path / "b", [fill(1000, 1, True, 100_000_000, E18, maker=True)])
    stream = _Terminal()
    con = duck.connect()
    with ReportProgress(ProgressLine(stream, interval_s=0.0), con, [first, second]) as progress:
        build_report([first, second], con=con, on_file=progress.file_started)
    drawn = [text.rstrip() for text in stream.getvalue().split("\r") if text.strip()]
    assert any(t.startswith(f"report: reading {first.parent.name}/actions.jsonl (1 of 2)") for t in drawn)
    assert any(t.startswith(f"report: reading {second.parent.name}/actions.jsonl (2 of 2)") for t in drawn)
    assert drawn[-1] == "report: working out the figures"
    assert stream.getvalue().endswith("\r" + " " * len("report: working out the figures") + "\r")


def test_duckdb_never_prints_its_progress_bar_on_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    """DuckDB draws a bar on stdout for a query past `progress_bar_time` (2 s): a long report's
    JSON or the TUI's screen would get it. Every query is "long" here (0 ms)."""
    (journal,) = (FIXTURE / "999").glob("*/actions.jsonl")
    con = duck.connect()
    con.execute("SET progress_bar_time = 0")
    build_report([journal], con=con)
    assert capfd.readouterr().out == ""
    plain = duckdb.connect()
    plain.execute("SET progress_bar_time = 0")
    build_report([journal], con=plain)
    assert "100%" in capfd.readouterr().out  # what the analytics' connections keep off stdout


def test_the_report_command_keeps_stdout_for_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_journal(tmp_path / "state", [place(0, 1, True, 100_000_000, E18, 1_000_000)])
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["report", "--state-dir", str(tmp_path / "state"), "--no-cache", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["lines"] == 1
    assert "report: reading" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r")  # wiped before the report was printed
