"""The strategy contract: every built-in strategy, run by the engine on the embedded exchange with
fixed seeds, keeps the promises the engine makes whatever the strategy: a maker-only strategy never
takes liquidity, the collateral cap holds at every placement, no side holds more than its target,
the kill switch stops it, and a resumed run keeps its strategy and parameters."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ama_tui.engine.packer import PackerOptions, PackerStopped
from ama_tui.engine.run_setup import ResumeError, StartMode
from ama_tui.strategies import BUILT_INS
from ama_tui.strategies.taker_flow import taker_count
from ama_tui.venues.base import VenueUnavailable
from ama_tui.venues.sim import SimVenue
from tests.engine.cap_spy import CapSpy
from tests.engine.helpers import Faulty, make_rig

STRATEGIES = sorted(BUILT_INS)
OWN_PARAMS: dict[str, dict[str, Any]] = {
    "packer": {},
    # a small maximum position, so the fills of a busy market push wallets to it
    "skewed-packer": {"maxPosition": 0.08, "skewTicksPerUnit": 200, "sizeSkewBps": 5000},
    "rebalancer": {"widenAt": 0.3, "shiftTicks": 20},
    "taker-flow": {"takerShare": 0.25, "takerVolumePerMinute": 2, "takeSize": 0.02, "maxSlippageTicks": 3},
}
RUN = {"minDelayMs": 200, "maxDelayMs": 1500, "maxWalletUtilization": 0.5, "sizeMin": 0.01, "sizeMax": 0.05}


def test_every_built_in_is_under_contract() -> None:
    assert set(OWN_PARAMS) == set(BUILT_INS), "add the new strategy's parameters for the contract runs"


@pytest.mark.parametrize("preset", ["REALISTIC", "CHAOTIC"])
@pytest.mark.parametrize("name", STRATEGIES)
def test_never_takes_and_holds_the_cap(tmp_path: Path, name: str, preset: str) -> None:
    sim = SimVenue(5, preset=preset, clock="virtual")
    info = sim.market_info("ETH-USD")
    spy = CapSpy(sim, util_bps=5_000, margin_bps=info.margin_bps)
    rig = make_rig(
        tmp_path,
        venue=spy,
        seed=5,
        wallets=8,
        strategy=name,
        overrides={**RUN, **OWN_PARAMS[name]},
        options=PackerOptions(max_in_flight=1, seed=5),
    )
    target = rig.params.current().packer.orders_per_side
    worst_side = 0
    try:
        assert rig.packer.strategy.info.name == name
        for _ in range(150):
            rig.packer.cycle()
            orders = sim.open_orders(info.order_book, [w.address for w in rig.wallets])
            for held in orders.values():
                worst_side = max(worst_side, sum(o.is_buy for o in held), sum(not o.is_buy for o in held))
            sim.advance(rig.packer.next_delay_s())
    finally:
        rig.close()
    audit = sim.audit()
    assert spy.placements >= 8 * target, "the strategy must actually place orders"
    if rig.packer.strategy.info.risk.maker_only:
        assert audit.taker_fills == 0, f"taker fills: {audit.taker_fill_order_ids}"
    else:
        assert audit.taker_fills > 0, "a taker strategy takes"
    assert audit.self_matches == 0, "no wallet of the fleet trades with another"
    assert worst_side <= target
    assert spy.violations == []
    assert rig.packer.snapshot().totals.fills > 0, "a busy preset fills some of the orders"
    lines = [line for line in rig.store.iter_journal() if line.action == "FILL"]
    fills = [line.params or {} for line in lines]
    assert fills and all("orderId" in f and f["side"] in ("BUY", "SELL") for f in fills), (
        "every fill is journaled with its order and side"
    )
    taking = {line.nickname for line in lines if (line.params or {}).get("isMaker") is False}
    if rig.packer.strategy.info.risk.maker_only:
        assert taking == set()
    else:  # only the taker wallets (the last share of the fleet) ever take
        count = taker_count(len(rig.wallets), Decimal(str(OWN_PARAMS[name]["takerShare"])))
        assert taking and taking <= {w.nickname for w in rig.wallets[-count:]}


@pytest.mark.parametrize("name", STRATEGIES)
def test_the_kill_switch_stops_it(tmp_path: Path, name: str) -> None:
    faulty = Faulty(SimVenue(3, preset="PERFECT_EXECUTION", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, seed=3, wallets=2, strategy=name, overrides={"maxFailedCycles": 3})
    try:
        rig.packer.cycle()
        faulty.faults["open_orders"] = [VenueUnavailable("the node is down")] * 10
        with pytest.raises(PackerStopped, match="kill switch"):
            for _ in range(5):
                rig.packer.cycle()
    finally:
        rig.close()
    assert any("kill switch" in (line.error or "") for line in rig.store.iter_journal())


@pytest.mark.parametrize("name", STRATEGIES)
def test_a_resumed_run_keeps_its_strategy_and_parameters(tmp_path: Path, name: str) -> None:
    own = OWN_PARAMS[name]
    first = make_rig(tmp_path, seed=4, wallets=2, strategy=name, overrides={**RUN, **own})
    try:
        for _ in range(3):
            first.packer.cycle()
            first.venue.advance(first.packer.next_delay_s())  # type: ignore[attr-defined]
        before = first.params.current()
    finally:
        first.close()

    resumed = make_rig(tmp_path, venue=first.venue, seed=4, wallets=2, mode=StartMode.RESUME)
    try:
        assert resumed.start.resumed
        assert resumed.packer.strategy.info.name == name
        after = resumed.params.current()
        assert after.packer == before.packer and after.config == before.config
        assert after.strategy == before.strategy
        if own:
            assert after.strategy is not None
            dumped = after.strategy.model_dump(by_alias=True, mode="json")
            assert all(float(dumped[key]) == float(value) for key, value in own.items())
    finally:
        resumed.close()

    other = next(s for s in STRATEGIES if s != name)
    with pytest.raises(ResumeError, match=f"uses the strategy '{name}'"):
        make_rig(tmp_path, venue=first.venue, seed=4, wallets=2, mode=StartMode.RESUME, strategy=other)
