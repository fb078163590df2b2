"""The headless runner's edges: budgets refused, the kill switch's own exit code and reason, and
one process per market on the machine whatever the state folder."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .cli_helpers import ama, ama_popen

SIM = ("--venue", "sim", "--preset", "REALISTIC")


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--cycles", "-1", "--cycles must be at least 1"),
        ("--cycles", "0", "--cycles must be at least 1"),
        ("--duration", "-5", "--duration must be a positive"),
        ("--duration", "nan", "--duration must be a positive"),
    ],
)
def test_a_budget_that_makes_no_sense_is_refused(tmp_path: Path, flag: str, value: str, message: str) -> None:
    result = ama("run", "--market", "ETH-USD", *SIM, flag, value, "--state-dir", "st", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "st").exists()  # nothing was started


def test_the_kill_switch_exits_with_its_own_code_and_reason(tmp_path: Path) -> None:
    result = ama(
        "run",
        "--market",
        "ETH-USD",
        *SIM,
        "--virtual-time",
        "--wallets",
        "3",
        "--cycles",
        "300",
        "--state-dir",
        "st",
        "--set",
        "maxWalletLossFraction=0.000001",
        cwd=tmp_path,
    )
    assert result.returncode == 4, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["kill_switch"] is True and summary["stop_reason"].startswith("kill switch: ")
    assert summary["cycles"] < 300
    (journal,) = (tmp_path / "st").rglob("actions.jsonl")
    last = json.loads(journal.read_text().splitlines()[-1])
    assert last["action"] == "RUN_STOP" and last["params"]["reason"].startswith("kill switch: ")


def test_a_second_process_for_the_same_market_is_refused_whatever_its_state_folder(tmp_path: Path) -> None:
    first = ama_popen("run", "--market", "ETH-USD", *SIM, "--wallets", "1", "--state-dir", "a", cwd=tmp_path)
    try:
        assert first.stderr is not None
        deadline = time.monotonic() + 60
        for line in first.stderr:
            if line.startswith(("resuming run", "starting run")):
                break
            assert time.monotonic() < deadline, "the first run did not start"
        second = ama("run", "--market", "ETH-USD", *SIM, "--wallets", "1", "--state-dir", "b", cwd=tmp_path)
        assert second.returncode == 2
        assert f"PID {first.pid}" in second.stderr and "Traceback" not in second.stderr
    finally:
        first.terminate()
        first.communicate(timeout=30)


def test_the_embedded_exchange_resumes_with_the_run(tmp_path: Path) -> None:
    args = ("run", "--market", "ETH-USD", *SIM, "--virtual-time", "--wallets", "3", "--state-dir", "st")
    first = ama(*args, "--cycles", "5", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert list((tmp_path / "st").rglob("sim-exchange.state"))
    (journal,) = (tmp_path / "st").rglob("actions.jsonl")
    placed_before = journal.read_text().count('"PLACE_LIMIT"')
    again = ama(*args, "--resume", "--cycles", "3", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    # the same exchange: the sessions still work, the orders placed before are still there
    assert not [line for line in lines if "session_unknown" in (line.get("error") or "")]
    assert sum(line["action"] == "SESSION_INIT" for line in lines) == 3
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert summary["placed"] < placed_before  # it only tops up what the first run left
    # another seed cannot resume this exchange: a clear message, nothing changed
    other = ama(*args, "--resume", "--seed", "9", "--cycles", "1", cwd=tmp_path)
    assert other.returncode == 2 and "seed 0, but this one has 9" in other.stderr
    assert len(journal.read_text().splitlines()) == len(lines)
