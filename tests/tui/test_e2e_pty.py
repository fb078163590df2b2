"""The real `ama-tui` command in a pseudo-terminal: search, pick, start with the defaults, see our
orders on the dashboard, quit with `q`; exit code 0 and the state folder written.

With the defaults (the embedded exchange's REALISTIC preset, the wall clock) the engine keeps its
orders a safety floor of hundreds of ticks from the mid, beyond the levels nearest the spread:
the ladder folds the levels between so that ours, marked `●n`, stay on screen.
"""

from __future__ import annotations

import json
import re
import sys
import time
from decimal import Decimal
from pathlib import Path

import pexpect
import pytest

from tests.cli_helpers import cli_env

STEP_TIMEOUT_S = 60
OURS_TIMEOUT_S = 150
"""The ladder shows our orders once the engine has read them back: in the snapshot that ends its
second cycle (the first places them). A REALISTIC cycle of three wallets spends about 18 s on
relay round trips (wall clock), so they show about 40 s after the start; a busy machine can take
longer to come round."""
CTRL_S = "\x13"
OUR_LEVEL = re.compile(r"●([1-9][0-9]*)[ +]*(?:\x1b\[[0-9;]*m)*([0-9][0-9,]*\.[0-9]+)")
"""A ladder line of ours as the terminal receives it: `●n`, then (past the styles) its price."""


def _journal(state: Path) -> list[dict[str, object]]:
    lines: list[dict[str, object]] = []
    for journal in state.rglob("actions.jsonl"):
        lines += [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    return lines


def _journal_actions(state: Path) -> list[str]:
    return [str(line["action"]) for line in _journal(state)]


def _placed_prices6(state: Path) -> list[int]:
    """The price of every order the journal says we placed."""
    return [
        int(params["price6"])
        for line in _journal(state)
        if line["action"] == "PLACE_LIMIT" and isinstance(params := line.get("params"), dict)
    ]


def _price6(text: str) -> int:
    return int(Decimal(text.replace(",", "")) * 10**6)


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
        # The dashboard's ladder marks price levels holding our orders with ●n, beside their price.
        started = time.monotonic()
        child.expect(OUR_LEVEL, timeout=OURS_TIMEOUT_S)
        seen_after_s = time.monotonic() - started
        assert child.match is not None
        count, price = int(child.match.group(1)), _price6(child.match.group(2))
        # the level marked is one where the journal says we placed (at least as many as it counts)
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while (placed := _placed_prices6(state)).count(price) < count:
            assert time.monotonic() < deadline, (
                f"●{count} at {child.match.group(2)} (after {seen_after_s:.0f} s), "
                f"but the journal placed at {sorted(set(placed))}"
            )
            time.sleep(0.2)
        child.sendcontrol("c")  # as in any terminal program: the run stops, saves and quits
        # once the dashboard has closed, the terminal says what the run did and where its state is
        child.expect(r"ama-tui: run \S+ on ETH-USD: \d+ cycles, \d+ placed", timeout=STEP_TIMEOUT_S)
        child.expect(r"state: \S+", timeout=STEP_TIMEOUT_S)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    (checkpoint,) = state.rglob("checkpoint.json")
    assert json.loads(checkpoint.read_text())["market"]["symbol"] == "ETH-USD"
    actions = _journal_actions(state)
    assert "PLACE_LIMIT" in actions and actions[-1] == "RUN_STOP"
