"""Contract: the book, resting orders, collateral reserved by them, cancel and modify."""

from __future__ import annotations

import pytest

from ama_tui.core.margin import estimate_margin6
from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import BookSnapshot, CancelOrder, ModifyOrder, PlaceLimit, TradeRejected

from .harness import VenueHarness, eventually

AMOUNT = 10**16


def _assert_consistent(snapshot: BookSnapshot, *, counts: bool) -> None:
    top = snapshot.top
    assert top.best_bid6 == (snapshot.bids[0].price6 if snapshot.bids else 0)
    assert top.best_ask6 == (snapshot.asks[0].price6 if snapshot.asks else 0)
    assert not top.is_crossed
    bid_prices = [level.price6 for level in snapshot.bids]
    ask_prices = [level.price6 for level in snapshot.asks]
    assert bid_prices == sorted(bid_prices, reverse=True) and len(set(bid_prices)) == len(bid_prices)
    assert ask_prices == sorted(ask_prices) and len(set(ask_prices)) == len(ask_prices)
    for level in (*snapshot.bids, *snapshot.asks):
        assert level.amount18 > 0
        # order_count 0 means "the venue does not say" (DepthLevel): the Dexetra API gives no counts
        assert level.order_count >= 1 if counts else level.order_count == 0
    times = [trade.timestamp for trade in snapshot.recent_trades]
    assert times == sorted(times, reverse=True)


def test_book_top_matches_depth(harness: VenueHarness) -> None:
    for levels in (1, 5, 25):
        snapshot = harness.venue.book(harness.order_book, levels)
        _assert_consistent(snapshot, counts=harness.reports_order_counts)
        assert len(snapshot.bids) <= levels and len(snapshot.asks) <= levels


def test_empty_side_reads_zero(harness: VenueHarness) -> None:
    empty = harness.empty_order_book()
    if empty is None:
        pytest.skip("this backend has no empty market")
    snapshot = harness.venue.book(empty, 10)
    assert snapshot.top.best_bid6 == 0 and snapshot.top.best_ask6 == 0
    assert snapshot.bids == () and snapshot.asks == ()


@pytest.mark.parametrize("is_buy", [True, False])
def test_resting_order_reserves_exact_margin_and_cancel_releases_it(
    harness: VenueHarness, is_buy: bool
) -> None:
    venue, book = harness.venue, harness.order_book
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    before = venue.available_collateral([trader])[trader]
    price = harness.passive_price6(is_buy)
    receipt = venue.submit(book, session, PlaceLimit(trader, price, AMOUNT, is_buy))
    assert receipt.tx_hash
    order_id = harness.order_id_of(receipt, trader)

    orders = venue.open_orders(book, [trader])[trader]
    mine = [order for order in orders if order.order_id == order_id]
    assert len(mine) == 1
    order = mine[0]
    margin = estimate_margin6(price, AMOUNT, is_buy, harness.info.margin_bps)
    assert (order.price6, order.amount18, order.is_buy, order.margin_required6) == (
        price,
        AMOUNT,
        is_buy,
        margin,
    )
    assert order.trader.lower() == trader.lower()
    assert abs(order.timestamp - harness.now()) <= 60
    assert venue.available_collateral([trader])[trader] == before - margin

    side = harness.venue.book(book, 100)
    levels = side.bids if is_buy else side.asks
    assert any(level.price6 == price and level.amount18 >= AMOUNT for level in levels)
    _assert_consistent(side, counts=harness.reports_order_counts)

    venue.submit(book, session, CancelOrder(trader, order_id))
    # the cancel may be answered `pending` (as production's route does): read until it is mined
    assert eventually(lambda: all(o.order_id != order_id for o in venue.open_orders(book, [trader])[trader]))
    assert eventually(lambda: venue.available_collateral([trader])[trader] == before)


def test_modify_gives_a_new_id_and_the_old_one_vanishes(harness: VenueHarness) -> None:
    venue, book = harness.venue, harness.order_book
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    before = venue.available_collateral([trader])[trader]
    placed = venue.submit(book, session, PlaceLimit(trader, harness.passive_price6(True, 30), AMOUNT, True))
    first = harness.order_id_of(placed, trader)
    new_price = harness.passive_price6(True, 40)
    modified = venue.submit(book, session, ModifyOrder(trader, first, new_price, 2 * AMOUNT))
    new_id = harness.order_id_of(modified, trader)
    assert new_id != first
    orders = {order.order_id: order for order in venue.open_orders(book, [trader])[trader]}
    assert first not in orders
    assert (orders[new_id].price6, orders[new_id].amount18) == (new_price, 2 * AMOUNT)
    margin = estimate_margin6(new_price, 2 * AMOUNT, True, harness.info.margin_bps)
    assert venue.available_collateral([trader])[trader] == before - margin
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, session, CancelOrder(trader, first))
    assert caught.value.code == ErrorCode.ORDER_NOT_FOUND


