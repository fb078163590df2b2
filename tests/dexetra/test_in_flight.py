"""What the production venue says may still land: placements answered `pending` or whose answer
was lost are reported in flight (with their size, so a plan counts their margin) until the book
shows them or the doubt ends; a cancel answered `pending` says so on its receipt."""

from __future__ import annotations

import time

import httpx
import pytest

from ama_tui.core.market import InFlightPlacement
from ama_tui.venues.base import (
    CancelOrder,
    InFlightReader,
    PlaceLimit,
    PlaceMarket,
    TradeRejected,
    VenueUnavailable,
)

from .fakes import ALICE, BOOK, FakeApp, make_venue, order_words

TRADE = "/api/gasless/trade"
SESSION = "0x" + "42" * 32
PENDING = {"txHash": "0x" + "33" * 32, "pending": True}


def test_a_pending_placement_is_in_flight_until_the_book_shows_it() -> None:
    app = FakeApp(routes={TRADE: lambda request: httpx.Response(200, json=PENDING)})
    venue, chain, _ = make_venue(app=app)
    assert isinstance(venue, InFlightReader)
    receipt = venue.submit(BOOK, SESSION, PlaceLimit(ALICE, 2_999_510_000, 3 * 10**16, True))
    assert receipt.order_id is None
    assert venue.placements_in_flight(BOOK, [ALICE]) == {
        ALICE: (InFlightPlacement(True, 2_999_510_000, 3 * 10**16),)
    }
    assert venue.placements_in_flight(BOOK, [ALICE.lower()])[ALICE.lower()] != ()  # any spelling
    chain.user_orders[ALICE] = [9]
    chain.orders[9] = order_words(9, ALICE, 2_999_510_000, 3 * 10**16, True)
    venue.open_orders(BOOK, [ALICE])
    assert venue.placements_in_flight(BOOK, [ALICE]) == {ALICE: ()}


