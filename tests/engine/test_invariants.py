"""The packer's promises on the embedded exchange's virtual clock, for every preset: it never crosses
the spread (no taker fills), never trades with itself, never holds more than the target per side,
and never reserves more margin than the cap when it places. (The same promises on the wall clock,
with relay latency: test_wall_clock_safety.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from ama_tui.engine.packer import PackerOptions
from ama_tui.venues.sim import PRESETS, SimVenue

from .cap_spy import CapSpy
from .helpers import make_rig


@pytest.mark.slow
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_500_cycles_20_wallets(tmp_path: Path, preset: str) -> None:
    sim = SimVenue(11, preset=preset, clock="virtual")
    info = sim.market_info("ETH-USD")
    spy = CapSpy(sim, util_bps=5_000, margin_bps=info.margin_bps)
    rig = make_rig(
        tmp_path,
        venue=spy,
        seed=11,
        wallets=20,
        overrides={
            "minDelayMs": 200,
            "maxDelayMs": 1500,
            "maxWalletUtilization": 0.5,
            "sizeMin": 0.01,
            "sizeMax": 0.05,
        },
        options=PackerOptions(max_in_flight=1, seed=11),
    )
    target = rig.params.current().packer.orders_per_side
    worst_side = 0
    try:
        for _ in range(500):
            rig.packer.cycle()
            orders = sim.open_orders(info.order_book, [w.address for w in rig.wallets])
            for held in orders.values():
                worst_side = max(worst_side, sum(o.is_buy for o in held), sum(not o.is_buy for o in held))
            sim.advance(rig.packer.next_delay_s())
    finally:
        rig.close()
    audit = sim.audit()
    assert spy.placements >= 20 * 2 * target, "the packer must actually pack every wallet"
    assert audit.taker_fills == 0
    assert audit.self_matches == 0
    assert worst_side <= target
    assert spy.violations == []
    if preset != "NO_FILLS":
        assert rig.packer.snapshot().totals.fills > 0
