"""`ama-tui run` end to end, as a user runs it."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from ama_tui.core.models import MarketCheckpoint

from .cli_helpers import ama, ama_popen

SIM = ("--venue", "sim")


def _summary(stdout: str) -> dict[str, object]:
    return json.loads(stdout.strip().splitlines()[-1])


def _journal(state: Path) -> list[dict[str, object]]:
    (journal,) = state.rglob("actions.jsonl")
    return [json.loads(line) for line in journal.read_text().splitlines()]


def test_virtual_time_run_prints_one_json_line_and_saves_state(tmp_path: Path) -> None:
    result = ama(
        "run",
        "--market",
        "ETH-USD",
        *SIM,
        "--virtual-time",
        "--cycles",
        "6",
        "--wallets",
        "3",
        "--state-dir",
        "st",
        "--seed",
        "4",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    summary = _summary(result.stdout)
    assert set(summary) == {
        "cycles",
        "placed",
        "cancelled",
        "fills",
        "errors",
        "skipped",
        "cancels_per_cycle",
        "stop_reason",
        "kill_switch",
        "market_closed",
        "taker_fills",
        "self_matches",
        "self_trade_cancels",
        "run_id",
    }
    assert summary["cycles"] == 6 and isinstance(summary["placed"], int) and summary["placed"] > 0
    assert summary["taker_fills"] == 0 and summary["self_matches"] == 0
    assert "embedded exchange" in result.stderr
    (checkpoint,) = (tmp_path / "st").rglob("checkpoint.json")
    saved = MarketCheckpoint.model_validate_json(checkpoint.read_text())
    assert saved.run.run_id == summary["run_id"] and len(saved.wallets) == 3
    actions = [line["action"] for line in _journal(tmp_path / "st")]
    assert actions[0] == "RUN_START" and actions[-1] == "RUN_STOP"
    assert actions.count("PLACE_LIMIT") == summary["placed"]


def test_resume_keeps_the_run_id_and_set_overrides_apply(tmp_path: Path) -> None:
    first = ama(
        "run",
        "--market",
        "HENRY-HUB-PRICE",
        *SIM,
        "--virtual-time",
        "--cycles",
        "2",
        "--wallets",
        "2",
        "--state-dir",
        "st",
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    second = ama(
        "run",
        "--market",
        "HENRY-HUB-PRICE",
        *SIM,
        "--virtual-time",
        "--cycles",
        "2",
        "--wallets",
        "2",
        "--state-dir",
        "st",
        "--resume",
        "--set",
        "ordersPerSidePerWallet=3",
        cwd=tmp_path,
    )
    assert second.returncode == 0, second.stderr
    assert _summary(second.stdout)["run_id"] == _summary(first.stdout)["run_id"]
    assert "resuming" in second.stderr
    (checkpoint,) = (tmp_path / "st").rglob("checkpoint.json")
    assert json.loads(checkpoint.read_text())["packer"]["ordersPerSidePerWallet"] == 3
    # what the resume found is said once, on stderr and in the journal
    said = [line for line in second.stderr.splitlines() if line.startswith("note: resumed: found ")]
    assert len(said) == 1 and "; sessions: " in said[0], second.stderr
    (resumed,) = [line for line in _journal(tmp_path / "st") if line["action"] == "RUN_RESUMED"]
    found = resumed["params"]
    assert found["sessionsKept"] >= 1 and found["message"] == said[0].removeprefix("note: ")
    assert found["sessionsKept"] + found["sessionsRenewed"] + found["sessionsNew"] == 2


def test_fresh_makes_a_new_run(tmp_path: Path) -> None:
    args = (
        "run",
        "--market",
        "ETH-USD",
        *SIM,
        "--virtual-time",
        "--cycles",
        "1",
        "--wallets",
        "1",
        "--state-dir",
        "st",
    )
    first = ama(*args, cwd=tmp_path)
    second = ama(*args, "--fresh", cwd=tmp_path)
    assert _summary(first.stdout)["run_id"] != _summary(second.stdout)["run_id"]


def test_dry_run_journals_but_places_nothing(tmp_path: Path) -> None:
    result = ama(
        "run",
        "--market",
        "ETH-USD",
        *SIM,
        "--virtual-time",
        "--cycles",
        "2",
        "--wallets",
        "2",
        "--state-dir",
        "st",
        "--dry-run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    actions = [line["action"] for line in _journal(tmp_path / "st")]
    assert "DRY_RUN" in actions and "PLACE_LIMIT" not in actions and "SESSION_INIT" not in actions


def test_clear_errors_and_no_traceback(tmp_path: Path) -> None:
    cases = [
        (("--market", "NOPE-USD"), "no market"),
        (("--market", "ETH-USD", "--resume"), "nothing to resume"),
        (("--market", "ETH-USD", "--set", "maxWalletUtilization=5"), "maxWalletUtilization"),
        (("--market", "ETH-USD", "--set", "bogus=1"), "bogus"),
        (("--market", "ETH-USD", "--csv", "missing.csv"), "missing.csv"),
    ]
    for extra, needle in cases:
        result = ama(
            "run", *SIM, "--virtual-time", "--cycles", "1", "--state-dir", "st", *extra, cwd=tmp_path
        )
        assert result.returncode == 2, (extra, result.stderr)
        assert needle in result.stderr
        assert "Traceback" not in result.stderr


def test_malformed_wallets_csv_names_the_line_and_never_the_key(tmp_path: Path) -> None:
    key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
    (tmp_path / "w.csv").write_text(
        f"nickname,address,privateKey\na,0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266,{key}\n"
    )
    result = ama(
        "run",
        *SIM,
        "--market",
        "ETH-USD",
        "--csv",
        "w.csv",
        "--state-dir",
        "st",
        "--cycles",
        "1",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "line 2" in result.stderr
    assert key[2:] not in result.stderr + result.stdout


def test_sigterm_stops_gracefully_with_state_saved(tmp_path: Path) -> None:
    process = ama_popen(
        "run",
        "--market",
        "ETH-USD",
        *SIM,
        "--wallets",
        "2",
        "--state-dir",
        "st",
        "--set",
        "minDelayMs=50",
        "--set",
        "maxDelayMs=100",
        cwd=tmp_path,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        for line in process.stderr:
            if line.startswith("cycle "):
                break
            assert time.monotonic() < deadline
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    summary = _summary(stdout)
    assert summary["cycles"] >= 1
    assert _journal(tmp_path / "st")[-1]["action"] == "RUN_STOP"


def test_help_and_version() -> None:
    here = Path.cwd()
    assert "run" in ama("--help", cwd=here).stdout
    assert ama("--version", cwd=here).stdout.startswith("ama-tui ")
    assert "--virtual-time" in ama("run", "--help", cwd=here).stdout


def test_common_options_work_before_or_after_run() -> None:
    from ama_tui.cli import build_parser

    parser = build_parser()
    before = parser.parse_args(["--seed", "3", "--venue", "sim", "run", "--market", "ETH-USD"])
    after = parser.parse_args(["run", "--market", "ETH-USD", "--seed", "5"])
    assert (before.seed, before.venue) == (3, "sim")
    assert (after.seed, after.venue, after.preset) == (5, "auto", "REALISTIC")
