"""Counts cap breaches: placements that would take a wallet's open-order margin over its cap,
whatever placed them and whatever the engine's guard thought.

The cap is the engine's (`core.planner.wallet_cap6`): `maxWalletUtilization x (free collateral +
margin held by the wallet's open orders)`, read where the engine reads it (open orders, then
collateral, at the start of a cycle). Each placement after that read adds its margin; a breach
is held-at-read + placed-since > cap-at-read. On the virtual clock nothing moves between the read
and the placements, so the check is exact."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ama_tui.core.margin import estimate_margin6
from ama_tui.core.market import OpenOrder
from ama_tui.venues.base import PlaceLimit, TradeReceipt, TradeRequest
from ama_tui.venues.sim import SimVenue

BPS = 10_000


class CapWatch:
    """The embedded exchange, seen through the cap check (every other call passes through)."""

    def __init__(self, sim: SimVenue, *, utilization_bps: Callable[[], int], margin_bps: int) -> None:
        self.inner = sim
        self.kind = sim.kind
        self.clock: Any = sim.clock
        self.utilization_bps = utilization_bps
        self.margin_bps = margin_bps
        self.held6: dict[str, int] = {}
        self.placed6: dict[str, int] = {}
        self.cap6: dict[str, int] = {}
        self.breaches: list[str] = []
        self.placements = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def open_orders(self, order_book: str, traders: Sequence[str]) -> dict[str, tuple[OpenOrder, ...]]:
        orders = self.inner.open_orders(order_book, traders)
        for trader, held in orders.items():
            self.held6[trader] = sum(o.margin_required6 for o in held if o.is_margin_order)
            self.placed6[trader] = 0
        return orders

    def available_collateral(self, traders: Sequence[str]) -> dict[str, int]:
        available = self.inner.available_collateral(traders)
        bps = self.utilization_bps()
        for trader, free6 in available.items():
            self.cap6[trader] = max(0, free6 + self.held6.get(trader, 0)) * bps // BPS
        return available

    def submit(self, order_book: str, session_id: str, request: TradeRequest) -> TradeReceipt:
        if isinstance(request, PlaceLimit):
            trader = request.trader
            margin6 = estimate_margin6(request.price6, request.amount18, request.is_buy, self.margin_bps)
            self.placed6[trader] = self.placed6.get(trader, 0) + margin6
            self.placements += 1
            held6, placed6 = self.held6.get(trader, 0), self.placed6[trader]
            cap6 = self.cap6.get(trader)
            if cap6 is not None and held6 + placed6 > cap6:
                self.breaches.append(f"{trader}: held {held6} + placed {placed6} > cap {cap6} (usdc6)")
        return self.inner.submit(order_book, session_id, request)
