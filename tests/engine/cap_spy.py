"""A venue wrapper that checks the collateral cap at every placement, whatever placed it."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from ama_tui.core.margin import estimate_margin6
from ama_tui.core.market import OpenOrder
from ama_tui.venues.base import PlaceLimit, TradeReceipt, TradeRequest
from ama_tui.venues.sim import SimVenue


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
