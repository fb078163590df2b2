"""The first pack lands before the safety floor comes in from its wide prior: on a slow relay,
bringing it in while placements are still landing replaces every order that has landed (twice the
trades) and the fleet never holds all its orders at once. On the wall clock, with trades answered
`pending` and mined only when the test says."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ama_tui.core.models import ActionKind
from ama_tui.engine import packer as packer_module
from ama_tui.engine import safety_floor
from ama_tui.engine.packer import PackerOptions
from ama_tui.venues.sim import SimVenue

from .helpers import make_rig
from .slow_chain import SlowChain

OVERRIDES = {
    "ordersPerSidePerWallet": 2,
    "sizeMin": 0.005,
    "sizeMax": 0.01,
    "maxWalletUtilization": 0.5,
    "minDelayMs": 0,
    "maxDelayMs": 0,
}


def _floors_while_landing(tmp_path: Path) -> tuple[int, int, int, int]:
    """(floor after the first cycle, floor once the market is measured while the pack is still in
    flight, cancels sent meanwhile, floor after everything landed)."""
    chain = SlowChain(SimVenue(3, preset="PERFECT_EXECUTION", clock="wall"), mine_s=600.0, seed=3)
    rig = make_rig(
        tmp_path, venue=chain, seed=3, wallets=2, overrides=OVERRIDES, options=PackerOptions(seed=3)
    )
    try:
        rig.packer.ensure_sessions()
        rig.packer.cycle()  # the first pack goes out, on the prior's floor; nothing lands yet
        first = rig.packer.snapshot().floor_ticks
        time.sleep(safety_floor.WARM_UP_MAX_S + 0.2)  # the market counts as measured from here
        rig.packer.cycle()
        landing = rig.packer.snapshot().floor_ticks
        cancels = sum(1 for line in rig.store.iter_journal() if line.action == ActionKind.CANCEL_ORDER)
        chain.mine(everything=True)
        rig.packer.cycle()  # everything landed: the floor comes in
        landed = rig.packer.snapshot().floor_ticks
    finally:
        rig.close()
    return first, landing, cancels, landed


@pytest.fixture()
def quick_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety_floor, "MIN_SPAN_S", 0.3)
    monkeypatch.setattr(safety_floor, "WARM_UP_MAX_S", 0.6)


@pytest.mark.usefixtures("quick_warm_up")
def test_the_floor_stays_on_the_prior_while_the_first_pack_lands(tmp_path: Path) -> None:
    first, landing, cancels, landed = _floors_while_landing(tmp_path)
    assert first > 0
    assert landing >= first  # measured, but the pack is still in flight: the prior holds
    assert cancels == 0  # no order of the pack replaced while it lands
    assert landed < first  # once it has landed, the floor comes in


@pytest.mark.usefixtures("quick_warm_up")
def test_without_the_hold_the_floor_comes_in_while_the_pack_lands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the same run with no hold brings the floor in with the pack still in flight."""
    monkeypatch.setattr(packer_module, "FIRST_PACK_HOLD_S", 0.0)
    first, landing, _, _ = _floors_while_landing(tmp_path)
    assert landing < first
