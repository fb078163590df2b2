"""`fleet plan`: whatever the groups and weights, no wallet's markets add up past the fleet's
utilization; the files a supervisor needs are written and hold no key; mistakes get one line."""

from __future__ import annotations

import io
import textwrap
from argparse import Namespace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ama_tui.fleet.command import run_fleet_command
from ama_tui.fleet.fleet_file import read_fleet
from ama_tui.fleet.plan import (
    BPS,
    MIN_UTILIZATION_BPS,
    Fleet,
    FleetError,
    MarketEntry,
    allocated_bps,
    plan_fleet,
)
from ama_tui.store import derive_wallets


@st.composite
def fleets(draw: st.DrawFn) -> Fleet:
    addresses = [f"0x{i:040x}" for i in range(draw(st.integers(1, 12)))]
    groups = {
        f"g{g}": frozenset(draw(st.lists(st.sampled_from(addresses), min_size=1, max_size=len(addresses))))
        for g in range(draw(st.integers(1, 4)))
    }
    markets = [
        MarketEntry(
            market=f"M{m}",
            wallets=draw(st.sampled_from(sorted(groups))),
            weight=Decimal(draw(st.integers(1, 50))) / draw(st.sampled_from([1, 3, 7])),
        )
        for m in range(draw(st.integers(1, 8)))
    ]
    return Fleet(
        utilization_bps=draw(st.integers(200, 9_000)),
        venue="sim",
        state_dir="state",
        groups={name: f"{name}.csv" for name in groups},
        members=groups,
        markets=markets,
    )


@settings(max_examples=400, deadline=None)
@given(fleet=fleets())
def test_no_wallet_is_ever_over_allocated(fleet: Fleet) -> None:
    try:
        processes = plan_fleet(fleet)
    except FleetError as exc:
        assert "under the 2 %" in str(exc)  # only when a share is too small to run
        return
    assert len(processes) == len(fleet.markets)
    assert all(p.utilization_bps >= MIN_UTILIZATION_BPS for p in processes)
    for address, total in allocated_bps(fleet, processes).items():
        assert total <= fleet.utilization_bps, address
    assert len({p.name for p in processes}) == len(processes)


def test_shares_follow_the_weights() -> None:
    members = {"a": frozenset({"0x1", "0x2"}), "b": frozenset({"0x3"})}
    fleet = Fleet(
        5_000,
        "sim",
        "state",
        {"a": "a.csv", "b": "b.csv"},
        members,
        [
            MarketEntry("ETH-USD", "a", Decimal(3)),
            MarketEntry("BTC-USD", "a", Decimal(1)),
            MarketEntry("X", "b"),
        ],
    )
    shares = {p.market: p.utilization_bps for p in plan_fleet(fleet)}
    assert shares == {"ETH-USD": 3_750, "BTC-USD": 1_250, "X": 5_000}
    eth = next(p for p in plan_fleet(fleet) if p.market == "ETH-USD")
    assert eth.arguments()[-2:] == ["--set", "maxWalletUtilization=0.375"]


def _write_fleet(folder: Path, body: str, wallets: int = 3) -> Path:
    rows = ["nickname,address,privateKey"]
    rows += [f"{w.nickname},{w.address},{w.key.reveal()}" for w in derive_wallets(1, wallets)]
    (folder / "a.csv").write_text("\n".join(rows) + "\n")
    (folder / "a.csv").chmod(0o600)
    path = folder / "fleet.toml"
    path.write_text(textwrap.dedent(body))
    return path


FLEET = """
[fleet]
maxWalletUtilization = 0.6
venue = "sim"

[wallets]
a = "a.csv"

[[markets]]
market = "ETH-USD"
wallets = "a"
weight = 2
host = "box-1"
set = { ordersPerSidePerWallet = 4 }

[[markets]]
market = "HENRY-HUB-PRICE"
wallets = "a"
strategy = "skewed-packer"
"""


def test_the_plan_files_run_every_market_and_hold_no_key(tmp_path: Path) -> None:
    path = _write_fleet(tmp_path, FLEET)
    out = io.StringIO()
    code = run_fleet_command(
        Namespace(fleet_command="plan", fleet_file=path, out=tmp_path / "plan", executable="ama-tui"),
        out=out,
        err=io.StringIO(),
    )
    assert code == 0
    env = (tmp_path / "plan" / "fleet" / "eth-usd-a.env").read_text()
    assert "--set maxWalletUtilization=0.4 --set ordersPerSidePerWallet=4" in env
    assert "--strategy skewed-packer" in (tmp_path / "plan" / "fleet" / "henry-hub-price-a.env").read_text()
    unit = (tmp_path / "plan" / "ama-tui@.service").read_text()
    assert "EnvironmentFile=" in unit and "ExecStart=ama-tui $AMA_TUI_ARGS" in unit
    lines = (tmp_path / "plan" / "run-fleet.sh").read_text().splitlines()
    assert sum(line.startswith("ama-tui run --market") for line in lines) == 2
    assert "# on box-1" in lines[2]
    assert (
        "| ETH-USD | a | 0.4 |" in out.getvalue()
        and "Most allocated to any one wallet: 0.6" in out.getvalue()
    )
    keys = [w.key.reveal()[2:] for w in derive_wallets(1, 3)]
    for written in (tmp_path / "plan").rglob("*"):
        if written.is_file():
            assert not any(key in written.read_text() for key in keys), written


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[fleet\n", "is not valid TOML"),
        (
            '[fleet]\nvenue = "moon"\n[wallets]\na = "a.csv"\n[[markets]]\nmarket = "X"\n',
            "fleet.venue must be",
        ),
        ('[wallets]\na = "a.csv"\n[[markets]]\nmarket = "X"\nwallets = "b"\n', "no wallet group 'b'"),
        (
            '[wallets]\na = "a.csv"\n[[markets]]\nmarket = "X"\nset = { maxWalletUtilization = 0.3 }\n',
            "plan's to set",
        ),
        ('[wallets]\na = "nowhere.csv"\n[[markets]]\nmarket = "X"\n', "wallet group 'a'"),
        (
            '[fleet]\nmaxWalletUtilization = 0.05\n[wallets]\na = "a.csv"\n'
            + "".join(f'[[markets]]\nmarket = "M{i}"\n' for i in range(4)),
            "under the 2 %",
        ),
    ],
)
def test_mistakes_get_one_line(tmp_path: Path, body: str, message: str) -> None:
    path = _write_fleet(tmp_path, body)
    err = io.StringIO()
    code = run_fleet_command(
        Namespace(fleet_command="plan", fleet_file=path, out=tmp_path / "plan", executable="ama-tui"),
        out=io.StringIO(),
        err=err,
    )
    assert code == 2 and message in err.getvalue() and "Traceback" not in err.getvalue()
    assert not (tmp_path / "plan").exists(), "nothing is written for a fleet that cannot be planned"


def test_a_fleet_file_reads_its_groups_addresses(tmp_path: Path) -> None:
    fleet = read_fleet(_write_fleet(tmp_path, FLEET))
    assert fleet.members["a"] == frozenset(w.address.lower() for w in derive_wallets(1, 3))
    assert fleet.utilization_bps == 6_000 and fleet.markets[0].sets == {"ordersPerSidePerWallet": "4"}
    assert BPS == 10_000
