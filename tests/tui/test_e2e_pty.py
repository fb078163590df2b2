"""The real `ama-tui` command in a pseudo-terminal: search, pick, start with the defaults, see our
orders on the dashboard, quit with `q`; exit code 0 and the state folder written."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pexpect
import pytest

from tests.cli_helpers import cli_env

STEP_TIMEOUT_S = 60
CTRL_S = "\x13"


def _journal_actions(state: Path) -> list[str]:
    actions: list[str] = []
    for journal in state.rglob("actions.jsonl"):
        actions += [json.loads(line)["action"] for line in journal.read_text().splitlines() if line.strip()]
    return actions


@pytest.mark.slow
def test_ama_tui_in_a_terminal(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {**cli_env(), "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "ama_tui", "--venue", "sim", "--seed", "1", "--wallets", "3", "--state-dir", str(state)],
        cwd=str(tmp_path),
        env=env,
        dimensions=(40, 120),
        encoding="utf-8",
        codec_errors="replace",
        timeout=STEP_TIMEOUT_S,
    )
    try:
        child.expect("active markets")
        child.send("eth")
        child.expect("match 'eth'")
        child.send("\r")
        child.expect("new run")
        child.send(CTRL_S)
        # The dashboard's ladder marks price levels holding our orders with ●n.
        child.expect(re.compile(r"●[1-9]"))
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while "PLACE_LIMIT" not in _journal_actions(state):
            assert time.monotonic() < deadline, "no PLACE_LIMIT in the journal"
            time.sleep(0.2)
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    (checkpoint,) = state.rglob("checkpoint.json")
    assert json.loads(checkpoint.read_text())["market"]["symbol"] == "ETH-USD"
    actions = _journal_actions(state)
    assert "PLACE_LIMIT" in actions and actions[-1] == "RUN_STOP"
