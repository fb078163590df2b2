"""Contract: the exchange's behaviours a client must survive (reference §7), on every backend.

Self-trade prevention, a fresh market's missing price, fills that name their order and side, trade
answers that do not carry the new order's id, sessions not bound to their `allowedMarkets`, and
dust refused. The tests send the terse answers production sends (`harness.answer_pending()`), so
every order id here is learned the way a client must learn it.
"""

from __future__ import annotations

import pytest

from ama_tui.core.margin import estimate_margin6
from ama_tui.core.planner import choose_anchor6
from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import (
    CancelOrder,
    PlaceLimit,
    PlacementOutcome,
    PlacementResolver,
    PlacementState,
    TradeRejected,
)

from .harness import VenueHarness, eventually

AMOUNT = 2 * 10**16
LAST_TRADE_PLACEHOLDER6 = 1_000_000
"""`lastTradePrice()` before a market's first trade: written at initialisation, not a price."""


def _front(harness: VenueHarness, is_buy: bool) -> tuple[int, int]:
    """(price, ahead): the best price an order of ours can rest at on this side without crossing, and
    what already rests there or better (0 when there was room inside the spread): an order of ours
    placed there now is met only after `ahead` has been taken."""
    price = harness.front_price6(is_buy)
    return price, harness.amount_through(price, is_buy)


def _resting(harness: VenueHarness, trader: str) -> dict[int, tuple[int, int, bool]]:
    orders = harness.venue.open_orders(harness.order_book, [trader])[trader]
    return {order.order_id: (order.price6, order.amount18, order.is_buy) for order in orders}


# ------------------------------------------------------------------------- self-trade prevention


@pytest.mark.parametrize("is_buy", [True, False])
def test_crossing_your_own_resting_order_cancels_it_and_trades_nothing_against_it(
    harness: VenueHarness, is_buy: bool
) -> None:
    """The crossing order takes what rests ahead of ours, cancels ours instead of matching it, and
    rests what is left: ours is gone and no fill has us on both sides."""
    harness.answer_pending()
    venue, book = harness.venue, harness.order_book
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    price, ahead = _front(harness, not is_buy)
    resting = venue.submit(book, session, PlaceLimit(trader, price, AMOUNT, not is_buy))
    resting_id = harness.order_id_of(resting, trader)
    assert _resting(harness, trader) == {resting_id: (price, AMOUNT, not is_buy)}
    cursor = venue.fills_cursor(book)

    crossing = venue.submit(book, session, PlaceLimit(trader, price, ahead + AMOUNT, is_buy))
    crossing_id = harness.order_id_of(crossing, trader)

    assert _resting(harness, trader) == {crossing_id: (price, AMOUNT, is_buy)}, (
        "our resting order is cancelled; the new one took only what rested ahead of it"
    )
    fills = venue.fills_since(book, [trader], cursor).fills
    assert sum(fill.amount18 for fill in fills) == ahead
    assert all(fill.order_id == crossing_id and fill.is_maker is False for fill in fills)
    assert all(fill.counterparty.lower() != trader.lower() for fill in fills)
    assert venue.positions(book, [trader])[trader].size18 == (ahead if is_buy else -ahead)
    top = venue.book(book, 1).top
    assert (top.best_bid6 if is_buy else top.best_ask6) == price
    assert (top.best_ask6 if is_buy else top.best_bid6) != price


def test_crossing_your_own_order_releases_its_margin(harness: VenueHarness) -> None:
    """With room inside the spread nothing trades at all: the free collateral tells the whole story."""
    harness.answer_pending()
    venue, book = harness.venue, harness.order_book
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    fronts = {side: _front(harness, side) for side in (False, True)}
    roomy = [side for side, (_, ahead) in fronts.items() if ahead == 0]
    if not roomy:
        pytest.skip(f"no room inside the spread of {harness.info.symbol} for an order alone at its price")
    resting_side = roomy[0]
    price = fronts[resting_side][0]
    before = venue.available_collateral([trader])[trader]
    resting = venue.submit(book, session, PlaceLimit(trader, price, AMOUNT, resting_side))
    harness.order_id_of(resting, trader)
    crossing = venue.submit(book, session, PlaceLimit(trader, price, AMOUNT, not resting_side))
    crossing_id = harness.order_id_of(crossing, trader)
    assert _resting(harness, trader) == {crossing_id: (price, AMOUNT, not resting_side)}
    margin = estimate_margin6(price, AMOUNT, not resting_side, harness.info.margin_bps)
    assert venue.available_collateral([trader])[trader] == before - margin
    venue.submit(book, session, CancelOrder(trader, crossing_id))
    # the cancel may be answered `pending`: its margin is free once it is mined
    assert eventually(lambda: venue.available_collateral([trader])[trader] == before)


