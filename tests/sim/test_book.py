"""Example tests of the sim's order book: priority, fills, margin, errors, depth, snapshots."""

from __future__ import annotations

from dataclasses import astuple, fields, replace

import pytest

from ama_tui.core.margin import estimate_margin6
from ama_tui.venues.sim.book import (
    BookError,
    BookOrder,
    DepthLevel,
    InvalidAmount,
    InvalidPrice,
    InvalidSide,
    InvalidTimestamp,
    NoLiquidity,
    OrderBook,
    PlaceResult,
    Trade,
    UnknownOrder,
    _new_order,
    _new_result,
    _new_trade,
)

UNIT = 10**18
MARGIN_BPS = 2_000
T0 = 1_700_000_000


def px(dollars: int | float) -> int:
    return round(dollars * 1_000_000)


def qty(units: int | float) -> int:
    return round(units * 100) * UNIT // 100


@pytest.fixture()
def book() -> OrderBook:
    return OrderBook(margin_bps=MARGIN_BPS)


def test_empty_book_reads_zero(book: OrderBook) -> None:
    assert (book.best_bid6, book.best_ask6) == (0, 0)
    assert len(book) == 0
    assert book.depth(5) == ((), ())
    assert book.trade_count == 0
    assert book.last_trade_price6 == 0
    assert list(book.order_ids()) == []
    assert book.orders_of("alice") == ()
    assert book.get(1) is None


def test_best_prices_follow_the_book_and_return_to_zero(book: OrderBook) -> None:
    bid = book.place_limit("a", px(99), qty(1), True, T0).order_id
    ask = book.place_limit("b", px(101), qty(1), False, T0).order_id
    book.place_limit("a", px(98), qty(1), True, T0)
    assert (book.best_bid6, book.best_ask6) == (px(99), px(101))
    book.cancel(ask)
    assert book.best_ask6 == 0
    book.cancel(bid)
    assert book.best_bid6 == px(98)


def test_resting_order_carries_the_on_chain_margin(book: OrderBook) -> None:
    buy = book.place_limit("a", px(99.99), qty(3), True, T0).resting
    sell = book.place_limit("a", px(100.01), qty(3), False, T0 + 1).resting
    assert buy is not None and sell is not None
    assert buy.margin_required6 == estimate_margin6(px(99.99), qty(3), True, MARGIN_BPS)
    assert sell.margin_required6 == estimate_margin6(px(100.01), qty(3), False, MARGIN_BPS)
    assert sell.margin_required6 == 450_045_000  # sells always reserve 150 %
    assert buy == BookOrder(1, "a", px(99.99), qty(3), qty(3), True, T0, 1, buy.margin_required6)
    assert sell.seq == 2 and sell.timestamp == T0 + 1


def test_same_price_fills_in_arrival_order(book: OrderBook) -> None:
    first = book.place_limit("m1", px(100), qty(1), False, T0).order_id
    second = book.place_limit("m2", px(100), qty(1), False, T0).order_id
    result = book.place_limit("t", px(100), qty(1.5), True, T0 + 5)
    assert [(t.maker_order_id, t.amount18, t.maker_remaining18) for t in result.trades] == [
        (first, qty(1), 0),
        (second, qty(0.5), qty(0.5)),
    ]
    assert book.get(first) is None
    assert book.orders_of("m2")[0].amount18 == qty(0.5)


def test_better_price_fills_first_even_if_later(book: OrderBook) -> None:
    early = book.place_limit("m1", px(100), qty(1), False, T0).order_id
    better = book.place_limit("m2", px(99), qty(1), False, T0 + 1).order_id
    result = book.place_limit("t", px(100), qty(1.5), True, T0 + 2)
    assert [(t.maker_order_id, t.price6, t.amount18) for t in result.trades] == [
        (better, px(99), qty(1)),
        (early, px(100), qty(0.5)),
    ]
    assert result.resting is None
    assert book.last_trade_price6 == px(100)