def test_a_placement_whose_answer_was_lost_is_in_flight_for_its_window() -> None:
    def trade(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("the relay is still mining")

    venue, _, _ = make_venue(app=FakeApp(routes={TRADE: trade}), in_doubt_window_s=0.2)
    with pytest.raises(VenueUnavailable):
        venue.submit(BOOK, SESSION, PlaceLimit(ALICE, 2_999_500_000, 10**16, False))
    assert venue.placements_in_flight(BOOK, [ALICE])[ALICE] == (
        InFlightPlacement(False, 2_999_500_000, 10**16),
    )
    time.sleep(0.25)
    assert venue.placements_in_flight(BOOK, [ALICE])[ALICE] == ()


@pytest.mark.parametrize(
    ("answer", "pending"),
    [(PENDING, True), ({"txHash": "0x" + "44" * 32, "blockNumber": 7, "mined": True}, False)],
)
def test_a_cancel_receipt_says_whether_it_is_mined(answer: dict[str, object], pending: bool) -> None:
    app = FakeApp(routes={TRADE: lambda request: httpx.Response(200, json=answer)})
    venue, _, _ = make_venue(app=app)
    receipt = venue.submit(BOOK, SESSION, CancelOrder(ALICE, 9))
    assert receipt.pending is pending and receipt.order_id == 9


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("no connection"), httpx.PoolTimeout("full")],
)
def test_a_request_that_never_left_leaves_no_doubt(failure: httpx.HTTPError) -> None:
    sent: list[int] = []

    def trade(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        if len(sent) == 1:
            raise failure
        return httpx.Response(200, json=PENDING)

    venue, _, _ = make_venue(app=FakeApp(routes={TRADE: trade}))
    order = PlaceLimit(ALICE, 2_999_500_000, 10**16, True)
    with pytest.raises(VenueUnavailable, match="not sent"):
        venue.submit(BOOK, SESSION, order)
    assert venue.placements_in_flight(BOOK, [ALICE])[ALICE] == ()
    venue.submit(BOOK, SESSION, order)  # the same price again: nothing of the first can land
    assert len(sent) == 2


@pytest.mark.parametrize("still_resting", [True, False])
def test_a_placement_mined_while_the_read_ran_counts_as_resting(still_resting: bool) -> None:
    """A batch's requests need not run at one block: the order ids can be read just before the
    pending placement is mined and its receipt just after. The receipt ends the doubt, so the
    order it created must be in the read (when it still rests), or the next plan places that
    level again at the same price."""
    app = FakeApp(routes={TRADE: lambda request: httpx.Response(200, json=PENDING)})
    venue, chain, _ = make_venue(app=app)
    venue.submit(BOOK, SESSION, PlaceLimit(ALICE, 2_999_510_000, 3 * 10**16, True))
    # mined as the read ran: the receipt is there, getUserOrders has not caught it
    chain.add_placement(
        tx=str(PENDING["txHash"]),
        order_id=9,
        trader=ALICE,
        price6=2_999_510_000,
        amount18=3 * 10**16,
        is_buy=True,
        index=0,
    )
    if still_resting:
        chain.orders[9] = order_words(9, ALICE, 2_999_510_000, 3 * 10**16, True)
    held = venue.open_orders(BOOK, [ALICE])[ALICE]
    assert venue.placements_in_flight(BOOK, [ALICE]) == {ALICE: ()}
    assert [(o.order_id, o.is_buy, o.price6) for o in held] == (
        [(9, True, 2_999_510_000)] if still_resting else []
    )


def test_a_lost_market_order_blocks_a_second_take_on_its_side_for_its_window() -> None:
    """A taker's market order whose answer was lost may still land: a second one on that side
    would double the take. The other side trades; the window ends the doubt; and a market order
    never shows as a placement in flight (it rests nowhere)."""
    sent: list[str] = []

    def trade(request: httpx.Request) -> httpx.Response:
        sent.append(request.content.decode())
        if len(sent) == 1:
            raise httpx.ReadTimeout("the relay is still mining")
        return httpx.Response(200, json={"txHash": "0x" + "55" * 32, "blockNumber": 8, "mined": True})

    venue, _, _ = make_venue(app=FakeApp(routes={TRADE: trade}), in_doubt_window_s=0.3)
    take = PlaceMarket(ALICE, 10**16, True)
    with pytest.raises(VenueUnavailable):
        venue.submit(BOOK, SESSION, take)
    with pytest.raises(TradeRejected, match="market buy may still land") as refused:
        venue.submit(BOOK, SESSION, take)
    assert refused.value.code == "placement_in_doubt"
    assert len(sent) == 1  # refused before it was sent
    venue.submit(BOOK, SESSION, PlaceMarket(ALICE, 10**16, False))  # the other side is free
    venue.submit(BOOK, SESSION, PlaceLimit(ALICE, 2_999_500_000, 10**16, True))  # and resting buys
    assert venue.placements_in_flight(BOOK, [ALICE])[ALICE] == ()
    time.sleep(0.35)
    venue.submit(BOOK, SESSION, take)
    assert len(sent) == 4


def test_a_pending_market_order_blocks_a_second_take_until_its_receipt_shows() -> None:
    app = FakeApp(routes={TRADE: lambda request: httpx.Response(200, json=PENDING)})
    venue, chain, _ = make_venue(app=app, in_doubt_window_s=0.1)
    tx = str(PENDING["txHash"])
    chain.pending_txs.add(tx)
    take = PlaceMarket(ALICE, 10**16, False)
    receipt = venue.submit(BOOK, SESSION, take)
    assert receipt.tx_hash == tx and receipt.order_id is None
    venue.open_orders(BOOK, [ALICE])  # the node holds it pending: no window ends the doubt
    time.sleep(0.15)
    with pytest.raises(TradeRejected, match="until its receipt shows it"):
        venue.submit(BOOK, SESSION, take)
    chain.pending_txs.discard(tx)
    chain.receipts[tx] = {"transactionHash": tx, "status": "0x1", "logs": [], "blockNumber": hex(chain.block)}
    venue.open_orders(BOOK, [ALICE])  # the read finds it mined
    venue.submit(BOOK, SESSION, take)
