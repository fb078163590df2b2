"""`ama-tui arena compare`: every strategy on the same seeds and presets in worker processes, a
ranked leaderboard, and a re-run that skips the runs already finished (an interrupted comparison
loses only the runs in flight)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from ama_tui.cli import main
from tests.cli_helpers import ama, ama_popen

ARGS = ["--seeds", "1-2", "--presets", "REALISTIC", "--wallets", "2", "--duration", "45", "--workers", "2"]


def _compare(out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict, str]:
    code = main(["arena", "compare", "packer", "rebalancer", *ARGS, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert len(captured.out.splitlines()) == 1
    return json.loads(captured.out), captured.err


def test_compare_ranks_and_skips_finished_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line, _ = _compare(tmp_path, capsys)
    assert (line["ran"], line["skipped"]) == (4, 0)
    board = json.loads((tmp_path / "leaderboard.json").read_text())
    means = [float(row["pnl"]["mean"]) for row in board["ranking"]]
    assert means == sorted(means, reverse=True) and len(means) == 2
    assert {row["strategy"] for row in board["ranking"]} == {"packer", "rebalancer"}
    for row in board["ranking"]:
        assert row["runs"] == 2 and row["pnl"]["n"] == 2
        assert float(row["pnl"]["ci95Low"]) <= float(row["pnl"]["mean"]) <= float(row["pnl"]["ci95High"])
        assert row["takerFills"] == 0 and row["capBreaches"] == 0
    assert len(board["runs"]) == 4
    assert (tmp_path / "leaderboard.md").read_text().startswith("# Leaderboard: packer, rebalancer")
    assert (tmp_path / "leaderboard.png").read_bytes()[:4] == b"\x89PNG"

    results = sorted(tmp_path.glob("runs/*/*/result.json"))
    assert len(results) == 4
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in results}
    board_before = (tmp_path / "leaderboard.json").read_bytes()
    lost = tmp_path / "runs" / "rebalancer" / "REALISTIC-seed2" / "result.json"
    lost.unlink()  # as if the comparison had been interrupted during this run

    line, err = _compare(tmp_path, capsys)
    assert (line["ran"], line["skipped"]) == (1, 3)
    assert "3 of 4 runs already finished: skipped" in err
    for path, (content, mtime) in before.items():
        assert path.read_bytes() == content
        if path != lost:
            assert path.stat().st_mtime_ns == mtime, f"{path} was run again"
    assert (tmp_path / "leaderboard.json").read_bytes() == board_before


def test_other_inputs_are_not_taken_for_finished_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "arena",
        "compare",
        "packer",
        "--seeds",
        "1",
        "--wallets",
        "1",
        "--workers",
        "1",
        "--out",
        str(tmp_path),
    ]
    assert main([*args, "--duration", "20"]) == 0
    assert json.loads(capsys.readouterr().out)["ran"] == 1
    assert main([*args, "--duration", "30"]) == 0
    assert json.loads(capsys.readouterr().out)["ran"] == 1, "a longer duration is another run"


@pytest.mark.slow
def test_an_interrupted_comparison_keeps_its_finished_runs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = [
        "arena",
        "compare",
        "packer",
        "--seeds",
        "1-6",
        "--wallets",
        "2",
        "--duration",
        "60",
        "--workers",
        "1",
    ]
    child = ama_popen(*argv, "--out", str(out), cwd=tmp_path)
    try:
        while not list(out.glob("runs/*/*/result.json")):
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            time.sleep(0.2)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, err
    assert "Traceback" not in err and "interrupted; finished runs are kept" in err
    kept = len(list(out.glob("runs/*/*/result.json")))
    assert 1 <= kept < 6
    assert not (out / "leaderboard.json").exists()
    again = ama(*argv, "--out", str(out), cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stderr
    line = json.loads(again.stdout)
    assert line["skipped"] == kept and line["ran"] == 6 - kept
