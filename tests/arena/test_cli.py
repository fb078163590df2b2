"""`ama-tui arena` on the command line: one JSON line on stdout, progress on stderr, and bad input
answered with one clear line and exit code 2, never a traceback."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from ama_tui.cli import main
from tests.cli_helpers import ama, ama_popen


def test_arena_run_prints_one_json_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "arena",
            "run",
            "packer",
            "--seed",
            "3",
            "--wallets",
            "2",
            "--duration",
            "60",
            "--out",
            str(tmp_path),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["strategy"] == "packer" and summary["seed"] == 3
    assert summary["takerFills"] == 0 and summary["capBreaches"] == 0
    folder = Path(summary["folder"])
    assert folder == tmp_path / "REALISTIC-seed3"
    assert json.loads((folder / "result.json").read_text())["figures"]["pnl"]["total"] == summary["pnl"]
    assert "sim 1m00s/1m00s" in captured.err, "the progress bar shows simulated time"


def test_arena_run_over_several_seeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "arena",
        "run",
        "packer",
        "--seeds",
        "1,2",
        "--wallets",
        "1",
        "--duration",
        "30",
        "--workers",
        "2",
    ]
    code = main([*argv, "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    line = json.loads(captured.out)
    assert line["runs"] == 2 and line["failed"] == 0
    assert [r["seed"] for r in line["results"]] == [1, 2]
    assert sorted(p.parent.name for p in tmp_path.glob("*/result.json")) == [
        "REALISTIC-seed1",
        "REALISTIC-seed2",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "packer", "--preset", "WEIRD"], "unknown preset 'WEIRD'"),
        (["run", "nosuch"], "no built-in strategy 'nosuch'"),
        (["run", "packer", "--set", "noSuchParam=1"], "noSuchParam: unknown parameter"),
        (["run", "packer", "--set", "novalue"], "--set 'novalue': expected name=value"),
        (["run", "packer", "--seeds", "5-2"], "is not a range of seeds"),
        (["run", "packer", "--seed", "x"], "--seed 'x': not a whole number"),
        (["run", "packer", "--wallets", "0"], "--wallets must be between 1"),
        (["run", "packer", "--duration", "-5"], "--duration must be a positive number"),
        (["run", "packer", "--market", "NOPE-USD"], "no market 'NOPE-USD'"),
        (["run", "missing.py"], "no strategy file at missing.py"),
        (["compare", "packer", "--presets", "REALISTIC,BAD"], "unknown preset 'BAD'"),
        (["compare", "packer", "nosuch"], "no built-in strategy 'nosuch'"),
        (["compare", "packer", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code = main(["arena", *argv, "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("ama-tui arena: ")
    assert message in captured.err
    assert not (tmp_path / "out").exists(), "nothing is run or written for bad input"


def test_bad_bars_through_the_real_command(tmp_path: Path) -> None:
    bars = tmp_path / "bars.csv"
    bars.write_text("timestamp,open,high,low,close,volume\n1700000060,1,2,0.5,1,1\n1700000000,1,2,0.5,1,1\n")
    done = ama("arena", "run", "packer", "--bars", str(bars), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert (
        f"ama-tui arena: --bars {bars} line 3: timestamp 1700000000 is before line 2's 1700000060"
        in done.stderr
    )
    assert done.stdout == ""


def test_ctrl_c_stops_a_run_without_reporting_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    child = ama_popen(
        "arena", "run", "packer", "--wallets", "1", "--duration", "86400", "--out", str(out), cwd=tmp_path
    )
    try:
        while not list(out.glob("*/state.tmp/*/*/actions.jsonl")):
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            time.sleep(0.1)
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted after" in stderr
    assert stdout == ""
    assert not list(out.glob("*/result.json")), "an interrupted run is not reported"
