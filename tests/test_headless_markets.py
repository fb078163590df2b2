"""`ama-tui run` over two markets, end to end: killed with SIGKILL mid-run, `--resume` restores
both markets (their runs, the one embedded exchange, the shared sessions); mistakes get one line."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

from .cli_helpers import ama, ama_popen

SIM = ("--venue", "sim", "--preset", "PERFECT_EXECUTION", "--wallets", "3", "--state-dir", "st")
TWO = ("--market", "ETH-USD", "--market", "BTC-USD")
FAST = (
    "--set",
    "maxWalletUtilization=0.8",
    "--set",
    "minDelayMs=50",
    "--set",
    "maxDelayMs=100",
    "--set",
    "sizeMinUsd=500",
    "--set",
    "sizeMaxUsd=1500",
)


@pytest.mark.timeout(300)
def test_kill_minus_nine_then_resume_restores_both_markets(tmp_path: Path) -> None:
    process = ama_popen("run", *TWO, *SIM, *FAST, cwd=tmp_path)
    runs: dict[str, str] = {}
    cycled: dict[str, int] = {}
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 120
        for line in process.stderr:
            if started := re.match(r"starting run (\S+) on (\S+) ", line):
                runs[started[2]] = started[1]
            if cycle := re.match(r"(\S+) cycle (\d+):", line):
                cycled[cycle[1]] = int(cycle[2])
            if len(cycled) == 2 and min(cycled.values()) >= 4:
                break
            assert time.monotonic() < deadline, "the run never cycled both markets"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    assert set(runs) == {"ETH-USD", "BTC-USD"}
    journals = {path.parent.name: path for path in (tmp_path / "st").rglob("actions.jsonl")}
    assert len(journals) == 2
    placed_before = sum(path.read_text().count('"PLACE_LIMIT"') for path in journals.values())

    again = ama("run", *TWO, *SIM, *FAST, "--resume", "--cycles", "2", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    for symbol, run_id in runs.items():
        assert f"resuming run {run_id} on {symbol} " in again.stderr
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert {m: s["cycles"] for m, s in summary["markets"].items()} == {"ETH-USD": 2, "BTC-USD": 2}
    assert {m: s["run_id"] for m, s in summary["markets"].items()} == runs
    assert summary["placed"] < placed_before  # the exchange came back with the orders
    lines = [json.loads(line) for path in journals.values() for line in path.read_text().splitlines()]
    assert not [line for line in lines if "session_unknown" in (line.get("error") or "")]
    opened = {
        line["params"]["sessionId"]
        for line in lines
        if line["action"] == "SESSION_INIT" and "sharedWith" not in line["params"]
    }
    assert len(opened) == 3, "one session per wallet for both markets, never a second"


def test_mistakes_in_a_run_over_several_markets_get_one_line(tmp_path: Path) -> None:
    cases = [
        (("--market", "ETH-USD", "--market", "eth-usd"), "give each market once"),
        (("--market", "ETH-USD", "--market-weight", "ETH-USD=2"), "--market-weight needs two or more"),
        ((*TWO, "--market-weight", "SOL-USD=2"), "MARKET one of ETH-USD, BTC-USD"),
        ((*TWO, "--set", "maxWalletUtilization=0.03"), "under the 2 %"),
        ((*TWO, "--market", "NOPE-USD"), "no market 'NOPE-USD'"),
    ]
    for args, message in cases:
        result = ama("run", *args, *SIM, "--virtual-time", "--cycles", "1", cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
    assert not list(tmp_path.rglob("checkpoint.json"))  # nothing was started
