"""Contract: sessions are a capability. A venue with sessions refuses a trade sent without one; a
venue without sessions (`SessionVenue` not implemented) trades with `NO_SESSION`."""

from __future__ import annotations

import pytest

from ama_tui.protocol.errors import SESSION_INVALID, ErrorCode
from ama_tui.venues.base import NO_SESSION, CancelOrder, PlaceLimit, SessionVenue, TradeRejected

from .harness import VenueHarness

AMOUNT = 10**16


def test_a_trade_without_a_session(harness: VenueHarness) -> None:
    venue, book = harness.venue, harness.order_book
    trader, _ = harness.traders[0]
    request = PlaceLimit(trader, harness.passive_price6(True), AMOUNT, True)
    if isinstance(venue, SessionVenue):
        with pytest.raises(TradeRejected) as caught:
            venue.submit(book, NO_SESSION, request)
        # the relay refuses an empty id as a missing field; the sim as an unknown session
        assert caught.value.code in SESSION_INVALID | {ErrorCode.MISSING_PAYLOAD}
        assert venue.open_orders(book, [trader])[trader] == ()
        return
    order_id = harness.order_id_of(venue.submit(book, NO_SESSION, request), trader)
    assert [o.order_id for o in venue.open_orders(book, [trader])[trader]] == [order_id]
    venue.submit(book, NO_SESSION, CancelOrder(trader, order_id))
    assert venue.open_orders(book, [trader])[trader] == ()


def test_the_harness_opens_no_session_where_there_are_none(harness: VenueHarness) -> None:
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    assert (session == NO_SESSION) is not isinstance(harness.venue, SessionVenue)
