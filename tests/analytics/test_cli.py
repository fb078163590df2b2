"""`ama-tui report` and `ama-tui export` from the command line: output, files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ama_tui.cli import main, parse_args
from tests.analytics.journal_builder import E18, cancel, fill, line, place, write_journal


@pytest.fixture
def state(tmp_path: Path) -> Path:
    root = tmp_path / "state"
    write_journal(
        root,
        [
            place(0, 1, True, 100_000_000, E18, 10_000_000),
            place(0, 2, False, 101_000_000, E18, 10_000_000),
            fill(2000, 1, True, 100_000_000, E18, maker=True),
            cancel(3000, 2),
            line(4000, "ERROR", error="cancel 2 failed: order_not_found"),
        ],
        symbol="ETH-USD",
    )
    return root


def test_report_json_for_scripts(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--state-dir", str(state), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["orders"]["fillRate"] == 0.5 and document["orders"]["churn"] == 0.5
    assert document["lifetimes"]["p50Ms"] == 2500.0
    assert document["markets"][0]["label"] == "ETH-USD"
    assert document["markets"][0]["position"] == "1"  # decimal strings, exact
    assert document["errorsByCode"] == [{"key": "order_not_found", "count": 1}]
    assert document["malformed"] == 0


def test_report_table_and_out_folder(state: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["--state-dir", str(state), "report", "--market", "ETH-USD", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "fill rate (fills / placements)  0.5000 (50.00 %)" in captured.out
    assert "ETH-USD" in captured.out
    assert f"to {out}" in captured.err
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Journal report")
    assert "| fill rate (fills / placements) | 0.5000 (50.00 %) |" in markdown
    for chart in ("lifetimes.png", "resting_margin.png", "position.png", "pnl.png", "errors.png"):
        assert (out / chart).read_bytes().startswith(b"\x89PNG"), chart
        assert f"]({chart})" in markdown
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["lines"] == 5


def test_report_markdown_on_stdout(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--state-dir", str(state), "--format", "md", "--since", "2026-01-01"]) == 0
    assert "## Orders" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--state-dir", "{missing}"], "state folder {missing} does not exist"),
        (
            ["report", "--state-dir", "{state}", "--since", "last tuesday"],
            "--since: cannot read 'last tuesday'",
        ),
        (
            ["report", "--state-dir", "{state}", "--until", "2020-01-01", "--since", "2021-01-01"],
            "is after --until",
        ),
        (["report", "--state-dir", "{state}", "--market", "BTC-USD"], "no journal for market 'BTC-USD'"),
        (["export", "--state-dir", "{missing}", "--to", "parquet", "x.parquet"], "does not exist"),
        (["export", "--state-dir", "{state}", "--to", "csv", "x.csv"], "--to csv: choose parquet"),
        (["export", "--state-dir", "{state}", "--to", "parquet", "{state}"], "is a folder"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    state: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    names = {"missing": str(tmp_path / "nowhere"), "state": str(state)}
    code = main([arg.format(**names) for arg in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("ama-tui: ")
    assert message.format(**names) in err
    assert "Traceback" not in err


def test_the_real_command_exits_2_without_a_traceback(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "ama_tui", "report", "--state-dir", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip() == f"ama-tui: state folder {tmp_path / 'nope'} does not exist"


def test_state_dir_from_before_the_subcommand_is_kept() -> None:
    args = parse_args(["--state-dir", "elsewhere", "report"])
    assert str(args.state_dir) == "elsewhere"
    assert parse_args(["report"]).state_dir == Path("state")


def test_building_the_parser_loads_no_analytics_library() -> None:
    script = (
        "import sys\nfrom ama_tui.cli import parse_args\nparse_args(['run', '--market', 'ETH-USD'])\n"
        "parse_args(['report'])\n"
        "heavy = ('duckdb', 'matplotlib', 'clickhouse_connect', 'numpy')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_report_keeps_parsed_journals_in_the_cache_unless_told(
    state: Path, private_cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = private_cache_dir / "journal-tables"  # $AMA_TUI_CACHE_DIR, as the remembered markets
    assert main(["report", "--state-dir", str(state), "--no-cache", "--format", "json"]) == 0
    assert not cache.exists()
    fresh = json.loads(capsys.readouterr().out)
    assert main(["report", "--state-dir", str(state), "--format", "json"]) == 0
    assert len(list(cache.glob("*.duckdb"))) == 1
    assert main(["report", "--state-dir", str(state), "--format", "json"]) == 0
    first, second = capsys.readouterr().out.split("\n}\n", 1)
    assert json.loads(first + "}") == json.loads(second) == fresh
