"""Crash safety: `kill -9` the headless runner at random moments, on the embedded exchange that
is saved with the run and restored on `--resume`. Every restart loads cleanly, the journal parses,
the run id is kept; on the restored exchange no wallet ever holds more than the target per side,
and no wallet ever has a second session while one is valid — including kills during the session
creation of a run's very first start."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from ama_tui.core.models import ActionLogLine, MarketCheckpoint
from ama_tui.store import derive_wallets
from ama_tui.venues.sim import SimVenue

from ..cli_helpers import ama, ama_popen

TRIALS = 40
FRESH_TRIALS = 10
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


def _exchange(state: Path) -> SimVenue | None:
    """The embedded exchange as the runs left it on disk (None when none was saved yet)."""
    found = list(state.rglob("sim-exchange.state"))
    if not found:
        return None
    sim = SimVenue(0, preset="REALISTIC", clock="wall")
    sim.restore_state(found[0].read_bytes())
    return sim


def _check_exchange(state: Path) -> tuple[int, int]:
    """(worst orders on one side of one wallet, most sessions valid at once for one wallet)."""
    sim = _exchange(state)
    if sim is None:
        return 0, 0
    wallets = [w.address for w in derive_wallets(0, 3)]
    info = sim.market_info("HENRY-HUB-PRICE")
    orders = sim.open_orders(info.order_book, wallets)
    worst = max(
        (max(sum(o.is_buy for o in held), sum(not o.is_buy for o in held)) for held in orders.values()),
        default=0,
    )
    now = sim.now()
    valid = Counter(
        trader.lower() for trader, expiry, *_ in sim.dump_state()["registry"]["sessions"] if expiry > now
    )
    return worst, max(valid.values(), default=0)


def _check_state(state: Path, run_id: str, *, one_run: bool = True) -> None:
    """`one_run`: every journal line is of this run (a first start killed before it saved any
    session leaves its own run id behind, and the next start is a new run)."""
    (checkpoint,) = state.rglob("checkpoint.json")
    assert MarketCheckpoint.model_validate_json(checkpoint.read_text()).run.run_id == run_id
    lines = _journal_lines(state)
    assert run_id in {line.run_id for line in lines}
    if one_run:
        assert {line.run_id for line in lines} == {run_id}
    worst, sessions = _check_exchange(state)
    assert worst <= TARGET, f"a wallet holds {worst} orders on one side (target {TARGET})"
    assert sessions <= 1, f"a wallet has {sessions} valid sessions at once"


def _started(process: subprocess.Popen[str], trial: str, wanted: tuple[str, ...]) -> list[str]:
    assert process.stderr is not None
    deadline = time.monotonic() + 120
    seen = []
    for line in process.stderr:
        seen.append(line)
        if line.startswith(wanted):
            return seen
        assert time.monotonic() < deadline, f"{trial}: the runner never got going"
    return seen


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kill_minus_nine_during_the_first_sessions(tmp_path: Path) -> None:
    """A run's first start dies while its sessions are being created (no checkpoint yet, or only
    part of it); the next start finds what exists and never opens a second session for a wallet."""
    rng = random.Random(99)
    for trial in range(FRESH_TRIALS):
        folder = tmp_path / f"t{trial}"
        folder.mkdir()
        process = ama_popen(*ARGS, cwd=folder)
        try:
            _started(process, f"trial {trial}", ("starting run",))
            time.sleep(rng.uniform(0.0, 2.0))
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            process.kill()
            process.communicate()
        after = ama(*ARGS, "--cycles", "2", cwd=folder)
        assert after.returncode == 0, after.stderr
        _check_state(folder / "st", json.loads(after.stdout.splitlines()[-1])["run_id"], one_run=False)


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
            worst, sessions = _check_exchange(tmp_path / "st")
            assert worst <= TARGET and sessions <= 1, f"trial {trial}: {worst} a side, {sessions} sessions"
    after = ama(*ARGS, "--resume", "--cycles", "2", cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout.splitlines()[-1])["run_id"] == run_id
    _check_state(tmp_path / "st", run_id)