def test_bids_priority_mirrors_asks(book: OrderBook) -> None:
    low = book.place_limit("m1", px(98), qty(1), True, T0).order_id
    high_first = book.place_limit("m2", px(99), qty(1), True, T0).order_id
    high_second = book.place_limit("m3", px(99), qty(1), True, T0).order_id
    result = book.place_limit("t", px(98), qty(2.5), False, T0)
    assert [t.maker_order_id for t in result.trades] == [high_first, high_second, low]
    assert [t.price6 for t in result.trades] == [px(99), px(99), px(98)]
    assert all(t.seller == "t" and not t.taker_is_buy for t in result.trades)
    assert book.get(low) is not None and book.get(low).amount18 == qty(0.5)  # type: ignore[union-attr]


def test_partial_fill_keeps_identity_and_recomputes_margin(book: OrderBook) -> None:
    maker = book.place_limit("m", px(100), qty(10), False, T0).resting
    assert maker is not None
    result = book.place_limit("t", px(100), qty(4), True, T0 + 9)
    (trade,) = result.trades
    assert trade == Trade(
        seq=1,
        timestamp=T0 + 9,
        price6=px(100),
        amount18=qty(4),
        maker_order_id=maker.order_id,
        taker_order_id=result.order_id,
        maker="m",
        taker="t",
        taker_is_buy=True,
        maker_remaining18=qty(6),
    )
    assert (trade.buyer, trade.seller) == ("t", "m")
    assert trade.notional6 == px(400)
    left = book.get(maker.order_id)
    assert left == replace(
        maker,
        amount18=qty(6),
        margin_required6=estimate_margin6(px(100), qty(6), False, MARGIN_BPS),
    )
    assert left is not None and left.filled_amount18 == qty(4)
    assert book.level_amount(px(100), False) == qty(6)
    book.check_invariants()


def test_crossing_limit_sweeps_levels_at_makers_prices_and_rests_the_rest(book: OrderBook) -> None:
    for price in (100, 101, 102, 103):
        book.place_limit("m", px(price), qty(1), False, T0)
    result = book.place_limit("t", px(102), qty(5), True, T0 + 1)
    assert [(t.price6, t.amount18) for t in result.trades] == [(px(p), qty(1)) for p in (100, 101, 102)]
    assert [t.seq for t in result.trades] == [1, 2, 3]
    assert result.filled_amount18 == qty(3)
    resting = result.resting
    assert resting is not None
    assert (resting.order_id, resting.price6, resting.amount18, resting.original_amount18) == (
        result.order_id,
        px(102),
        qty(2),
        qty(5),
    )
    assert resting.margin_required6 == estimate_margin6(px(102), qty(2), True, MARGIN_BPS)
    assert (book.best_bid6, book.best_ask6) == (px(102), px(103))
    assert book.trade_count == 3
    book.check_invariants()


def test_market_order_on_empty_side_raises_and_changes_nothing(book: OrderBook) -> None:
    book.place_limit("m", px(99), qty(1), True, T0)
    before = book.snapshot()
    with pytest.raises(NoLiquidity, match="OB: no liq"):
        book.place_market("t", qty(1), True, T0)
    assert book.snapshot() == before
    assert book.next_order_id == 2


def test_market_order_sweeps_and_never_rests(book: OrderBook) -> None:
    book.place_limit("m", px(101), qty(1), False, T0)
    book.place_limit("m", px(102), qty(1), False, T0)
    result = book.place_market("t", qty(5), True, T0)
    assert result.order_id == 3
    assert result.resting is None
    assert [(t.price6, t.taker_order_id) for t in result.trades] == [(px(101), 3), (px(102), 3)]
    assert len(book) == 0 and book.best_ask6 == 0
    assert book.next_order_id == 4


