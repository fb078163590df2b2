"""taker-flow on the devnet through `DexetraVenue`: the packer's wallets quote, the taker wallets
take from the outside liquidity at a pace, and every fill is journaled with its order id, its side
and whether it took; only the taker wallets ever take, and never from a wallet of ours."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from ama_tui.devnet.stack import DevnetStack
from ama_tui.engine.run_setup import StartMode
from ama_tui.headless import HeadlessArgs, run_headless
from ama_tui.wiring import VenueChoice

from .devnet_tools import chain_orders

pytestmark = [pytest.mark.devnet, pytest.mark.slow]

WALLETS = 4
PER_SIDE = 2
SETS = (
    "minDelayMs=100",
    "maxDelayMs=200",
    f"ordersPerSidePerWallet={PER_SIDE}",
    # quote behind the seeded depth (50 ticks out and beyond), so the best prices are outside
    # liquidity the takers may take; in front of it they would wait, never taking from our own
    "minDistanceTicks=60",
    "maxDistanceTicks=120",
    "takerShare=0.5",
    "takerVolumePerMinute=120",
    "takeSize=0.05",
    "maxSlippageTicks=0",
)


def _journal(state: Path) -> list[dict[str, Any]]:
    (journal,) = state.rglob("actions.jsonl")
    return [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]


def test_taker_flow_takes_outside_liquidity_and_journals_every_fill(
    node_modules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with DevnetStack(wallets=WALLETS) as stack:
        for key, value in stack.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(tmp_path)
        err = StringIO()
        code = run_headless(
            HeadlessArgs(
                market="ETH-USD",
                venue=VenueChoice.DEXETRA,
                csv=stack.wallets_csv,
                state_dir=tmp_path / "state",
                mode=StartMode.FRESH,
                cycles=25,
                set=SETS,
                strategy="taker-flow",
            ),
            out=StringIO(),
            err=err,
        )
        traders = [wallet.address for wallet in stack.wallets.wallets]
        held = chain_orders(stack, traders)
    assert code == 0, err.getvalue()
    journal = _journal(tmp_path / "state")
    takers = {wallet.lower() for wallet in traders[WALLETS // 2 :]}
    fills = [line for line in journal if line["action"] == "FILL"]
    taken = [line for line in fills if line["params"].get("isMaker") is False]
    assert taken, "the taker wallets took from the book"
    assert all("orderId" in line["params"] and line["params"]["side"] in ("BUY", "SELL") for line in fills)
    assert {line["trader"].lower() for line in taken} <= takers, "only taker wallets take"
    assert all(line["params"]["takerWhy"].startswith("taken on purpose") for line in taken)
    ours = {t.lower() for t in traders}
    assert not [line for line in fills if line["params"]["counterparty"].lower() in ours], (
        "no wallet of ours traded with another"
    )
    for trader, orders in held.items():
        buys = sum(o.is_buy for o in orders)
        assert buys <= PER_SIDE and len(orders) - buys <= PER_SIDE, (
            f"{trader} holds {buys}/{len(orders) - buys}"
        )
