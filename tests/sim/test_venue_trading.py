"""Trading through sessions on the sim: matching, the audit, positions, PnL and collateral."""

from __future__ import annotations

import pytest

from ama_tui.core.margin import estimate_margin6, notional6
from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import CancelOrder, ModifyOrder, PlaceLimit, PlaceMarket, TradeRejected
from ama_tui.venues.sim import InvalidCursor

from ._venue_support import HENRY, make_sim, open_session, wallet

ONE = 10**18


@pytest.fixture()
def quiet():
    """A sim with no participants: the book holds only what the test puts there."""
    venue = make_sim(participants=False)
    book = venue.market_info(HENRY).order_book
    wallets = [wallet(i) for i in range(3)]
    sessions = [open_session(venue, address, key, symbol=HENRY) for address, key in wallets]
    traders = [address for address, _ in wallets]
    return venue, book, traders, sessions


def test_resting_orders_are_not_taker_fills(quiet) -> None:
    venue, book, (alice, bob, _), (sa, sb, _) = quiet
    venue.submit(book, sa, PlaceLimit(alice, 4_900_000, ONE, True))
    venue.submit(book, sb, PlaceLimit(bob, 5_100_000, ONE, False))
    audit = venue.audit()
    assert (audit.placements, audit.taker_fills, audit.self_matches, audit.trades) == (2, 0, 0, 0)
    top = venue.book(book).top
    assert (top.best_bid6, top.best_ask6) == (4_900_000, 5_100_000)
    assert (top.mark6, top.last_trade6) == (0, 1_000_000), "no trade yet: no mark, the 1.000000 placeholder"


def test_crossing_limit_is_a_taker_fill_and_a_self_match(quiet) -> None:
    venue, book, (alice, bob, _), (sa, sb, _) = quiet
    venue.submit(book, sa, PlaceLimit(alice, 5_000_000, 2 * ONE, True))
    receipt = venue.submit(book, sb, PlaceLimit(bob, 4_990_000, ONE, False))
    assert receipt.filled18 == ONE
    audit = venue.audit()
    assert audit.taker_fills == 1 and audit.taker_fill_order_ids == (receipt.order_id,)
    assert audit.self_matches == 1 and audit.session_trades == 1 and audit.maker_fills == 1
    snapshot = venue.book(book)
    assert snapshot.top.last_trade6 == 5_000_000
    assert snapshot.recent_trades[0].price6 == 5_000_000 and snapshot.recent_trades[0].taker_is_buy is False
    positions = venue.positions(book, [alice, bob])
    assert positions[alice].size18 == ONE and positions[bob].size18 == -ONE
    assert positions[alice].entry_price6 == positions[bob].entry_price6 == 5_000_000


