"""What became of the session traders' orders, for `order_status`: the book knows the resting ones;
this remembers the fills of each and, once an order leaves the book, whether it was filled or
cancelled (the newest KEPT of those). The liquidity providers' own orders are not followed.
Not part of a venue snapshot: after a restore, orders that left before it read UNKNOWN."""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

from ama_tui.venues.base import OrderState, OrderStatus
from ama_tui.venues.sim.book import BookOrder, OrderBook

KEPT: Final = 100_000


class OrderFates:
    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._filled: dict[int, int] = {}
        """Filled so far, for orders still resting (or a taker's, until its placement is booked)."""
        self._gone: OrderedDict[int, tuple[OrderState, int]] = OrderedDict()

    def fill(self, order_id: int, amount18: int) -> None:
        self._filled[order_id] = self._filled.get(order_id, 0) + amount18

    def filled_out(self, order_id: int) -> None:
        """A maker's last fill took what remained of it."""
        self._leave(order_id, OrderState.FILLED, self._filled.pop(order_id, 0))

    def placed(self, order_id: int, resting: BookOrder | None) -> None:
        """A placement is booked: one that does not rest was filled in full at once (a market
        order, or a limit that crossed all of its size)."""
        if resting is None:
            self._leave(order_id, OrderState.FILLED, self._filled.pop(order_id, 0))

    def cancelled(self, order: BookOrder) -> None:
        """Cancelled by its trader, replaced by a modify, or by self-trade prevention."""
        self._filled.pop(order.order_id, None)
        self._leave(order.order_id, OrderState.CANCELLED, order.original_amount18 - order.amount18)

    def _leave(self, order_id: int, state: OrderState, filled18: int) -> None:
        self._gone[order_id] = (state, filled18)
        while len(self._gone) > self._kept:
            self._gone.popitem(last=False)

    def status(self, book: OrderBook, order_id: int) -> OrderStatus:
        order = book.get(order_id)
        if order is not None:
            filled = order.original_amount18 - order.amount18
            state = OrderState.PARTIALLY_FILLED if filled else OrderState.OPEN
            return OrderStatus(order_id, state, filled, order.amount18)
        gone = self._gone.get(order_id)
        if gone is None:
            return OrderStatus(order_id, OrderState.UNKNOWN)
        return OrderStatus(order_id, gone[0], gone[1])