def test_market_order_stops_at_worst_price(book: OrderBook) -> None:
    for price in (99, 100, 101):
        book.place_limit("m", px(price), qty(1), True, T0)
    result = book.place_market("t", qty(5), False, T0, worst_price6=px(100))
    assert [t.price6 for t in result.trades] == [px(101), px(100)]
    assert book.best_bid6 == px(99) and book.best_ask6 == 0
    nothing = book.place_market("t", qty(1), False, T0, worst_price6=px(100))
    assert nothing.trades == () and nothing.resting is None
    assert nothing.order_id == result.order_id + 1  # accepted, so it used an id


def test_cancel_returns_the_order_and_unknown_raises(book: OrderBook) -> None:
    placed = book.place_limit("a", px(100), qty(1), True, T0).resting
    assert placed is not None
    assert book.cancel(placed.order_id) == placed
    assert len(book) == 0 and book.depth(3) == ((), ())
    with pytest.raises(UnknownOrder):
        book.cancel(placed.order_id)
    with pytest.raises(UnknownOrder, match="#42"):
        book.cancel(42)
    filled = book.place_limit("a", px(100), qty(1), True, T0).order_id
    book.place_limit("b", px(100), qty(1), False, T0)
    with pytest.raises(UnknownOrder):
        book.cancel(filled)
    assert isinstance(UnknownOrder("x"), BookError)


def test_modify_gives_a_new_id_and_loses_priority(book: OrderBook) -> None:
    first = book.place_limit("a", px(100), qty(1), False, T0).resting
    second = book.place_limit("b", px(100), qty(1), False, T0).resting
    assert first is not None and second is not None
    modified = book.modify(first.order_id, px(100), qty(1), T0 + 3)
    assert modified.order_id == 3
    assert modified.replaced == first
    assert modified.trades == ()
    assert book.get(first.order_id) is None
    new = modified.resting
    assert new is not None
    assert (new.trader, new.is_buy, new.timestamp) == ("a", False, T0 + 3)
    taken = book.place_limit("t", px(100), qty(1), True, T0 + 4)
    assert [t.maker_order_id for t in taken.trades] == [second.order_id]
    assert [o.order_id for o in book.orders_of("a")] == [modified.order_id]


def test_modify_can_cross_and_match(book: OrderBook) -> None:
    bid = book.place_limit("a", px(99), qty(2), True, T0).order_id
    book.place_limit("b", px(101), qty(1), False, T0)
    result = book.modify(bid, px(101), qty(3), T0 + 1)
    assert [(t.price6, t.amount18, t.taker_order_id) for t in result.trades] == [(px(101), qty(1), 3)]
    assert result.resting is not None and result.resting.amount18 == qty(2)
    assert result.resting.original_amount18 == qty(3)
    assert (book.best_bid6, book.best_ask6) == (px(101), 0)


def test_modify_errors_change_nothing(book: OrderBook) -> None:
    order_id = book.place_limit("a", px(99), qty(2), True, T0).order_id
    before = book.snapshot()
    with pytest.raises(UnknownOrder):
        book.modify(77, px(99), qty(1), T0)
    with pytest.raises(InvalidPrice):
        book.modify(order_id, 0, qty(1), T0)
    with pytest.raises(InvalidAmount):
        book.modify(order_id, px(99), -1, T0)
    with pytest.raises(InvalidTimestamp):
        book.modify(order_id, px(99), qty(1), -5)
    assert book.snapshot() == before


def test_self_trade_prevention_cancels_the_resting_order_and_trades_nothing(book: OrderBook) -> None:
    """Reference §7: an order that would match its own trader's resting order cancels that order."""
    own = book.place_limit("a", px(100), qty(1), False, T0).resting
    assert own is not None
    result = book.place_limit("a", px(100), qty(1), True, T0 + 1)
    assert result.trades == ()
    assert result.self_cancelled == (own,)
    assert own.order_id not in book and book.orders_of("a") == (result.resting,)
    assert result.resting is not None and result.resting.amount18 == qty(1)
    assert (book.best_bid6, book.best_ask6) == (px(100), 0)
    assert (book.trade_count, book.last_trade_price6) == (0, 0)
    book.check_invariants()


