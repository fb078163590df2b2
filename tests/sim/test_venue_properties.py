"""Property test: whatever the traders do, the sim's books, vault and audit stay consistent."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ama_tui.core.margin import notional6
from ama_tui.venues.base import CancelOrder, ModifyOrder, PlaceLimit, PlaceMarket, TradeRejected
from ama_tui.venues.sim import SimVenue

from ._venue_support import HENRY, open_session, wallet

ONE = 10**18
WALLETS = [wallet(i) for i in range(3)]

action = st.tuples(
    st.sampled_from(["limit", "limit", "limit", "market", "cancel", "modify", "advance"]),
    st.integers(0, 2),  # trader
    st.integers(480, 520),  # price in ticks (0.01)
    st.integers(1, 40),  # amount in tenths
    st.booleans(),
    st.integers(0, 30),  # which of the trader's orders
)


@settings(max_examples=25, deadline=None)
@given(st.lists(action, min_size=5, max_size=40))
def test_books_vault_and_audit_stay_consistent(actions: list[tuple[str, int, int, int, bool, int]]) -> None:
    venue = SimVenue(5, "PERFECT_EXECUTION", "virtual", participants=False)
    book = venue.market_info(HENRY).order_book
    traders = [address for address, _ in WALLETS]
    sessions = [open_session(venue, address, key, symbol=HENRY) for address, key in WALLETS]
    crossing = 0
    for kind, who, ticks, tenths, is_buy, pick in actions:
        trader, session = traders[who], sessions[who]
        mine = venue.open_orders(book, [trader])[trader]
        amount = tenths * ONE // 10
        if kind == "limit":
            request: object = PlaceLimit(trader, ticks * 10_000, amount, is_buy)
        elif kind == "market":
            request = PlaceMarket(trader, amount, is_buy)
        elif kind == "cancel" and mine:
            request = CancelOrder(trader, mine[pick % len(mine)].order_id)
        elif kind == "modify" and mine:
            request = ModifyOrder(trader, mine[pick % len(mine)].order_id, ticks * 10_000, amount)
        else:
            venue.advance(pick)
            continue
        try:
            receipt = venue.submit(book, session, request)  # type: ignore[arg-type]
        except TradeRejected:
            continue
        if receipt.filled18:
            crossing += 1

        snapshot = venue.book(book, 100)
        assert not snapshot.top.is_crossed
        orders = venue.open_orders(book, traders)
        resting = sum(order.amount18 for trader_orders in orders.values() for order in trader_orders)
        assert resting == sum(level.amount18 for level in (*snapshot.bids, *snapshot.asks))
        positions = venue.positions(book, traders)
        assert sum(position.size18 for position in positions.values()) == 0
        available = venue.available_collateral(traders)
        for address in traders:
            position = positions[address]
            reserved = sum(order.margin_required6 for order in orders[address])
            locked = notional6(position.entry_price6, abs(position.size18))
            assert position.margin_locked6 == locked
            assert available[address] == 10_000 * 10**6 + position.realized_pnl6 - locked - reserved
    fills = venue.fills_since(book, traders, "0").fills
    assert all(fill.counterparty != fill.trader for fill in fills), "no trader trades with itself"
    audit = venue.audit()
    assert audit.taker_fills == crossing
    assert audit.self_matches == audit.session_trades == audit.trades
