"""The order book against a deliberately naive model: one list of orders, scanned linearly.

A small price grid (10 prices, three traders) makes crossing, sweeps, self-trade prevention and
partial fills frequent. After every step the two must agree on the resting orders, the top of book,
the depth, the per-trader views and the counters, and the book's own structural invariants must hold.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ama_tui.core.margin import estimate_margin6
from ama_tui.venues.sim.book import (
    BookError,
    DepthLevel,
    InvalidAmount,
    InvalidPrice,
    NoLiquidity,
    OrderBook,
    UnknownOrder,
)

MARGIN_BPS = 1_250
PRICES = [99_000_000 + 250_003 * step for step in range(10)]  # odd values exercise the margin floor
TRADERS = ["alice", "bob", "carol"]

prices = st.sampled_from(PRICES)
amounts = st.integers(1, 40).map(lambda tenths: tenths * 10**17) | st.integers(1, 5)
traders = st.sampled_from(TRADERS)
sides = st.booleans()
picks = st.integers(0, 10**6)


@dataclass
class RefOrder:
    order_id: int
    trader: str
    price6: int
    amount18: int
    original_amount18: int
    is_buy: bool
    timestamp: int
    seq: int

    def view(self, margin_bps: int) -> tuple[object, ...]:
        margin = estimate_margin6(self.price6, self.amount18, self.is_buy, margin_bps)
        return (
            self.order_id,
            self.trader,
            self.price6,
            self.amount18,
            self.original_amount18,
            self.is_buy,
            self.timestamp,
            self.seq,
            margin,
        )


class RefBook:
    """Price-time matching written the obvious way, O(n) per fill. A maker of the taker's own trader
    is cancelled instead of matched (self-trade prevention), as it is met."""

    def __init__(self, margin_bps: int) -> None:
        self.margin_bps = margin_bps
        self.orders: list[RefOrder] = []  # in arrival order
        self.next_id = 1
        self.next_seq = 1
        self.trade_count = 0
        self.last_trade6 = 0
        self.self_cancelled: list[tuple[object, ...]] = []
        """Views of the orders the latest placement cancelled by self-trade prevention."""

    def best(self, is_buy: bool) -> int:
        side = [o.price6 for o in self.orders if o.is_buy == is_buy]
        if not side:
            return 0
        return max(side) if is_buy else min(side)

    def match(
        self, taker_id: int, trader: str, amount: int, is_buy: bool, limit: int | None, ts: int
    ) -> tuple[list[tuple[object, ...]], int]:
        trades: list[tuple[object, ...]] = []
        self.self_cancelled = []
        while amount:
            makers = [
                o
                for o in self.orders
                if o.is_buy != is_buy
                and (limit is None or (o.price6 <= limit if is_buy else o.price6 >= limit))
            ]
            if not makers:
                break
            maker = min(makers, key=lambda o: (o.price6 if is_buy else -o.price6, o.seq))
            if maker.trader == trader:
                self.self_cancelled.append(maker.view(self.margin_bps))
                self.orders.remove(maker)
                continue
            fill = min(amount, maker.amount18)
            maker.amount18 -= fill
            amount -= fill
            self.trade_count += 1
            self.last_trade6 = maker.price6
            trades.append(
                (
                    self.trade_count,
                    ts,
                    maker.price6,
                    fill,
                    maker.order_id,
                    taker_id,
                    maker.trader,
                    trader,
                    is_buy,
                    maker.amount18,
                )
            )
            if not maker.amount18:
                self.orders.remove(maker)
        return trades, amount

    def place_limit(
        self, trader: str, price6: int, amount18: int, is_buy: bool, ts: int
    ) -> tuple[int, list[tuple[object, ...]], RefOrder | None]:
        order_id, seq = self.next_id, self.next_seq
        self.next_id += 1
        self.next_seq += 1
        trades, left = self.match(order_id, trader, amount18, is_buy, price6, ts)
        resting = None
        if left:
            resting = RefOrder(order_id, trader, price6, left, amount18, is_buy, ts, seq)
            self.orders.append(resting)
        return order_id, trades, resting

    def place_market(
        self, trader: str, amount18: int, is_buy: bool, ts: int, worst: int | None
    ) -> tuple[int, list[tuple[object, ...]]] | None:
        if not any(o.is_buy != is_buy for o in self.orders):
            self.self_cancelled = []
            return None
        order_id = self.next_id
        self.next_id += 1
        self.next_seq += 1
        trades, _ = self.match(order_id, trader, amount18, is_buy, worst, ts)
        return order_id, trades

    def find(self, order_id: int) -> RefOrder | None:
        return next((o for o in self.orders if o.order_id == order_id), None)

    def depth(self, is_buy: bool) -> list[DepthLevel]:
        levels: dict[int, list[RefOrder]] = {}
        for order in self.orders:
            if order.is_buy == is_buy:
                levels.setdefault(order.price6, []).append(order)
        ordered = sorted(levels, reverse=is_buy)
        return [DepthLevel(p, sum(o.amount18 for o in levels[p]), len(levels[p])) for p in ordered]


class BookMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.book = OrderBook(margin_bps=MARGIN_BPS)
        self.ref = RefBook(MARGIN_BPS)
        self.clock = 1_700_000_000

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    def pick_live(self, pick: int) -> int:
        ids = sorted(o.order_id for o in self.ref.orders)
        return ids[pick % len(ids)]

    def check_resting(self, book_order: object, ref_order: RefOrder | None) -> None:
        if ref_order is None:
            assert book_order is None
        else:
            assert book_order is not None
            assert astuple(book_order) == ref_order.view(MARGIN_BPS)  # type: ignore[call-overload]

    @rule(trader=traders, price6=prices, amount18=amounts, is_buy=sides)
    def place_limit(self, trader: str, price6: int, amount18: int, is_buy: bool) -> None:
        ts = self.tick()
        result = self.book.place_limit(trader, price6, amount18, is_buy, ts)
        order_id, trades, resting = self.ref.place_limit(trader, price6, amount18, is_buy, ts)
        assert result.order_id == order_id
        assert [astuple(t) for t in result.trades] == trades
        assert [astuple(o) for o in result.self_cancelled] == self.ref.self_cancelled
        self.check_resting(result.resting, resting)
        assert result.replaced is None

    @rule(trader=traders, amount18=amounts, is_buy=sides, worst=st.none() | prices)
    def place_market(self, trader: str, amount18: int, is_buy: bool, worst: int | None) -> None:
        ts = self.tick()
        expected = self.ref.place_market(trader, amount18, is_buy, ts, worst)
        if expected is None:
            before = self.book.snapshot()
            try:
                self.book.place_market(trader, amount18, is_buy, ts, worst_price6=worst)
            except NoLiquidity:
                assert self.book.snapshot() == before
            else:
                raise AssertionError("a market order on an empty side must raise NoLiquidity")
            return
        result = self.book.place_market(trader, amount18, is_buy, ts, worst_price6=worst)
        assert result.order_id == expected[0]
        assert [astuple(t) for t in result.trades] == expected[1]
        assert [astuple(o) for o in result.self_cancelled] == self.ref.self_cancelled
        assert result.resting is None

    @precondition(lambda self: self.ref.orders)
    @rule(pick=picks)
    def cancel_live(self, pick: int) -> None:
        order_id = self.pick_live(pick)
        expected = self.ref.find(order_id)
        assert expected is not None
        removed = self.book.cancel(order_id)
        self.check_resting(removed, expected)
        self.ref.orders.remove(expected)

    @rule(order_id=st.integers(0, 60))
    def cancel_any(self, order_id: int) -> None:
        expected = self.ref.find(order_id)
        if expected is None:
            before = self.book.snapshot()
            try:
                self.book.cancel(order_id)
            except UnknownOrder:
                assert self.book.snapshot() == before
            else:
                raise AssertionError(f"cancelling #{order_id} must raise UnknownOrder")
        else:
            self.check_resting(self.book.cancel(order_id), expected)
            self.ref.orders.remove(expected)

    @precondition(lambda self: self.ref.orders)
    @rule(pick=picks, price6=prices, amount18=amounts)
    def modify(self, pick: int, price6: int, amount18: int) -> None:
        order_id = self.pick_live(pick)
        old = self.ref.find(order_id)
        assert old is not None
        ts = self.tick()
        result = self.book.modify(order_id, price6, amount18, ts)
        self.check_resting(result.replaced, old)
        self.ref.orders.remove(old)
        new_id, trades, resting = self.ref.place_limit(old.trader, price6, amount18, old.is_buy, ts)
        assert result.order_id == new_id
        assert [astuple(t) for t in result.trades] == trades
        assert [astuple(o) for o in result.self_cancelled] == self.ref.self_cancelled
        self.check_resting(result.resting, resting)

    @rule(
        price6=st.sampled_from([0, -1, 2.5]),
        amount18=st.sampled_from([0, -(10**18), 1.0]),
        which=st.sampled_from(["limit", "market", "modify"]),
    )
    def reject_invalid(self, price6: int, amount18: int, which: str) -> None:
        before = self.book.snapshot()
        try:
            if which == "limit":
                self.book.place_limit("alice", price6, amount18, True, self.clock)
            elif which == "market":
                self.book.place_market("alice", amount18, False, self.clock, worst_price6=price6)
            else:
                target = self.ref.orders[0].order_id if self.ref.orders else 1
                self.book.modify(target, price6, amount18, self.clock)
        except (InvalidPrice, InvalidAmount, UnknownOrder, NoLiquidity):
            pass
        except BookError as exc:  # pragma: no cover - a wrong error class is a failure
            raise AssertionError(f"unexpected {exc!r}") from exc
        else:
            raise AssertionError("invalid input accepted")
        assert self.book.snapshot() == before

    @invariant()
    def books_agree(self) -> None:
        book, ref = self.book, self.ref
        book.check_invariants()
        by_id = sorted(ref.orders, key=lambda o: o.seq)
        assert [astuple(o) for o in book.orders()] == [o.view(MARGIN_BPS) for o in by_id]
        assert list(book.order_ids()) == [o.order_id for o in by_id]
        assert len(book) == len(ref.orders)
        assert (book.best_bid6, book.best_ask6) == (ref.best(True), ref.best(False))
        bids, asks = book.depth(len(PRICES))
        assert list(bids) == ref.depth(True)
        assert list(asks) == ref.depth(False)
        assert book.depth(2) == (bids[:2], asks[:2])
        for level in (*bids, *asks):
            is_buy = level in bids
            assert book.level_amount(level.price6, is_buy) == level.amount18
        for trader in TRADERS:
            assert [o.order_id for o in book.orders_of(trader)] == [
                o.order_id for o in by_id if o.trader == trader
            ]
        assert book.trade_count == ref.trade_count
        assert book.last_trade_price6 == ref.last_trade6
        assert book.next_order_id == ref.next_id
        bid, ask = book.best_bid6, book.best_ask6
        assert not (bid and ask and bid >= ask)

    @invariant()
    def snapshot_round_trips(self) -> None:
        assert OrderBook.from_snapshot(self.book.snapshot()).snapshot() == self.book.snapshot()


BookMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestBookMachine = BookMachine.TestCase
