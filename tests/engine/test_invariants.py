"""The packer's promises on the embedded exchange's virtual clock, for every preset: it never crosses
the spread (no taker fills), never trades with itself, never holds more than the target per side,
and never reserves more margin than the cap when it places. (The same promises on the wall clock,
with relay latency: test_wall_clock_safety.)"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ama_tui.core.margin import estimate_margin6
from ama_tui.core.market import OpenOrder
from ama_tui.engine.packer import PackerOptions
from ama_tui.venues.base import PlaceLimit, TradeReceipt, TradeRequest
from ama_tui.venues.sim import PRESETS, SimVenue

from .helpers import make_rig


class CapSpy:
    """Wraps the sim; at each placement checks reserved-at-read + placed-since <= cap-at-read, the cap
    being `util x (available + reserved)` at the read (core.planner.wallet_cap6)."""

    def __init__(self, inner: SimVenue, util_bps: int, margin_bps: int) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.clock = inner.clock
        self.util_bps = util_bps
        self.margin_bps = margin_bps
        self.lock = threading.Lock()
        self.cap: dict[str, int] = {}
        self.reserved: dict[str, int] = {}
        self.placed: dict[str, int] = {}
        self.violations: list[str] = []
        self.placements = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def open_orders(self, order_book: str, traders: Sequence[str]) -> dict[str, tuple[OpenOrder, ...]]:
        orders = self.inner.open_orders(order_book, traders)
        with self.lock:
            for trader, held in orders.items():
                self.reserved[trader] = sum(o.margin_required6 for o in held)
                self.placed[trader] = 0
        return orders

    def available_collateral(self, traders: Sequence[str]) -> dict[str, int]:
        """Read after `open_orders` in a cycle (the packer's order): the cap uses both."""
        available = self.inner.available_collateral(traders)
        with self.lock:
            for trader, value in available.items():
                base = max(0, value + self.reserved.get(trader, 0))
                self.cap[trader] = base * self.util_bps // 10_000
        return available

    def submit(self, order_book: str, session_id: str, request: TradeRequest) -> TradeReceipt:
        if isinstance(request, PlaceLimit):
            margin = estimate_margin6(request.price6, request.amount18, request.is_buy, self.margin_bps)
            with self.lock:
                trader = request.trader
                self.placed[trader] = self.placed.get(trader, 0) + margin
                self.placements += 1
                if self.reserved.get(trader, 0) + self.placed[trader] > self.cap.get(trader, 0):
                    self.violations.append(
                        f"{trader}: {self.reserved[trader]}+{self.placed[trader]} > {self.cap[trader]}"
                    )
        return self.inner.submit(order_book, session_id, request)


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