def test_open_orders_for_many_traders_at_once(harness: VenueHarness) -> None:
    venue, book = harness.venue, harness.order_book
    placed: dict[str, set[int]] = {}
    for index, (trader, _) in enumerate(harness.traders[:3]):
        session = harness.open_session(trader)
        ids = set()
        for level, is_buy in enumerate((True, False)):
            price = harness.passive_price6(is_buy, 25 + 3 * index + level)
            receipt = venue.submit(book, session, PlaceLimit(trader, price, AMOUNT, is_buy))
            ids.add(harness.order_id_of(receipt, trader))
        placed[trader] = ids
    idle = harness.traders[3][0] if len(harness.traders) > 3 else "0x" + "ab" * 20
    asked = [trader.lower() for trader in placed] + [idle]
    result = venue.open_orders(book, asked)
    assert set(result) == set(asked), "keys are the traders as given"
    for trader, ids in placed.items():
        assert {order.order_id for order in result[trader.lower()]} == ids
    assert result[idle] == ()


def test_available_collateral_for_many_traders(harness: VenueHarness) -> None:
    traders = [trader for trader, _ in harness.traders]
    result = harness.venue.available_collateral(traders)
    assert set(result) == set(traders)
    assert all(isinstance(value, int) and value > 0 for value in result.values())


def test_insufficient_collateral_says_how_much(harness: VenueHarness) -> None:
    venue, book = harness.venue, harness.order_book
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    available = venue.available_collateral([trader])[trader]
    price = harness.passive_price6(True)
    amount = (available + 1) * 10**18 // price * 20_000 // harness.info.margin_bps + 10**18
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, session, PlaceLimit(trader, price, amount, True))
    error = caught.value
    assert error.code == ErrorCode.INSUFFICIENT_COLLATERAL
    assert error.details["available6"] == available
    margin = estimate_margin6(price, amount, True, harness.info.margin_bps)
    # the route may add its fee estimate to the margin (reference §7); the venue then says both
    assert error.details["required6"] == margin + error.details.get("fee6", 0)
    assert error.details.get("margin6", margin) == margin
    assert error.details["required6"] > error.details["available6"]
    assert venue.available_collateral([trader])[trader] == available
    assert venue.open_orders(book, [trader])[trader] == ()


def test_off_tick_price_is_rejected(harness: VenueHarness) -> None:
    tick6 = harness.info.tick6
    if tick6 == 1:
        pytest.skip("every price is on a 1-unit tick")
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    price = harness.passive_price6(True) + tick6 // 2
    with pytest.raises(TradeRejected) as caught:
        harness.venue.submit(harness.order_book, session, PlaceLimit(trader, price, AMOUNT, True))
    assert caught.value.code == ErrorCode.OFF_TICK
    assert harness.venue.open_orders(harness.order_book, [trader])[trader] == ()


def test_cancelling_someone_elses_order_is_rejected(harness: VenueHarness) -> None:
    venue, book = harness.venue, harness.order_book
    (owner, _), (other, _) = harness.traders[0], harness.traders[1]
    owner_session = harness.open_session(owner)
    other_session = harness.open_session(other)
    receipt = venue.submit(
        book, owner_session, PlaceLimit(owner, harness.passive_price6(False), AMOUNT, False)
    )
    order_id = harness.order_id_of(receipt, owner)
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, other_session, CancelOrder(other, order_id))
    assert caught.value.code == ErrorCode.NOT_ORDER_OWNER
    assert order_id in {order.order_id for order in venue.open_orders(book, [owner])[owner]}


def test_cancelling_an_unknown_order_is_rejected(harness: VenueHarness) -> None:
    trader, _ = harness.traders[0]
    session = harness.open_session(trader)
    with pytest.raises(TradeRejected) as caught:
        harness.venue.submit(harness.order_book, session, CancelOrder(trader, 987_654_321))
    assert caught.value.code == ErrorCode.ORDER_NOT_FOUND
