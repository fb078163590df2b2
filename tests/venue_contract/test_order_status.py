"""Contract: what became of an order, by id (the kit's `get_order_status`): open with what rests,
partly filled, filled by an outside taker, cancelled, replaced by a modify, or unknown."""

from __future__ import annotations

import pytest

from ama_tui.venues.base import (
    CancelOrder,
    ModifyOrder,
    OrderState,
    OrderStatus,
    OrderStatusReader,
    PlaceLimit,
)

from .harness import VenueHarness, eventually

AMOUNT = 2 * 10**16


def _status(harness: VenueHarness, order_id: int) -> OrderStatus:
    venue = harness.venue
    assert isinstance(venue, OrderStatusReader)
    return venue.order_status(harness.order_book, [order_id])[order_id]


def test_a_resting_order_then_cancelled(harness: VenueHarness) -> None:
    venue, book = harness.venue, harness.order_book
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    order_id = harness.order_id_of(
        venue.submit(book, session, PlaceLimit(trader, harness.passive_price6(True), AMOUNT, True)), trader
    )
    assert _status(harness, order_id) == OrderStatus(order_id, OrderState.OPEN, 0, AMOUNT)
    venue.submit(book, session, CancelOrder(trader, order_id))
    cancelled = OrderStatus(order_id, OrderState.CANCELLED, 0, 0)
    assert eventually(lambda: _status(harness, order_id) == cancelled)  # the cancel may answer `pending`


def test_a_modify_cancels_the_old_order_and_the_new_one_rests(harness: VenueHarness) -> None:
    venue, book = harness.venue, harness.order_book
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    price = harness.passive_price6(False)
    old = harness.order_id_of(venue.submit(book, session, PlaceLimit(trader, price, AMOUNT, False)), trader)
    receipt = venue.submit(book, session, ModifyOrder(trader, old, price + harness.info.tick6, AMOUNT * 2))
    new = harness.order_id_of(receipt, trader)
    assert _status(harness, old).state is OrderState.CANCELLED
    assert _status(harness, new) == OrderStatus(new, OrderState.OPEN, 0, AMOUNT * 2)


@pytest.mark.parametrize("is_buy", [True, False])
def test_an_outside_taker_fills_it_in_parts_then_in_full(harness: VenueHarness, is_buy: bool) -> None:
    venue, book = harness.venue, harness.order_book
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    price = harness.front_price6(is_buy)
    order_id = harness.order_id_of(
        venue.submit(book, session, PlaceLimit(trader, price, AMOUNT, is_buy)), trader
    )
    ahead = harness.amount_through(price, is_buy) - AMOUNT  # others at our price, before us in time
    harness.cause_taker_trade(not is_buy, ahead + AMOUNT // 4)
    assert _status(harness, order_id) == OrderStatus(
        order_id, OrderState.PARTIALLY_FILLED, AMOUNT // 4, AMOUNT - AMOUNT // 4
    )
    harness.cause_taker_trade(not is_buy, AMOUNT - AMOUNT // 4)
    assert _status(harness, order_id) == OrderStatus(order_id, OrderState.FILLED, AMOUNT, 0)


def test_an_order_never_placed_is_unknown(harness: VenueHarness) -> None:
    statuses = harness.venue.order_status(harness.order_book, [10**9, 10**9])  # type: ignore[attr-defined]
    assert statuses == {10**9: OrderStatus(10**9, OrderState.UNKNOWN)}
