"""Two processes of one fleet plan on the devnet, side by side, sharing their wallets over two
markets: each keeps to its share, so no wallet's orders across both markets ever reserve more than
the fleet's maxWalletUtilization of its collateral (read from the chain after both ran)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import textwrap
from argparse import Namespace
from io import StringIO
from pathlib import Path

import pytest

from ama_tui.devnet.stack import DevnetStack
from ama_tui.fleet.command import run_fleet_command
from ama_tui.wiring import VenueChoice, open_venue

pytestmark = [pytest.mark.devnet, pytest.mark.slow]

UTILIZATION = "0.2"
MARKETS = ("ETH-USD", "HENRY-HUB-PRICE")


def test_two_processes_of_one_plan_hold_every_wallets_budget(
    node_modules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with DevnetStack(wallets=3) as stack:
        for key, value in stack.env().items():
            monkeypatch.setenv(key, value)
        fleet = tmp_path / "fleet.toml"
        fleet.write_text(
            textwrap.dedent(
                f"""
                [fleet]
                maxWalletUtilization = {UTILIZATION}
                venue = "dexetra"
                stateDir = "state"

                [wallets]
                a = "{stack.wallets_csv}"
                """
            )
            + "".join(
                # orders big enough that the cap, not the order count, decides how many rest
                f'[[markets]]\nmarket = "{m}"\nwallets = "a"\n'
                "set = { sizeMinUsd = 15000, sizeMaxUsd = 24000, minDelayMs = 50, maxDelayMs = 100 }\n"
                for m in MARKETS
            )
        )
        plan = Namespace(fleet_command="plan", fleet_file=fleet, out=tmp_path / "plan", executable="ama-tui")
        assert run_fleet_command(plan, out=StringIO(), err=StringIO()) == 0
        env = {**os.environ, **stack.env(), "PYTHONUNBUFFERED": "1"}
        runs = []
        for market in MARKETS:
            name = market.lower() + "-a"
            line = (tmp_path / "plan" / "fleet" / f"{name}.env").read_text().strip()
            args = shlex.split(line.removeprefix("AMA_TUI_ARGS="))
            runs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "ama_tui", *args, "--cycles", "8"],
                    cwd=tmp_path,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        for run in runs:
            _, err = run.communicate(timeout=240)
            assert run.returncode == 0, err
        venue = open_venue(VenueChoice.DEXETRA, probe=False).venue
        try:
            traders = [w.address for w in stack.wallets.wallets]
            available = venue.available_collateral(traders)
            reserved = {t: 0 for t in traders}
            placed = 0
            for market in MARKETS:
                info = venue.market_info(market)
                for trader, orders in venue.open_orders(info.order_book, traders).items():
                    reserved[trader] += sum(o.margin_required6 for o in orders)
                    placed += len(orders)
        finally:
            venue.close()
    assert placed >= 2 * len(traders), "both processes placed orders"
    for trader in traders:
        budget = (available[trader] + reserved[trader]) * 2_000 // 10_000
        assert reserved[trader] <= budget, f"{trader}: {reserved[trader]} reserved over {budget}"
        assert reserved[trader] > budget // 2, (
            f"{trader}: the budget should bind ({reserved[trader]} of {budget})"
        )