def test_after_cancelling_your_own_order_the_match_goes_on(harness: VenueHarness) -> None:
    harness.answer_pending()
    venue, book = harness.venue, harness.order_book
    (trader, _), (other, _) = harness.traders[0], harness.traders[1]
    session, other_session = harness.open_session(trader), harness.open_session(other)
    price, ahead = _front(harness, False)
    own = venue.submit(book, session, PlaceLimit(trader, price, AMOUNT, False))
    own_id = harness.order_id_of(own, trader)
    theirs = venue.submit(book, other_session, PlaceLimit(other, price, AMOUNT, False))
    theirs_id = harness.order_id_of(theirs, other)
    cursor = venue.fills_cursor(book)

    taker = venue.submit(book, session, PlaceLimit(trader, price, ahead + AMOUNT, True))
    taker_id = harness.order_id_of(taker, trader)

    fills = venue.fills_since(book, [trader, other], cursor).fills
    theirs_fills = [fill for fill in fills if fill.trader == other]
    assert [(f.order_id, f.is_maker, f.is_buy, f.price6, f.amount18) for f in theirs_fills] == [
        (theirs_id, True, False, price, AMOUNT)
    ]
    assert theirs_fills[0].counterparty.lower() == trader.lower()
    ours = [fill for fill in fills if fill.trader == trader]
    assert all((f.order_id, f.is_maker, f.is_buy) == (taker_id, False, True) for f in ours)
    assert sum(fill.amount18 for fill in ours) == ahead + AMOUNT
    assert all(fill.counterparty.lower() != fill.trader.lower() for fill in fills)
    assert own_id not in _resting(harness, trader) and _resting(harness, trader) == {}
    assert _resting(harness, other) == {}
    positions = venue.positions(book, [trader, other])
    assert (positions[trader].size18, positions[other].size18) == (ahead + AMOUNT, -AMOUNT)


# ------------------------------------------------------------------------- a fresh market


def test_a_fresh_market_has_no_price_of_its_own(harness: VenueHarness) -> None:
    """Mark 0 and the 1.000000 last-trade placeholder until the first trade: a client anchoring on
    either would quote around 1.00, so the planner's anchor ignores both."""
    fresh = harness.fresh_order_book()
    if fresh is None:
        pytest.skip("this backend has no market that never traded")
    top = harness.venue.book(fresh, 10).top
    assert top.mark6 == 0
    assert top.last_trade6 == LAST_TRADE_PLACEHOLDER6
    one_side = 0 if top.mid6 else (top.best_bid6 or top.best_ask6)
    expected = top.mid6 or one_side
    assert choose_anchor6(top) == expected
    reference = 2 * LAST_TRADE_PLACEHOLDER6 + harness.venue.market_info(fresh).tick6
    assert choose_anchor6(top, reference) == (expected or reference)


# ------------------------------------------------------------------------- fills


