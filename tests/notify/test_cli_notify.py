"""The real commands with `AMA_NOTIFY_URLS` set: a headless run and an arena run notify a local
receiver before they exit; the URL's token appears nowhere in their output."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import ama

from .receiver import local_receiver

SECRET = "TOKEN-c1i-9999"


def test_a_headless_run_tells_its_start_and_stop(tmp_path: Path) -> None:
    with local_receiver() as receiver:
        (tmp_path / ".env").write_text(f"AMA_NOTIFY_URLS={receiver.url(f'run/{SECRET}')}\n")
        result = ama(
            "run",
            "--market",
            "ETH-USD",
            "--venue",
            "sim",
            "--virtual-time",
            "--preset",
            "PERFECT_EXECUTION",
            "--cycles",
            "3",
            "--wallets",
            "2",
            "--state-dir",
            "st",
            cwd=tmp_path,
        )
        # the run closes its notifier (drained) before it exits: everything is here already
        posts = receiver.matching("/run/")
    assert result.returncode == 0, result.stderr
    run_id = json.loads(result.stdout.strip().splitlines()[-1])["run_id"]
    titles = [p.payload["title"] for p in posts]
    assert titles == ["ama-tui: run started (ETH-USD)", "ama-tui: run stopped (ETH-USD)"]
    started, stopped = (p.payload for p in posts)
    assert started["message"] == f"run {run_id} started on ETH-USD with 2 wallets, strategy packer"
    assert started["type"] == "info"
    assert stopped["type"] == "success"
    assert (
        "stopped: 3 cycles done" in stopped["message"]
        and f"run {run_id} on ETH-USD: 3 cycles" in stopped["message"]
    )
    assert SECRET not in result.stdout + result.stderr


def test_an_arena_run_tells_it_finished(tmp_path: Path) -> None:
    with local_receiver() as receiver:
        (tmp_path / ".env").write_text(f"AMA_NOTIFY_URLS={receiver.url(f'arena/{SECRET}')}\n")
        result = ama(
            "arena",
            "run",
            "packer",
            "--wallets",
            "1",
            "--duration",
            "60",
            "--out",
            str(tmp_path / "out"),
            cwd=tmp_path,
        )
        posts = receiver.matching("/arena/")
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout.strip().splitlines()[-1])
    (post,) = posts
    assert post.payload["title"] == "ama-tui: arena finished"
    assert post.payload["type"] == "success"
    assert (
        f"packer on {line['market']} ({line['preset']}, seed {line['seed']}): PnL {line['pnl']}"
        in (post.payload["message"])
    )
    assert SECRET not in result.stdout + result.stderr