def test_self_trade_prevention_goes_on_to_other_traders_orders(book: OrderBook) -> None:
    partly = book.place_limit("a", px(102), qty(4), False, T0).resting
    assert partly is not None
    book.place_limit("c", px(102), qty(1), True, T0)  # leaves 3 of a's 102 ask
    partly = book.get(partly.order_id)
    assert partly is not None and partly.amount18 == qty(3)
    first = book.place_limit("a", px(100), qty(1), False, T0).resting
    book.place_limit("b", px(100), qty(1), False, T0)
    book.place_limit("b", px(101), qty(1), False, T0)
    book.place_limit("a", px(101), qty(2), False, T0)
    beyond = book.place_limit("a", px(103), qty(1), False, T0).resting
    assert beyond is not None
    result = book.place_limit("a", px(102), qty(5), True, T0 + 1)
    assert [(t.maker, t.price6, t.amount18) for t in result.trades] == [
        ("b", px(100), qty(1)),
        ("b", px(101), qty(1)),
    ]
    assert all(t.taker == "a" for t in result.trades)
    second = [o for o in result.self_cancelled if o.price6 == px(101)]
    assert result.self_cancelled == (first, *second, partly), "each as it was, in the order met"
    assert partly.margin_required6 == estimate_margin6(px(102), qty(3), False, MARGIN_BPS)
    assert [o.order_id for o in book.orders_of("a")] == [beyond.order_id, result.order_id]
    assert result.resting is not None and result.resting.amount18 == qty(3)
    assert (book.best_bid6, book.best_ask6) == (px(102), px(103))
    assert book.trade_count == 3
    book.check_invariants()


def test_self_trade_prevention_spares_what_the_order_would_not_reach(book: OrderBook) -> None:
    book.place_limit("b", px(100), qty(1), False, T0)
    later = book.place_limit("a", px(100), qty(1), False, T0).resting
    result = book.place_limit("a", px(100), qty(1), True, T0 + 1)
    assert [t.maker for t in result.trades] == ["b"]
    assert result.self_cancelled == () and result.resting is None
    assert later is not None and book.get(later.order_id) == later


def test_self_trade_prevention_in_market_orders_and_modifies(book: OrderBook) -> None:
    own_ask = book.place_limit("a", px(101), qty(1), False, T0).resting
    book.place_limit("b", px(102), qty(1), False, T0)
    market = book.place_market("a", qty(5), True, T0 + 1)
    assert own_ask is not None and market.self_cancelled == (own_ask,)
    assert [(t.maker, t.price6) for t in market.trades] == [("b", px(102))]
    own_bid = book.place_limit("a", px(99), qty(1), True, T0 + 2).resting
    ask = book.place_limit("a", px(100), qty(1), False, T0 + 3).resting
    assert own_bid is not None and ask is not None
    only_own = book.place_market("a", qty(1), False, T0 + 4)
    assert only_own.trades == () and only_own.self_cancelled == (own_bid,)
    modified = book.modify(ask.order_id, px(98), qty(1), T0 + 5)
    assert modified.trades == () and modified.self_cancelled == ()
    bid = book.place_limit("a", px(97), qty(2), True, T0 + 6).resting
    assert bid is not None and modified.resting is not None
    crossing = book.modify(bid.order_id, px(98), qty(2), T0 + 7)
    assert crossing.replaced == bid and crossing.self_cancelled == (modified.resting,)
    assert crossing.trades == () and book.orders_of("a") == (crossing.resting,)
    assert book.trade_count == 1
    book.check_invariants()


