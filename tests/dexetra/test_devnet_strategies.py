"""The maker-only built-in strategies and the worked example file on the devnet, through
`DexetraVenue` and the relay (issue 14: each built-in gets a run on the devnet). Checked on the
chain, not on the engine's numbers: never more than the target per side, the cap of each wallet
held, no fill of ours as taker, and the run's strategy recorded in the checkpoint."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from ama_tui.devnet.stack import DevnetStack
from ama_tui.engine.run_setup import StartMode
from ama_tui.headless import HeadlessArgs, run_headless
from ama_tui.wiring import VenueChoice, open_venue

pytestmark = [pytest.mark.devnet, pytest.mark.slow]

WALLETS = 3
PER_SIDE = 2
UTILIZATION_BPS = 3_000
SETS = (
    "minDelayMs=100",
    "maxDelayMs=200",
    f"ordersPerSidePerWallet={PER_SIDE}",
    f"maxWalletUtilization={UTILIZATION_BPS / 10_000}",
)


def _journal(state: Path) -> list[dict[str, Any]]:
    (journal,) = state.rglob("actions.jsonl")
    return [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]


def _run(stack: DevnetStack, state: Path, strategy: str, cycles: int, *sets: str) -> str:
    err = StringIO()
    code = run_headless(
        HeadlessArgs(
            market="ETH-USD",
            venue=VenueChoice.DEXETRA,
            csv=stack.wallets_csv,
            state_dir=state,
            mode=StartMode.FRESH,
            cycles=cycles,
            set=(*SETS, *sets),
            strategy=strategy,
        ),
        out=StringIO(),
        err=err,
    )
    assert code == 0, err.getvalue()
    return err.getvalue()


def _chain_checks(traders: list[str]) -> int:
    """Per side at most the target, each wallet's margin within its cap; returns orders resting."""
    venue = open_venue(VenueChoice.DEXETRA, probe=False).venue
    try:
        info = venue.market_info("ETH-USD")
        held = venue.open_orders(info.order_book, traders)
        available = venue.available_collateral(traders)
    finally:
        venue.close()
    for trader in traders:
        orders = held[trader]
        buys = sum(o.is_buy for o in orders)
        assert buys <= PER_SIDE and len(orders) - buys <= PER_SIDE, f"{trader}: {buys}/{len(orders) - buys}"
        reserved = sum(o.margin_required6 for o in orders)
        assert reserved <= (available[trader] + reserved) * UTILIZATION_BPS // 10_000, trader
    return sum(len(orders) for orders in held.values())


@pytest.mark.parametrize(
    ("strategy", "sets"),
    [
        ("skewed-packer", ("targetPosition=0", "maxPosition=1")),
        ("rebalancer", ("depthLevels=5",)),
    ],
)
def test_a_maker_only_built_in_quotes_on_the_devnet_within_its_limits(
    strategy: str, sets: tuple[str, ...], node_modules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with DevnetStack(wallets=WALLETS) as stack:
        for key, value in stack.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(tmp_path)
        traders = [wallet.address for wallet in stack.wallets.wallets]
        stderr = _run(stack, tmp_path / "state", strategy, 12, *sets)
        resting = _chain_checks(traders)
    assert f"strategy: {strategy}" in stderr
    assert resting >= WALLETS, "every wallet quotes"
    journal = _journal(tmp_path / "state")
    assert [line for line in journal if line["action"] == "PLACE_LIMIT"]
    taken = [line for line in journal if line["action"] == "FILL" and line["params"].get("isMaker") is False]
    assert taken == [], "a maker-only strategy never takes"
    (checkpoint,) = (tmp_path / "state").rglob("checkpoint.json")
    assert json.loads(checkpoint.read_text())["strategy"]["name"] == strategy


def test_the_worked_example_file_runs_sandboxed_on_the_devnet(
    node_modules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ema-cross as a user's file: sandboxed, one wallet; it runs its cycles and ends cleanly, and
    whatever it placed is journaled with its wallet."""
    with DevnetStack(wallets=1) as stack:
        for key, value in stack.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(tmp_path)
        trader = stack.wallets.wallets[0].address
        _run(stack, tmp_path / "state", "ema-cross", 10, "fast=2", "slow=4")
    journal = _journal(tmp_path / "state")
    assert journal[0]["action"] == "RUN_START" and journal[-1]["action"] == "RUN_STOP"
    logged = [line["params"]["message"] for line in journal if line["action"] == "STRATEGY_LOG"]
    assert "ema-cross 2/4" in logged[0]  # the sandboxed file ran: its on_initialize said so
    assert not [line for line in journal if line["action"] == "ERROR" and "strateg" in str(line.get("error"))]
    placed = [line for line in journal if line["action"] in ("PLACE_LIMIT", "PLACE_MARKET")]
    assert all(line["trader"].lower() == trader.lower() for line in placed)
    (checkpoint,) = (tmp_path / "state").rglob("checkpoint.json")
    assert "ema" in json.loads(checkpoint.read_text())["strategy"]["name"]
