"""An order's status is read as of one block: the order and the cancel logs that explain why it
left. A cancel mined between the head read and the rest of the read must not show its order
deleted with no log of why (UNKNOWN): as of the head it was still open."""

from __future__ import annotations

import pytest

from ama_tui.venues.base import CancelOrder, OrderState, OrderStatus, PlaceLimit

from ..venue_contract.devnet_harness import DevnetHarness
from ..venue_contract.harness import eventually

pytestmark = [pytest.mark.devnet]

AMOUNT = 2 * 10**16


def test_a_cancel_mined_after_the_head_was_read_is_not_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = DevnetHarness(trader_count=1)
    try:
        venue, book = harness.dexetra, harness.order_book
        trader, _ = harness.traders[0]
        session = harness.open_session(trader)
        place = PlaceLimit(trader, harness.passive_price6(True), AMOUNT, True)
        order_id = harness.order_id_of(venue.submit(book, session, place), trader)
        head_before_cancel = venue.chain.head()
        venue.submit(book, session, CancelOrder(trader, order_id))
        cancelled = OrderStatus(order_id, OrderState.CANCELLED, 0, 0)
        assert eventually(lambda: venue.order_status(book, [order_id])[order_id] == cancelled)

        monkeypatch.setattr(venue.chain, "head", lambda: head_before_cancel)  # the head read just before
        still_open = OrderStatus(order_id, OrderState.OPEN, 0, AMOUNT)
        assert venue.order_status(book, [order_id])[order_id] == still_open
    finally:
        harness.close()
