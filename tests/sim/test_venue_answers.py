"""What a trade's answer says, and what a caller learns when it says little: `relay_answers="pending"`
answers like the production route (`{txHash, pending: true}`, never an order id) and
`placement_outcomes` / `placed_order_id` tell what each transaction placed."""

from __future__ import annotations

import pytest

from ama_tui.venues.base import (
    CancelOrder,
    ModifyOrder,
    PlaceLimit,
    PlaceMarket,
    PlacementOutcome,
    PlacementResolver,
    PlacementState,
)
from ama_tui.venues.sim import SimVenue

from ._venue_support import ETH, HENRY, make_sim, open_session, wallet

ONE = 10**18
LANDED = PlacementState.LANDED

Pending = tuple[SimVenue, str, list[str], list[str]]
"""(venue, HENRY's order book, two traders, their sessions)."""


@pytest.fixture()
def pending() -> Pending:
    venue = make_sim(participants=False, relay_answers="pending")
    book = venue.market_info(HENRY).order_book
    wallets = [wallet(i) for i in range(2)]
    sessions = [open_session(venue, address, key, symbol=HENRY) for address, key in wallets]
    return venue, book, [address for address, _ in wallets], sessions


def test_a_pending_answer_carries_only_the_transaction(pending: Pending) -> None:
    venue, book, (alice, bob), (sa, sb) = pending
    resolver: object = venue
    assert isinstance(resolver, PlacementResolver)
    placed = venue.submit(book, sa, PlaceLimit(alice, 4_900_000, ONE, True))
    assert placed.tx_hash and placed.order_id is None and placed.filled18 is None
    (order,) = venue.open_orders(book, [alice])[alice]
    assert venue.placement_outcomes(book, [(placed.tx_hash, alice.lower())]) == {
        placed.tx_hash: PlacementOutcome(LANDED, order.order_id)
    }
    assert venue.placed_order_id("0x" + placed.tx_hash[2:].upper(), alice, book) == order.order_id

    modified = venue.submit(book, sa, ModifyOrder(alice, order.order_id, 4_950_000, ONE))
    assert modified.order_id is None
    (new,) = venue.open_orders(book, [alice])[alice]
    assert new.order_id != order.order_id
    assert venue.placed_order_id(modified.tx_hash or "", alice, book) == new.order_id

    taken = venue.submit(book, sb, PlaceMarket(bob, ONE, False))
    assert taken.order_id is None and taken.filled18 is None
    (maker, taker) = venue.fills_since(book, [alice, bob], "0").fills
    assert venue.placed_order_id(taken.tx_hash or "", bob, book) == taker.order_id
    assert taker.order_id is not None and maker.order_id == new.order_id

    cancel_tx = venue.submit(book, sa, PlaceLimit(alice, 4_000_000, ONE, True)).tx_hash or ""
    resting = venue.placed_order_id(cancel_tx, alice, book)
    assert resting is not None
    cancelled = venue.submit(book, sa, CancelOrder(alice, resting))
    assert cancelled.order_id == resting, "a cancel's answer names the order, as the venue knows it"
    assert venue.placement_outcomes(book, [(cancelled.tx_hash or "", alice)])[
        cancelled.tx_hash or ""
    ] == PlacementOutcome(LANDED, None)


def test_outcomes_are_per_trader_and_book_and_unknown_reads_pending(pending: Pending) -> None:
    venue, book, (alice, bob), (sa, _) = pending
    tx = venue.submit(book, sa, PlaceLimit(alice, 4_900_000, ONE, True)).tx_hash or ""
    other_book = venue.market_info(ETH).order_book
    unknown = "0x" + "ab" * 32
    assert venue.placement_outcomes(book, [(tx, bob), (unknown, alice)]) == {
        tx: PlacementOutcome(LANDED, None),
        unknown: PlacementOutcome(PlacementState.PENDING),
    }
    assert venue.placement_outcomes(book, [(tx, "not an address")])[tx] == PlacementOutcome(LANDED, None)
    assert venue.placed_order_id(tx, alice, other_book) is None
    assert venue.placed_order_id(tx, alice, book) is not None


def test_mined_answers_say_the_id_and_the_mode_can_change(pending: Pending) -> None:
    venue, book, (alice, _), (sa, _) = pending
    venue.relay_answers = "mined"
    receipt = venue.submit(book, sa, PlaceLimit(alice, 4_900_000, ONE, True))
    assert receipt.order_id is not None and receipt.filled18 == 0
    assert venue.placed_order_id(receipt.tx_hash or "", alice, book) == receipt.order_id
    with pytest.raises(ValueError, match="relay_answers"):
        SimVenue(1, "PERFECT_EXECUTION", "virtual", relay_answers="eventually")  # type: ignore[arg-type]
