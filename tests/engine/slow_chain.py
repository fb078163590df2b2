"""A venue whose trades are mined late and in any order, as behind the production relay.

`SlowChain` wraps the embedded exchange: every trade is answered `pending` at once (the route's
default, reference section 7) and reaches the book only `mine_s` later (drawn per trade in
[0.5x, 1.5x], so a cancel sent before a placement may be mined after it, as with several relayer
keys). It reports what may still land (`placements_in_flight`) and what became of each placement
(`placement_outcomes`), like the production venue. After every mined trade it reads the trader's
orders from the book underneath and keeps the most any wallet held on one side, and any price a
side held twice: the on-chain truth, never the engine's numbers.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ama_tui.core.market import InFlightPlacement
from ama_tui.venues.base import (
    CancelOrder,
    PlaceLimit,
    PlacementOutcome,
    PlacementState,
    TradeReceipt,
    TradeRequest,
    Venue,
    VenueError,
)


@dataclass(slots=True)
class _Sent:
    tx_hash: str
    order_book: str
    session_id: str
    request: TradeRequest
    due: float


class SlowChain:
    def __init__(self, inner: Venue, *, mine_s: float, latency_s: float = 0.0, seed: int = 0) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.clock = inner.clock
        self.mine_s = mine_s
        self.latency_s = latency_s
        self._random = random.Random(seed)
        self._lock = threading.RLock()
        self._queue: list[_Sent] = []
        self._outcomes: dict[str, PlacementOutcome] = {}
        self._count = 0
        self.most_per_side = 0
        self.doubles: list[str] = []
        self.mined = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if not callable(attribute) or name in {"advance", "audit", "close"}:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self.mine()
            return attribute(*args, **kwargs)

        return call

    def submit(self, order_book: str, session_id: str, request: TradeRequest) -> TradeReceipt:
        if self.latency_s:  # the relay's answer (wall-clock runs only)
            time.sleep(self.latency_s)
        with self._lock:
            self._count += 1
            tx_hash = f"0x{self._count:064x}"
            spread = 0.5 + self._random.random()
            due = self.inner.clock.now() + self.mine_s * spread
            self._queue.append(_Sent(tx_hash, order_book, session_id, request, due))
        order_id = request.order_id if isinstance(request, CancelOrder) else None
        return TradeReceipt(tx_hash, order_id, None, pending=True)

    def mine(self, everything: bool = False) -> None:
        """Put every trade that is due on the book underneath, earliest due first."""
        with self._lock:
            now = self.inner.clock.now()
            due = sorted((s for s in self._queue if everything or s.due <= now), key=lambda s: s.due)
            for sent in due:
                self._queue.remove(sent)
                try:
                    receipt = self.inner.submit(sent.order_book, sent.session_id, sent.request)
                except VenueError:
                    self._outcomes[sent.tx_hash] = PlacementOutcome(PlacementState.REVERTED)
                    continue
                self.mined += 1
                self._outcomes[sent.tx_hash] = PlacementOutcome(PlacementState.LANDED, receipt.order_id)
                self._check(sent.order_book, sent.request.trader)

    def _check(self, order_book: str, trader: str) -> None:
        held = self.inner.open_orders(order_book, [trader]).get(trader, ())
        for is_buy in (True, False):
            side = [o.price6 for o in held if o.is_buy == is_buy]
            self.most_per_side = max(self.most_per_side, len(side))
            twice = [price for price, count in Counter(side).items() if count > 1]
            self.doubles += [f"{trader[:8]} {'buy' if is_buy else 'sell'} {p}" for p in twice]

    def placements_in_flight(
        self, order_book: str, traders: Sequence[str]
    ) -> dict[str, tuple[InFlightPlacement, ...]]:
        with self._lock:
            queued = [s.request for s in self._queue if isinstance(s.request, PlaceLimit)]
        return {
            trader: tuple(
                InFlightPlacement(r.is_buy, r.price6, r.amount18)
                for r in queued
                if isinstance(r, PlaceLimit) and r.trader.lower() == trader.lower()
            )
            for trader in traders
        }

    def placement_outcomes(
        self, order_book: str, sent: Sequence[tuple[str, str]]
    ) -> dict[str, PlacementOutcome]:
        self.mine()  # a receipt shows what is mined by now
        with self._lock:
            return {tx: self._outcomes.get(tx, PlacementOutcome(PlacementState.PENDING)) for tx, _ in sent}