def test_depth_aggregates_levels(book: OrderBook) -> None:
    book.place_limit("a", px(99), qty(1), True, T0)
    book.place_limit("b", px(99), qty(2), True, T0)
    book.place_limit("a", px(98), qty(4), True, T0)
    book.place_limit("c", px(97), qty(1), True, T0)
    book.place_limit("a", px(101), qty(3), False, T0)
    book.place_limit("b", px(103), qty(1), False, T0)
    book.place_limit("c", px(103), qty(1.5), False, T0)
    bids, asks = book.depth(2)
    assert bids == (DepthLevel(px(99), qty(3), 2), DepthLevel(px(98), qty(4), 1))
    assert asks == (DepthLevel(px(101), qty(3), 1), DepthLevel(px(103), qty(2.5), 2))
    assert len(book.depth(10)[0]) == 3
    assert book.depth(0) == ((), ())
    assert book.level_amount(px(103), False) == qty(2.5)
    assert book.level_amount(px(103), True) == 0
    with pytest.raises(BookError):
        book.depth(-1)


def test_orders_of_is_by_seq_and_forgets_empty_traders(book: OrderBook) -> None:
    ids = [book.place_limit("a", px(p), qty(1), p < 100, T0).order_id for p in (103, 99, 104, 98)]
    other = book.place_limit("b", px(102), qty(1), False, T0).order_id
    assert [o.order_id for o in book.orders_of("a")] == ids
    assert set(book.traders()) == {"a", "b"}
    book.cancel(ids[1])
    assert [o.order_id for o in book.orders_of("a")] == [ids[0], ids[2], ids[3]]
    book.place_limit("t", px(102), qty(1), True, T0)  # takes b's order
    assert book.get(other) is None
    assert book.orders_of("b") == ()
    assert book.traders() == ("a",)


def test_order_ids_is_safe_to_cancel_while_iterating(book: OrderBook) -> None:
    for price in (101, 102, 103):
        book.place_limit("a", px(price), qty(1), False, T0)
    for order_id in book.order_ids():
        book.cancel(order_id)
    assert len(book) == 0


def test_first_order_id_and_market_ids(book: OrderBook) -> None:
    other = OrderBook(margin_bps=MARGIN_BPS, first_order_id=1_000)
    assert other.place_limit("a", px(100), qty(1), True, T0).order_id == 1_000
    assert other.place_market("b", qty(1), False, T0).order_id == 1_001
    assert other.next_order_id == 1_002


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"price6": 0}, InvalidPrice),
        ({"price6": -1}, InvalidPrice),
        ({"price6": 1.5}, InvalidPrice),
        ({"price6": True}, InvalidPrice),
        ({"amount18": 0}, InvalidAmount),
        ({"amount18": -(10**18)}, InvalidAmount),
        ({"amount18": 1e18}, InvalidAmount),
        ({"timestamp": -1}, InvalidTimestamp),
        ({"timestamp": 1.0}, InvalidTimestamp),
        ({"is_buy": 1}, InvalidSide),
    ],
)
def test_invalid_limit_orders_leave_the_book_unchanged(
    book: OrderBook, kwargs: dict[str, object], error: type[BookError]
) -> None:
    book.place_limit("m", px(100), qty(1), False, T0)
    book.place_limit("m", px(99), qty(1), True, T0)
    before = book.snapshot()
    args: dict[str, object] = {
        "trader": "t",
        "price6": px(100),
        "amount18": qty(1),
        "is_buy": True,
        "timestamp": T0,
    } | kwargs
    with pytest.raises(error):
        book.place_limit(**args)  # type: ignore[arg-type]
    assert book.snapshot() == before
    assert isinstance(error("x"), BookError)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"amount18": 0}, InvalidAmount),
        ({"worst_price6": 0}, InvalidPrice),
        ({"timestamp": -3}, InvalidTimestamp),
        ({"is_buy": None}, InvalidSide),
    ],
)
def test_invalid_market_orders_leave_the_book_unchanged(
    book: OrderBook, kwargs: dict[str, object], error: type[BookError]
) -> None:
    book.place_limit("m", px(100), qty(1), False, T0)
    before = book.snapshot()
    args: dict[str, object] = {"trader": "t", "amount18": qty(1), "is_buy": True, "timestamp": T0} | kwargs
    with pytest.raises(error):
        book.place_market(**args)  # type: ignore[arg-type]
    assert book.snapshot() == before


