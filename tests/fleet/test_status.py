"""`fleet status`: one table of every market in the state folders, whether it runs, its strategy."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import ama


def test_status_lists_every_market_of_every_state_folder(tmp_path: Path) -> None:
    run = ("run", "--venue", "sim", "--virtual-time", "--wallets", "2", "--cycles", "2")
    assert ama(*run, "--market", "ETH-USD", "--state-dir", "one", cwd=tmp_path).returncode == 0
    taker = ("--strategy", "taker-flow")
    assert (
        ama(*run, "--market", "HENRY-HUB-PRICE", "--state-dir", "two", *taker, cwd=tmp_path).returncode == 0
    )
    result = ama(
        "fleet", "status", "--state-dir", "one", "--state-dir", "two", "--state-dir", "gone", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    table = result.stdout.splitlines()
    assert table[0].split()[:3] == ["market", "running", "strategy"]
    rows = {line.split()[0]: line for line in table[1:]}
    assert set(rows) == {"ETH-USD", "HENRY-HUB-PRICE"}
    assert " no " in rows["ETH-USD"] and "packer" in rows["ETH-USD"]
    assert "taker-flow" in rows["HENRY-HUB-PRICE"] and "RUN_STOP at" in rows["HENRY-HUB-PRICE"]
    assert "warning: gone: no such folder" in result.stderr


def test_status_of_nothing_says_so(tmp_path: Path) -> None:
    result = ama("fleet", "status", "--state-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0
    assert "no market with a checkpoint" in result.stdout
