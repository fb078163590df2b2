"""One `ama-tui run` over two markets on the devnet with the same wallets: the wallets' orders over
both markets never reserve more than the run's total maxWalletUtilization of their collateral (the
vault's collateral is per wallet, read from the chain while the run trades and after it), one
session per wallet covers both markets, and a run killed with SIGKILL resumes both. The first run
goes through a proxy that holds every relay call RELAY_LATENCY_S, so the two markets' cycles trade
side by side on the wall clock as they would against production's relay."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ama_tui.devnet.stack import DevnetStack
from ama_tui.wiring import VenueChoice, open_venue
from benchmarks.latency_proxy import LatencyProxy

pytestmark = [pytest.mark.devnet, pytest.mark.slow]

MARKETS = ("ETH-USD", "HENRY-HUB-PRICE")
RELAY_LATENCY_S = 0.3
SAMPLE_EVERY_S = 0.3
TOTAL_BPS = 2_000
# orders big enough that the cap, not the order count, decides how many rest
SETS = ("sizeMinUsd=15000", "sizeMaxUsd=24000", "minDelayMs=50", "maxDelayMs=100", "maxWalletUtilization=0.2")


def _command(stack: DevnetStack, *extra: str) -> list[str]:
    args = [sys.executable, "-m", "ama_tui", "run", "--venue", "dexetra", "--csv", str(stack.wallets_csv)]
    for market in MARKETS:
        args += ["--market", market]
    for item in SETS:
        args += ["--set", item]
    return [*args, "--state-dir", "st", *extra]


def _reserved(traders: list[str]) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """From the chain: free collateral, margin reserved over both markets, orders resting per
    market (free collateral read first: an order landing between the reads can only make the
    budget look larger, never a breach that is not there)."""
    venue = open_venue(VenueChoice.DEXETRA, probe=False).venue
    try:
        available = venue.available_collateral(traders)
        reserved = dict.fromkeys(traders, 0)
        resting = dict.fromkeys(MARKETS, 0)
        for market in MARKETS:
            info = venue.market_info(market)
            for trader, orders in venue.open_orders(info.order_book, traders).items():
                reserved[trader] += sum(o.margin_required6 for o in orders)
                resting[market] += len(orders)
    finally:
        venue.close()
    return available, reserved, resting


def test_one_run_over_two_markets_holds_every_wallets_total_and_resumes_after_kill(
    node_modules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with DevnetStack(wallets=3) as stack:
        for key, value in stack.env().items():
            monkeypatch.setenv(key, value)
        env = {**os.environ, **stack.env(), "PYTHONUNBUFFERED": "1"}
        traders = [w.address for w in stack.wallets.wallets]
        over: list[str] = []
        samples = 0
        most_bps = 0
        most_resting = dict.fromkeys(MARKETS, 0)
        stopped = threading.Event()

        def sample() -> None:
            nonlocal samples, most_bps
            while not stopped.wait(SAMPLE_EVERY_S):
                available, reserved, resting = _reserved(traders)
                samples += 1
                for market, count in resting.items():
                    most_resting[market] = max(most_resting[market], count)
                for trader in traders:
                    budget = (available[trader] + reserved[trader]) * TOTAL_BPS // 10_000
                    most_bps = max(most_bps, reserved[trader] * 10_000 // max(budget, 1))
                    if reserved[trader] > budget:
                        over.append(f"{trader}: {reserved[trader]} reserved over {budget}")

        relay = LatencyProxy(stack.app_url, RELAY_LATENCY_S)
        sampler = threading.Thread(target=sample, name="cap-sampler", daemon=True)
        try:
            sampler.start()
            first = subprocess.run(
                _command(stack, "--cycles", "8"),
                cwd=tmp_path,
                env={**env, "APP_URL": relay.url},
                capture_output=True,
                text=True,
                timeout=300,
            )
        finally:
            stopped.set()
            sampler.join(30)
            relay.close()
        assert first.returncode == 0, first.stderr
        assert samples >= 5, "the chain was hardly sampled while the run traded"
        assert over == [], over[:5]
        assert all(count >= len(traders) for count in most_resting.values()), most_resting
        # the cap bound while the run traded (at its end the still-market watch may have moved the
        # band and the last cycle cancelled what it left, to be placed again in the next)
        assert most_bps > 5_000, f"the budget should bind (at most {most_bps} bps of it reserved)"
        summary = json.loads(first.stdout.strip().splitlines()[-1])
        assert {m: s["max_wallet_utilization"] for m, s in summary["markets"].items()} == dict.fromkeys(
            MARKETS, "0.1"
        )
        available, reserved, _ = _reserved(traders)
        for trader in traders:
            budget = (available[trader] + reserved[trader]) * TOTAL_BPS // 10_000
            assert reserved[trader] <= budget, f"{trader}: {reserved[trader]} reserved over {budget}"

        runs = dict(re.findall(r"starting run (\S+) on (\S+) ", first.stderr))
        runs = {symbol: run_id for run_id, symbol in runs.items()}
        assert set(runs) == set(MARKETS)
        # ---- killed with SIGKILL mid-run, then resumed: both markets, the same runs and sessions
        runner = subprocess.Popen(
            _command(stack, "--resume"), cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
        )
        try:
            assert runner.stderr is not None
            deadline = time.monotonic() + 180
            cycled: set[str] = set()
            for line in runner.stderr:
                if found := re.match(r"(\S+) cycle \d+:", line):
                    cycled.add(found[1])
                if cycled == set(MARKETS):
                    break
                assert time.monotonic() < deadline, "the resumed run never cycled both markets"
            time.sleep(0.5)
            runner.send_signal(signal.SIGKILL)
            runner.wait(timeout=30)
        finally:
            runner.kill()
            runner.communicate()
        assert runner.returncode == -signal.SIGKILL
        again = subprocess.run(
            _command(stack, "--resume", "--cycles", "3"),
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert again.returncode == 0, again.stderr
        for symbol, run_id in runs.items():
            assert f"resuming run {run_id} on {symbol} " in again.stderr
        available, reserved, resting = _reserved(traders)
    assert sum(resting.values()) >= 2 * len(traders)
    for trader in traders:
        budget = (available[trader] + reserved[trader]) * TOTAL_BPS // 10_000
        assert reserved[trader] <= budget, f"after the resume, {trader}: {reserved[trader]} over {budget}"
    journals = list((tmp_path / "st").rglob("actions.jsonl"))
    assert len(journals) == 2
    lines = [json.loads(line) for path in journals for line in path.read_text().splitlines() if line.strip()]
    opened = {
        line["params"]["sessionId"]
        for line in lines
        if line["action"] == "SESSION_INIT" and "sharedWith" not in line["params"]
    }
    assert len(opened) == len(traders), "one session per wallet for both markets, kept across the kill"
