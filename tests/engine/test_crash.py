"""Crash safety: `kill -9` the headless runner at random moments; every restart with `--resume`
loads cleanly, the journal parses, the run id is kept, and no wallet goes past the hard maximum."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from ama_tui.core.models import ActionLogLine, MarketCheckpoint

from ..cli_helpers import ama, ama_popen

TRIALS = 20
TARGET = 3
ARGS = (
    "run",
    "--market",
    "HENRY-HUB-PRICE",
    "--venue",
    "sim",
    "--wallets",
    "3",
    "--state-dir",
    "st",
    "--preset",
    "REALISTIC",
    "--set",
    "minDelayMs=0",
    "--set",
    "maxDelayMs=30",
    "--set",
    f"ordersPerSidePerWallet={TARGET}",
    "--set",
    "maxWalletUtilization=0.9",
)


def _journal_lines(state: Path) -> list[ActionLogLine]:
    (journal,) = state.rglob("actions.jsonl")
    lines = []
    raw = journal.read_bytes().split(b"\n")
    assert raw[-1] == b"", "the journal must end with a whole line after a resume"
    for text in raw[:-1]:
        lines.append(ActionLogLine.model_validate(json.loads(text)))
    return lines


def _max_open_per_side(lines: list[ActionLogLine]) -> int:
    """An upper bound on open orders per wallet and side within each process's run: placements
    minus cancels since its RUN_START (the embedded exchange starts empty with each process)."""
    held: Counter[tuple[str, bool]] = Counter()
    worst = 0
    for line in lines:
        params = line.params or {}
        side = (line.trader, bool(params.get("isBuy")))
        if line.action == "RUN_START":
            held.clear()
        elif line.action == "PLACE_LIMIT":
            held[side] += 1
        elif line.action == "CANCEL":
            held[side] -= 1
        worst = max(worst, held[side])
    return worst


def _check_state(state: Path, run_id: str) -> None:
    (checkpoint,) = state.rglob("checkpoint.json")
    assert MarketCheckpoint.model_validate_json(checkpoint.read_text()).run.run_id == run_id
    lines = _journal_lines(state)
    assert {line.run_id for line in lines} == {run_id}
    assert _max_open_per_side(lines) <= 2 * TARGET


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_kill_minus_nine_at_random_moments(tmp_path: Path) -> None:
    """Each trial is a `--resume` that must start cleanly (it says it resumes the same run), then
    dies by SIGKILL at a random moment; the last restart runs to a clean end."""
    rng = random.Random(1234)
    first = ama(*ARGS, "--cycles", "3", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    run_id = json.loads(first.stdout.splitlines()[-1])["run_id"]
    for trial in range(TRIALS):
        process = ama_popen(*ARGS, "--resume", cwd=tmp_path)
        try:
            assert process.stderr is not None
            deadline = time.monotonic() + 120
            resumed = False
            for line in process.stderr:
                resumed = resumed or line.startswith(f"resuming run {run_id}")
                if line.startswith(("session ", "cycle ")):
                    break
                assert time.monotonic() < deadline, f"trial {trial}: the runner never got going"
            assert resumed, f"trial {trial}: the restart did not resume run {run_id}"
            time.sleep(rng.uniform(0.0, 1.5))
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            process.kill()
            process.communicate()
        if (tmp_path / "st").exists() and list((tmp_path / "st").rglob("actions.jsonl")):
            # the journal may end torn right after a kill; the next --resume repairs it
            (checkpoint,) = (tmp_path / "st").rglob("checkpoint.json")
            assert MarketCheckpoint.model_validate_json(checkpoint.read_text()).run.run_id == run_id
    after = ama(*ARGS, "--resume", "--cycles", "2", cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout.splitlines()[-1])["run_id"] == run_id
    _check_state(tmp_path / "st", run_id)
