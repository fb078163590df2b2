"""What became of an order, by id (`order_status`, what a strategy's `get_order_status` asks): open,
partly filled, filled, cancelled — by its trader, by a modify or by self-trade prevention — or
unknown, with what filled and what still rests."""

from __future__ import annotations

import pytest

from ama_tui.venues.base import (
    CancelOrder,
    ModifyOrder,
    OrderState,
    OrderStatus,
    OrderStatusReader,
    PlaceLimit,
    PlaceMarket,
)
from ama_tui.venues.sim import SimVenue

from ._venue_support import HENRY, make_sim, open_session, wallet

ONE = 10**18


@pytest.fixture()
def quiet():
    venue = make_sim(participants=False)
    book = venue.market_info(HENRY).order_book
    wallets = [wallet(i) for i in range(2)]
    sessions = [open_session(venue, address, key, symbol=HENRY) for address, key in wallets]
    return venue, book, [address for address, _ in wallets], sessions


def _state(venue: SimVenue, book: str, order_id: int) -> OrderStatus:
    return venue.order_status(book, [order_id])[order_id]


def test_a_resting_order_fills_in_parts_then_in_full(quiet) -> None:
    venue, book, (alice, bob), (sa, sb) = quiet
    assert isinstance(venue, OrderStatusReader)
    order = venue.submit(book, sa, PlaceLimit(alice, 5_000_000, 2 * ONE, True)).order_id
    assert order is not None
    assert _state(venue, book, order) == OrderStatus(order, OrderState.OPEN, 0, 2 * ONE)
    venue.submit(book, sb, PlaceLimit(bob, 4_990_000, ONE // 2, False))
    assert _state(venue, book, order) == OrderStatus(
        order, OrderState.PARTIALLY_FILLED, ONE // 2, 3 * ONE // 2
    )
    venue.submit(book, sb, PlaceMarket(bob, 3 * ONE // 2, False))
    assert _state(venue, book, order) == OrderStatus(order, OrderState.FILLED, 2 * ONE, 0)


def test_cancelled_orders_keep_what_filled_before(quiet) -> None:
    venue, book, (alice, bob), (sa, sb) = quiet
    untouched = venue.submit(book, sa, PlaceLimit(alice, 4_800_000, ONE, True)).order_id
    partly = venue.submit(book, sa, PlaceLimit(alice, 5_000_000, ONE, True)).order_id
    assert untouched is not None and partly is not None
    venue.submit(book, sb, PlaceLimit(bob, 5_000_000, ONE // 4, False))
    for order_id in (untouched, partly):
        venue.submit(book, sa, CancelOrder(alice, order_id))
    statuses = venue.order_status(book, [untouched, partly])
    assert statuses[untouched] == OrderStatus(untouched, OrderState.CANCELLED, 0, 0)
    assert statuses[partly] == OrderStatus(partly, OrderState.CANCELLED, ONE // 4, 0)


def test_a_crossing_limit_filled_at_once_a_modify_and_self_trade_prevention(quiet) -> None:
    venue, book, (alice, bob), (sa, sb) = quiet
    venue.submit(book, sb, PlaceLimit(bob, 5_100_000, ONE, False))
    taker = venue.submit(book, sa, PlaceLimit(alice, 5_100_000, ONE, True)).order_id
    assert taker is not None
    assert _state(venue, book, taker) == OrderStatus(taker, OrderState.FILLED, ONE, 0)
    old = venue.submit(book, sa, PlaceLimit(alice, 4_700_000, ONE, True)).order_id
    new = venue.submit(book, sa, ModifyOrder(alice, old, 4_750_000, 2 * ONE)).order_id
    assert old is not None and new is not None and new != old
    assert _state(venue, book, old).state is OrderState.CANCELLED
    assert _state(venue, book, new) == OrderStatus(new, OrderState.OPEN, 0, 2 * ONE)
    # alice's own sell in the way of her buy: cancelled by self-trade prevention, never traded
    own = venue.submit(book, sa, PlaceLimit(alice, 4_760_000, ONE, False))
    mine = venue.submit(book, sa, PlaceLimit(alice, 4_760_000, ONE, True)).order_id
    assert own.order_id is not None and mine is not None
    assert _state(venue, book, own.order_id) == OrderStatus(own.order_id, OrderState.CANCELLED, 0, 0)


def test_an_order_never_placed_is_unknown(quiet) -> None:
    venue, book, _, _ = quiet
    assert _state(venue, book, 987_654) == OrderStatus(987_654, OrderState.UNKNOWN)


def test_takers_fill_our_order_and_its_status_agrees_with_the_fills() -> None:
    venue = make_sim(participants=True)  # PERFECT_EXECUTION: frequent takers
    book = venue.market_info(HENRY).order_book
    address, key = wallet(0)
    session = open_session(venue, address, key, symbol=HENRY)
    cursor = venue.fills_cursor(book)
    size = ONE // 100
    ids = [
        venue.submit(book, session, PlaceLimit(address, venue.book(book).top.best_bid6, size, True)).order_id
        for _ in range(3)
    ]
    filled: dict[int, int] = {}
    for _ in range(120):
        venue.advance(1.0)
        page = venue.fills_since(book, [address], cursor)
        cursor = page.cursor
        for fill in page.fills:
            assert fill.order_id is not None
            filled[fill.order_id] = filled.get(fill.order_id, 0) + fill.amount18
    statuses = venue.order_status(book, [i for i in ids if i is not None])
    assert any(s.state is OrderState.FILLED for s in statuses.values()), statuses
    for order_id, status in statuses.items():
        assert status.filled18 == filled.get(order_id, 0)  # what the fills say, to the unit
        assert status.filled18 + status.remaining18 == size or status.state is OrderState.CANCELLED
        expected = (
            OrderState.FILLED
            if status.filled18 == size
            else (OrderState.PARTIALLY_FILLED if status.filled18 else OrderState.OPEN)
        )
        assert status.state is expected