def test_market_order_needs_liquidity_and_is_a_taker_fill(quiet) -> None:
    venue, book, (alice, bob, _), (sa, sb, _) = quiet
    before = venue.dump_state()
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, sa, PlaceMarket(alice, ONE, True))
    assert caught.value.code == ErrorCode.OB_NO_LIQUIDITY
    assert venue.dump_state() == before
    venue.submit(book, sb, PlaceLimit(bob, 5_010_000, ONE, False))
    venue.submit(book, sb, PlaceLimit(bob, 5_020_000, ONE, False))
    receipt = venue.submit(book, sa, PlaceMarket(alice, 3 * ONE // 2, True))
    assert receipt.filled18 == 3 * ONE // 2 and receipt.order_id is None
    position = venue.positions(book, [alice])[alice]
    assert position.size18 == 3 * ONE // 2
    assert position.entry_price6 == (5_010_000 * ONE + 5_020_000 * (ONE // 2)) // (3 * ONE // 2)
    assert venue.audit().market_orders == 1 and venue.audit().taker_fills == 1


def test_modify_that_crosses_is_a_taker_fill(quiet) -> None:
    venue, book, (alice, bob, _), (sa, sb, _) = quiet
    venue.submit(book, sb, PlaceLimit(bob, 5_050_000, ONE, False))
    placed = venue.submit(book, sa, PlaceLimit(alice, 4_950_000, ONE, True))
    modified = venue.submit(book, sa, ModifyOrder(alice, placed.order_id or 0, 5_050_000, ONE))
    assert modified.order_id != placed.order_id and modified.filled18 == ONE
    assert venue.audit().taker_fills == 1 and venue.audit().modifies == 1


def test_position_accounting_and_collateral(quiet) -> None:
    venue, book, (alice, bob, _), (sa, sb, _) = quiet
    funding = venue.available_collateral([alice])[alice]
    assert funding == 10_000 * 10**6

    def trade(price6: int, amount18: int, alice_buys: bool) -> None:
        venue.submit(book, sb, PlaceLimit(bob, price6, amount18, not alice_buys))
        venue.submit(book, sa, PlaceLimit(alice, price6, amount18, alice_buys))

    trade(5_000_000, 100 * ONE, True)  # long 100 @ 5.00
    trade(5_200_000, 100 * ONE, True)  # long 200 @ 5.10
    position = venue.positions(book, [alice])[alice]
    assert (position.size18, position.entry_price6, position.realized_pnl6) == (200 * ONE, 5_100_000, 0)
    locked = notional6(5_100_000, 200 * ONE)
    assert position.margin_locked6 == locked
    assert venue.available_collateral([alice])[alice] == funding - locked

    trade(5_300_000, 50 * ONE, False)  # sell 50 @ 5.30: realize +10.00
    position = venue.positions(book, [alice])[alice]
    assert (position.size18, position.entry_price6, position.realized_pnl6) == (
        150 * ONE,
        5_100_000,
        10_000_000,
    )

    trade(4_900_000, 250 * ONE, False)  # sell 250 @ 4.90: close 150 (-30.00), short 100 @ 4.90
    position = venue.positions(book, [alice])[alice]
    assert (position.size18, position.entry_price6) == (-100 * ONE, 4_900_000)
    assert position.realized_pnl6 == 10_000_000 - 30_000_000
    mark = venue.book(book).top.mark6
    assert mark == 4_900_000
    assert position.unrealized_pnl6 == 0
    assert venue.available_collateral([alice])[alice] == funding - 20_000_000 - notional6(
        4_900_000, 100 * ONE
    )

    bob_position = venue.positions(book, [bob])[bob]
    assert bob_position.size18 == 100 * ONE and bob_position.realized_pnl6 == 20_000_000


def test_unrealized_pnl_follows_the_mark(quiet) -> None:
    venue, book, (alice, bob, carol), (sa, sb, sc) = quiet
    venue.submit(book, sb, PlaceLimit(bob, 5_000_000, 10 * ONE, False))
    venue.submit(book, sa, PlaceLimit(alice, 5_000_000, 10 * ONE, True))
    venue.submit(book, sc, PlaceLimit(carol, 5_100_000, ONE, False))
    venue.submit(book, sb, PlaceLimit(bob, 5_100_000, ONE, True))  # last trade 5.10
    assert venue.positions(book, [alice])[alice].unrealized_pnl6 == 1_000_000


def test_reserved_margin_tracks_partial_fills(quiet) -> None:
    venue, book, (alice, bob, _), (sa, sb, _) = quiet
    funding = venue.available_collateral([alice])[alice]
    placed = venue.submit(book, sa, PlaceLimit(alice, 4_000_000, 10 * ONE, False))
    assert venue.available_collateral([alice])[alice] == funding - estimate_margin6(
        4_000_000, 10 * ONE, False, 10_000
    )
    venue.submit(book, sb, PlaceLimit(bob, 4_000_000, 4 * ONE, True))
    (order,) = venue.open_orders(book, [alice])[alice]
    assert order.order_id == placed.order_id and order.amount18 == 6 * ONE
    assert order.margin_required6 == estimate_margin6(4_000_000, 6 * ONE, False, 10_000)
    expected = funding - order.margin_required6 - notional6(4_000_000, 4 * ONE)
    assert venue.available_collateral([alice])[alice] == expected


def test_modify_needs_only_the_extra_margin(quiet) -> None:
    venue, book, (alice, _, _), (sa, _, _) = quiet
    venue.deposit(alice, 1)  # make the account exact-arithmetic friendly: 10,000.000001
    available = venue.available_collateral([alice])[alice]
    amount = available * ONE // 5_000_000  # uses almost everything at 5.00
    placed = venue.submit(book, sa, PlaceLimit(alice, 5_000_000, amount, True))
    modified = venue.submit(book, sa, ModifyOrder(alice, placed.order_id or 0, 4_990_000, amount))
    assert modified.order_id
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, sa, ModifyOrder(alice, modified.order_id or 0, 4_990_000, 2 * amount))
    assert caught.value.code == ErrorCode.INSUFFICIENT_COLLATERAL
    assert caught.value.details["required6"] == estimate_margin6(4_990_000, 2 * amount, True, 10_000)


def test_fills_since_reports_both_sides_of_a_trade_between_our_wallets(quiet) -> None:
    venue, book, (alice, bob, _), (sa, sb, _) = quiet
    cursor = venue.fills_cursor(book)
    assert cursor == "0"
    resting = venue.submit(book, sb, PlaceLimit(bob, 5_000_000, ONE, True))
    taking = venue.submit(book, sa, PlaceLimit(alice, 5_000_000, ONE, False))
    page = venue.fills_since(book, [alice.lower(), bob], cursor)
    assert [(f.is_maker, f.is_buy, f.trader, f.order_id) for f in page.fills] == [
        (True, True, bob, resting.order_id),
        (False, False, alice.lower(), taking.order_id),
    ]
    assert page.fills[0].fill_id != page.fills[1].fill_id
    assert page.fills[0].tx_hash == page.fills[1].tx_hash == taking.tx_hash
    assert page.cursor == "1"
    assert venue.audit().self_matches == 1


def test_crossing_your_own_order_cancels_it_and_trades_nothing(quiet) -> None:
    """Self-trade prevention (reference §7): the resting order is cancelled, its margin released."""
    venue, book, (alice, _, _), (sa, _, _) = quiet
    funding = venue.available_collateral([alice])[alice]
    bid = venue.submit(book, sa, PlaceLimit(alice, 5_000_000, ONE, True))
    ask = venue.submit(book, sa, PlaceLimit(alice, 5_000_000, 2 * ONE, False))
    assert ask.filled18 == 0
    (order,) = venue.open_orders(book, [alice])[alice]
    assert (order.order_id, order.is_buy, order.amount18) == (ask.order_id, False, 2 * ONE)
    ask_margin = estimate_margin6(5_000_000, 2 * ONE, False, 10_000)
    assert venue.available_collateral([alice])[alice] == funding - ask_margin
    assert venue.fills_since(book, [alice], "0").fills == ()
    assert venue.positions(book, [alice])[alice].size18 == 0
    top = venue.book(book).top
    assert (top.best_bid6, top.best_ask6, top.mark6) == (0, 5_000_000, 0)
    assert venue.events(2) == (
        ("place", venue.events(2)[0][1], HENRY, ask.order_id, alice, 5_000_000, 2 * ONE, False),
        ("cancel", venue.events(2)[0][1], HENRY, bid.order_id, alice, "self_trade"),
    )
    audit = venue.audit()
    assert (audit.self_trade_cancels, audit.cancels, audit.trades, audit.taker_fills) == (1, 0, 0, 0)


def test_self_trade_prevention_goes_on_to_the_next_maker(quiet) -> None:
    venue, book, (alice, bob, _), (sa, sb, _) = quiet
    own = venue.submit(book, sa, PlaceLimit(alice, 5_000_000, ONE, False))
    theirs = venue.submit(book, sb, PlaceLimit(bob, 5_000_000, ONE, False))
    market = venue.submit(book, sa, PlaceMarket(alice, ONE, True))
    assert market.filled18 == ONE
    fills = venue.fills_since(book, [alice, bob], "0").fills
    assert [(f.trader, f.is_maker, f.counterparty) for f in fills] == [
        (bob, True, alice),
        (alice, False, bob),
    ]
    assert fills[0].order_id == theirs.order_id
    assert own.order_id and venue.open_orders(book, [alice, bob]) == {alice: (), bob: ()}
    assert venue.audit().self_trade_cancels == 1 and venue.audit().self_matches == 1


def test_a_market_has_no_price_until_its_first_trade(quiet) -> None:
    """Reference §7: mark 0 and the 1.000000 `lastTradePrice` placeholder before the first trade."""
    venue, book, (alice, bob, _), (sa, sb, _) = quiet
    empty = venue.book(book).top
    assert (empty.best_bid6, empty.best_ask6, empty.mark6, empty.last_trade6) == (0, 0, 0, 1_000_000)
    venue.submit(book, sa, PlaceLimit(alice, 4_000_000, ONE, True))
    one_sided = venue.book(book).top
    assert (one_sided.mark6, one_sided.last_trade6) == (0, 1_000_000)
    venue.submit(book, sb, PlaceLimit(bob, 4_000_000, ONE // 2, False))
    traded = venue.book(book).top
    assert (traded.mark6, traded.last_trade6) == (4_000_000, 4_000_000)


@pytest.mark.parametrize("cursor", ["-1", "abc", "", "1.5", "99", "²"])
def test_bad_cursor_is_a_clear_error(quiet, cursor: str) -> None:
    venue, book, (alice, _, _), _ = quiet
    with pytest.raises(InvalidCursor, match="cursor"):
        venue.fills_since(book, [alice], cursor)


def test_cancel_and_receipts(quiet) -> None:
    venue, book, (alice, _, _), (sa, _, _) = quiet
    placed = venue.submit(book, sa, PlaceLimit(alice, 4_000_000, ONE, True))
    cancelled = venue.submit(book, sa, CancelOrder(alice, placed.order_id or 0))
    assert cancelled.order_id == placed.order_id
    assert placed.tx_hash != cancelled.tx_hash
    assert placed.tx_hash and len(placed.tx_hash) == 66
    assert venue.audit().cancels == 1


def test_inject_taker_on_an_empty_side(quiet) -> None:
    venue, book, _, _ = quiet
    with pytest.raises(TradeRejected) as caught:
        venue.inject_taker(book, True, ONE)
    assert caught.value.code == ErrorCode.OB_NO_LIQUIDITY


def test_session_caps_and_markets() -> None:
    venue = make_sim(participants=False)
    address, key = wallet(0)
    book = venue.market_info(HENRY).order_book
    eth_book = venue.market_info("ETH-USD").order_book
    session = open_session(
        venue,
        address,
        key,
        symbol=HENRY,
        max_notional_per_trade=60_000_000,
        max_notional_per_session=100_000_000,
    )
    venue.submit(book, session, PlaceLimit(address, 5_000_000, 10 * ONE, True))  # 50 USDC
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, session, PlaceLimit(address, 5_000_000, 13 * ONE, True))  # 65 > 60 per trade
    assert caught.value.code == ErrorCode.SESSION_TRADE_CAP
    assert caught.value.details == {"notional6": 65_000_000, "cap6": 60_000_000}
    venue.submit(book, session, PlaceLimit(address, 5_000_000, 10 * ONE, True))  # 100 in all
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, session, PlaceLimit(address, 5_000_000, ONE, True))
    assert caught.value.code == ErrorCode.SESSION_SESSION_CAP
    assert caught.value.details == {"notional6": 5_000_000, "used6": 100_000_000, "cap6": 100_000_000}
    anywhere = open_session(venue, address, key, symbol=HENRY)
    receipt = venue.submit(eth_book, anywhere, PlaceLimit(address, 3_000_000_000, ONE // 100, True))
    assert receipt.order_id, "allowedMarkets is signed, not enforced (reference §7)"


def test_a_session_of_another_trader_names_both(quiet) -> None:
    venue, book, (alice, bob, _), (sa, _, _) = quiet
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, sa, PlaceLimit(bob, 4_000_000, ONE, True))
    assert caught.value.code == ErrorCode.SESSION_BAD_TRADER
    assert caught.value.details == {"expected": alice, "got": bob}


def test_unknown_orders_and_dust_are_refused_as_the_route_does(quiet) -> None:
    venue, book, (alice, _, _), (sa, _, _) = quiet
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, sa, CancelOrder(alice, 424_242))
    assert caught.value.code == ErrorCode.ORDER_NOT_FOUND
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, sa, PlaceLimit(alice, 4_000_000, 249_999_999_999, True))  # margin 0.999999 -> 0
    assert caught.value.code == ErrorCode.ZERO_MARGIN
    venue.submit(book, sa, PlaceLimit(alice, 4_000_000, 250_000_000_000, True))  # margin 1 usdc6
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, sa, PlaceMarket(alice, ONE, True))
    assert (caught.value.code, caught.value.details) == (ErrorCode.OB_NO_LIQUIDITY, {"side": "buy"})


def test_participants_are_not_session_traders() -> None:
    venue = make_sim(preset="REALISTIC")
    book = venue.market_info("ETH-USD").order_book
    venue.book(book)  # a market comes alive when a call first names it
    venue.advance(120)
    audit = venue.audit()
    assert audit.trades > 0 and audit.session_trades == 0 and audit.taker_fills == 0
    cursor = "0"
    assert venue.fills_since(book, list(venue.participant_addresses), cursor).fills == ()
