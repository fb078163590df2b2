"""Contract: an outside taker fills our resting order; fills, cursors and positions follow."""

from __future__ import annotations

import pytest

from ama_tui.venues.base import PlaceLimit

from .harness import VenueHarness

AMOUNT = 2 * 10**16


@pytest.mark.parametrize("is_buy", [True, False])
def test_fill_is_reported_once_and_moves_the_position(harness: VenueHarness, is_buy: bool) -> None:
    venue, book = harness.venue, harness.order_book
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    price = harness.front_price6(is_buy)
    receipt = venue.submit(book, session, PlaceLimit(trader, price, AMOUNT, is_buy))
    order_id = harness.order_id_of(receipt, trader)
    cursor = venue.fills_cursor(book)
    assert venue.fills_since(book, [trader], cursor).fills == ()

    harness.cause_taker_trade(not is_buy, harness.amount_through(price, is_buy))

    page = venue.fills_since(book, [trader], cursor)
    mine = [fill for fill in page.fills if fill.order_id == order_id]
    assert sum(fill.amount18 for fill in mine) == AMOUNT
    for fill in mine:
        assert fill.trader == trader
        assert fill.is_buy is is_buy
        assert fill.price6 == price
        assert fill.is_maker is True
        assert fill.counterparty.lower() != trader.lower()
        assert fill.fill_id
    assert len({fill.fill_id for fill in page.fills}) == len(page.fills)

    again = venue.fills_since(book, [trader], page.cursor)
    assert again.fills == ()
    assert venue.fills_since(book, [trader], cursor).fills == page.fills, "fills are stable across reads"

    assert order_id not in {order.order_id for order in venue.open_orders(book, [trader])[trader]}
    position = venue.positions(book, [trader])[trader]
    assert position.size18 == (AMOUNT if is_buy else -AMOUNT)
    assert position.entry_price6 == price


def test_fills_only_for_the_traders_asked(harness: VenueHarness) -> None:
    venue, book = harness.venue, harness.order_book
    (trader, _), (other, _) = harness.traders[0], harness.traders[1]
    session = harness.open_session(trader)
    price = harness.front_price6(True)
    venue.submit(book, session, PlaceLimit(trader, price, AMOUNT, True))
    cursor = venue.fills_cursor(book)
    harness.cause_taker_trade(False, harness.amount_through(price, True))
    assert venue.fills_since(book, [other], cursor).fills == ()
    assert venue.fills_since(book, [other, trader], cursor).fills


def test_positions_of_traders_without_trades_are_flat(harness: VenueHarness) -> None:
    traders = [trader for trader, _ in harness.traders]
    positions = harness.venue.positions(harness.order_book, traders)
    assert set(positions) == set(traders)
    assert all(position.size18 == 0 for position in positions.values())


def test_cursor_is_opaque_but_monotonic(harness: VenueHarness) -> None:
    venue, book = harness.venue, harness.order_book
    trader, _ = harness.traders[0]
    first = venue.fills_cursor(book)
    assert isinstance(first, str) and first
    page = venue.fills_since(book, [trader], first)
    assert page.fills == ()
    assert isinstance(page.cursor, str)