def test_constructor_rejects_bad_settings() -> None:
    with pytest.raises(BookError):
        OrderBook(margin_bps=0)
    with pytest.raises(BookError):
        OrderBook(margin_bps=1_000, first_order_id=0)


def test_snapshot_round_trip_continues_identically(book: OrderBook) -> None:
    book.place_limit("a", px(100), qty(3), False, T0)
    book.place_limit("b", px(100), qty(1), False, T0)
    book.place_limit("c", px(98), qty(2), True, T0)
    book.place_limit("d", px(100), qty(1), True, T0)  # partial fill of a
    copy = OrderBook.from_snapshot(book.snapshot())
    assert copy.snapshot() == book.snapshot()
    assert copy.depth(5) == book.depth(5)
    assert copy.orders_of("a") == book.orders_of("a")
    step = ("e", px(100), qty(3), True, T0 + 1)
    assert copy.place_limit(*step) == book.place_limit(*step)
    assert copy.snapshot() == book.snapshot()


def test_from_snapshot_rejects_inconsistent_data(book: OrderBook) -> None:
    book.place_limit("a", px(100), qty(1), False, T0)
    book.place_limit("b", px(99), qty(1), True, T0)
    snapshot = book.snapshot()
    bid = snapshot.orders[1]
    crossing_bid = replace(
        bid, price6=px(100), margin_required6=estimate_margin6(px(100), bid.amount18, True, MARGIN_BPS)
    )
    crossed = replace(snapshot, orders=(snapshot.orders[0], crossing_bid))
    with pytest.raises(BookError, match="crossed"):
        OrderBook.from_snapshot(crossed)
    wrong_margin = replace(snapshot, orders=(snapshot.orders[0], replace(bid, margin_required6=1)))
    with pytest.raises(BookError, match="reserves"):
        OrderBook.from_snapshot(wrong_margin)
    twice = replace(snapshot, orders=(snapshot.orders[0], snapshot.orders[0]))
    with pytest.raises(BookError, match="twice"):
        OrderBook.from_snapshot(twice)
    stale_counter = replace(snapshot, next_order_id=2)
    with pytest.raises(BookError, match="counters"):
        OrderBook.from_snapshot(stale_counter)


def test_fast_record_factories_match_the_dataclass_constructors() -> None:
    """The book builds its records without the generated __init__; they must be indistinguishable."""
    for cls, factory in ((BookOrder, _new_order), (Trade, _new_trade), (PlaceResult, _new_result)):
        names = [field.name for field in fields(cls)]
        assert factory.__code__.co_varnames[: factory.__code__.co_argcount] == tuple(names), cls
    order_args = (7, "a", px(1), qty(2), qty(3), True, T0, 9, 11)
    assert _new_order(*order_args) == BookOrder(*order_args)
    assert astuple(_new_order(*order_args)) == order_args
    trade_args = (1, T0, px(1), qty(1), 2, 3, "m", "t", False, 0)
    assert _new_trade(*trade_args) == Trade(*trade_args)
    order = BookOrder(*order_args)
    assert _new_result(1, (), order) == PlaceResult(1, (), order)
    assert _new_result(1, (), None, order) == PlaceResult(1, (), None, order)
    assert _new_result(1, (), None, None, (order,)) == PlaceResult(1, (), None, None, (order,))
    assert _new_result(1, (), None) == PlaceResult(1, (), None), "no self-cancels unless given"
    assert hash(_new_order(*order_args)) == hash(BookOrder(*order_args))