def test_a_crossing_limit_orders_fills_name_each_order_and_side(harness: VenueHarness) -> None:
    harness.answer_pending()
    venue, book = harness.venue, harness.order_book
    (maker, _), (taker, _) = harness.traders[0], harness.traders[1]
    maker_session, taker_session = harness.open_session(maker), harness.open_session(taker)
    price, ahead = _front(harness, False)
    resting = venue.submit(book, maker_session, PlaceLimit(maker, price, AMOUNT, False))
    maker_id = harness.order_id_of(resting, maker)
    cursor = venue.fills_cursor(book)

    crossing = venue.submit(book, taker_session, PlaceLimit(taker, price, ahead + AMOUNT, True))
    taker_id = harness.order_id_of(crossing, taker)

    fills = venue.fills_since(book, [maker, taker], cursor).fills
    (made,) = [fill for fill in fills if fill.trader == maker]
    taken = [fill for fill in fills if fill.trader == taker]
    assert (made.order_id, made.is_maker, made.is_buy) == (maker_id, True, False)
    assert (made.price6, made.amount18) == (price, AMOUNT)
    assert made.counterparty.lower() == taker.lower()
    assert taken and all((f.order_id, f.is_maker, f.is_buy) == (taker_id, False, True) for f in taken)
    assert sum(fill.amount18 for fill in taken) == ahead + AMOUNT
    (against_ours,) = [fill for fill in taken if fill.counterparty.lower() == maker.lower()]
    assert (against_ours.price6, against_ours.amount18) == (price, AMOUNT)
    assert len({fill.fill_id for fill in fills}) == len(fills)
    assert {fill.tx_hash for fill in fills} == {crossing.tx_hash}
    assert crossing.tx_hash is not None
    landed = PlacementOutcome(PlacementState.LANDED, taker_id)
    assert harness.placement_outcome(crossing.tx_hash, taker) == landed, "the fill names what the tx placed"


# ------------------------------------------------------------------------- terse answers


def test_an_answer_without_the_order_id_still_finds_the_order(harness: VenueHarness) -> None:
    harness.answer_pending()
    venue, book = harness.venue, harness.order_book
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    assert isinstance(venue, PlacementResolver), "a client must be able to ask what a transaction placed"
    price = harness.passive_price6(True)
    receipt = venue.submit(book, session, PlaceLimit(trader, price, AMOUNT, True))
    assert receipt.tx_hash

    outcome = harness.placement_outcome(receipt.tx_hash, trader)
    assert outcome.state is PlacementState.LANDED and outcome.order_id is not None
    assert receipt.order_id in (None, outcome.order_id)
    assert _resting(harness, trader) == {outcome.order_id: (price, AMOUNT, True)}

    venue.submit(book, session, CancelOrder(trader, outcome.order_id))
    assert eventually(lambda: _resting(harness, trader) == {})  # the cancel is answered `pending` too


# ------------------------------------------------------------------------- what is refused, and what is not


def test_allowed_markets_are_signed_but_not_enforced(harness: VenueHarness) -> None:
    """Reference §7: the registry never checks a permit's `allowedMarkets`."""
    other = harness.other_order_book()
    if other is None:
        pytest.skip("this backend has one market")
    venue = harness.venue
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)  # allows this market only
    assert venue.market_info(other).market_id_bytes32 != harness.info.market_id_bytes32
    tick6 = venue.market_info(other).tick6
    top = venue.book(other, 1).top
    anchor = top.best_bid6 or top.best_ask6
    assert anchor, "the other market needs depth to price a passive order"
    price = (anchor // tick6 - 20) * tick6
    amount = 50 * 10**6 * 10**18 // price  # about 50 USDC
    receipt = venue.submit(other, session, PlaceLimit(trader, price, amount, True))
    order_id = harness.order_id_of(receipt, trader, other)
    assert order_id in {order.order_id for order in venue.open_orders(other, [trader])[trader]}
    venue.submit(other, session, CancelOrder(trader, order_id))


def test_an_order_whose_margin_rounds_to_zero_is_refused(harness: VenueHarness) -> None:
    """Reference §7: the vault reverts it (`CoreVault.InvalidAmount`); nothing rests."""
    venue, book = harness.venue, harness.order_book
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    price = harness.passive_price6(True)
    dust = 10**18 * 10_000 // (price * harness.info.margin_bps) - 1  # margin just under 1 usdc6
    assert estimate_margin6(price, dust, True, harness.info.margin_bps) == 0 < dust
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, session, PlaceLimit(trader, price, dust, True))
    assert caught.value.code == ErrorCode.ZERO_MARGIN
    assert venue.open_orders(book, [trader])[trader] == ()
