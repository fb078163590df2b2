"""The sim's matching engine: one market's limit order book with price-time priority.

It behaves like the on-chain OrderBook (reference: dexetra-protocol.md §1): an incoming order first
takes liquidity from the opposite side at the resting orders' prices, best price first and oldest
first within a price; what is left of a limit order rests, what is left of a market order is dropped.
Self-trade prevention, as on-chain (reference §7): a resting order of the incoming order's own trader
that it would match is cancelled instead (`OrderCancelled`), nothing trades against it, and matching
goes on with the next resting order; `PlaceResult.self_cancelled` lists those orders.
A modify is a cancel plus a new order with a new id (`OrderModified(oldId, newId)`): it loses its
place in the queue and may match.

The book knows nothing of collateral, sessions or ticks: the venue checks those before calling in.
It only reserves the on-chain margin figure on each resting order (`estimate_margin6` on what
remains, with the book's `margin_bps`) so the vault can read it back.

Layout, for O(log n) adds and cancels: per side a dict price -> level plus a `SortedList` of the
prices; a level is an `OrderedDict` order_id -> order (insertion order is time priority) with a
running total. Not a plain dict: deleting from a dict's front leaves holes that every new iteration
rescans, so consuming a deep level one taker at a time would be quadratic.

The resting orders are the frozen `BookOrder` records themselves: a level only replaces a record
when a fill leaves part of it (at most one maker per incoming order), so no view is built at the API
boundary and an add creates one record. Records are built by small factories rather than the
dataclass __init__ (see `_new_order`), which the benchmark shows is worth ~15 %.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from sortedcontainers import SortedList

from ama_tui.core.margin import estimate_margin6
from ama_tui.venues.sim.book_types import (
    BookError,
    BookOrder,
    BookSnapshot,
    DepthLevel,
    InvalidAmount,
    InvalidPrice,
    InvalidSide,
    InvalidTimestamp,
    NoLiquidity,
    PlaceResult,
    Trade,
    UnknownOrder,
)

__all__ = [
    "BookError",
    "BookOrder",
    "BookSnapshot",
    "DepthLevel",
    "InvalidAmount",
    "InvalidPrice",
    "InvalidSide",
    "InvalidTimestamp",
    "NoLiquidity",
    "OrderBook",
    "PlaceResult",
    "Trade",
    "UnknownOrder",
]

_NO_TRADES: tuple[Trade, ...] = ()
_NO_ORDERS: tuple[BookOrder, ...] = ()


# Frozen dataclasses pay a generic `object.__setattr__` lookup per field in their generated __init__;
# building the book's own records with local aliases is measurably faster on the hot path (about 15 %
# of the add+cancel benchmark). tests/sim/test_book.py checks each factory against the constructor.
_new = object.__new__
_set = object.__setattr__


def _new_order(
    order_id: int,
    trader: str,
    price6: int,
    amount18: int,
    original_amount18: int,
    is_buy: bool,
    timestamp: int,
    seq: int,
    margin_required6: int,
) -> BookOrder:
    order = _new(BookOrder)
    _set(order, "order_id", order_id)
    _set(order, "trader", trader)
    _set(order, "price6", price6)
    _set(order, "amount18", amount18)
    _set(order, "original_amount18", original_amount18)
    _set(order, "is_buy", is_buy)
    _set(order, "timestamp", timestamp)
    _set(order, "seq", seq)
    _set(order, "margin_required6", margin_required6)
    return order


def _new_trade(
    seq: int,
    timestamp: int,
    price6: int,
    amount18: int,
    maker_order_id: int,
    taker_order_id: int,
    maker: str,
    taker: str,
    taker_is_buy: bool,
    maker_remaining18: int,
) -> Trade:
    trade = _new(Trade)
    _set(trade, "seq", seq)
    _set(trade, "timestamp", timestamp)
    _set(trade, "price6", price6)
    _set(trade, "amount18", amount18)
    _set(trade, "maker_order_id", maker_order_id)
    _set(trade, "taker_order_id", taker_order_id)
    _set(trade, "maker", maker)
    _set(trade, "taker", taker)
    _set(trade, "taker_is_buy", taker_is_buy)
    _set(trade, "maker_remaining18", maker_remaining18)
    return trade


def _new_result(
    order_id: int,
    trades: tuple[Trade, ...],
    resting: BookOrder | None,
    replaced: BookOrder | None = None,
    self_cancelled: tuple[BookOrder, ...] = _NO_ORDERS,
) -> PlaceResult:
    result = _new(PlaceResult)
    _set(result, "order_id", order_id)
    _set(result, "trades", trades)
    _set(result, "resting", resting)
    _set(result, "replaced", replaced)
    _set(result, "self_cancelled", self_cancelled)
    return result


class _Level:
    """The orders resting at one price of one side, oldest first, and their total amount."""

    __slots__ = ("amount18", "orders")

    def __init__(self) -> None:
        self.orders: OrderedDict[int, BookOrder] = OrderedDict()
        self.amount18 = 0


def _check_price(price6: object, what: str = "price6") -> None:
    if type(price6) is not int or price6 <= 0:
        raise InvalidPrice(f"{what} must be a positive integer (6 decimals), got {price6!r}")


def _check_amount(amount18: object) -> None:
    if type(amount18) is not int or amount18 <= 0:
        raise InvalidAmount(f"amount18 must be a positive integer (18 decimals), got {amount18!r}")


def _check_side(is_buy: object) -> None:
    if type(is_buy) is not bool:
        raise InvalidSide(f"is_buy must be a bool, got {is_buy!r}")


def _check_timestamp(timestamp: object) -> None:
    if type(timestamp) is not int or timestamp < 0:
        raise InvalidTimestamp(f"timestamp must be a non-negative integer (unix seconds), got {timestamp!r}")


class OrderBook:
    """One market's order book. Not thread-safe: the venue serialises calls."""

    __slots__ = (
        "_ask_prices",
        "_asks",
        "_bid_prices",
        "_bids",
        "_by_trader",
        "_last_trade6",
        "_margin_bps",
        "_next_id",
        "_next_seq",
        "_orders",
        "_trade_count",
    )

    def __init__(self, *, margin_bps: int, first_order_id: int = 1) -> None:
        if type(margin_bps) is not int or margin_bps <= 0:
            raise BookError(f"margin_bps must be a positive integer, got {margin_bps!r}")
        if type(first_order_id) is not int or first_order_id < 1:
            raise BookError(f"first_order_id must be an integer >= 1, got {first_order_id!r}")
        self._margin_bps = margin_bps
        self._next_id = first_order_id
        self._next_seq = 1
        self._trade_count = 0
        self._last_trade6 = 0
        self._orders: dict[int, BookOrder] = {}
        """Every resting order by id, in `seq` order (orders rest in arrival order; a partial fill
        replaces the value in place)."""
        self._by_trader: dict[str, OrderedDict[int, None]] = {}
        """trader -> their resting order ids, in `seq` order (an insertion-ordered set; an OrderedDict
        so iterating stays O(k) however many of the trader's orders have come and gone)."""
        self._bids: dict[int, _Level] = {}
        self._asks: dict[int, _Level] = {}
        self._bid_prices: SortedList = SortedList()
        self._ask_prices: SortedList = SortedList()

    # ------------------------------------------------------------------ reading

    @property
    def margin_bps(self) -> int:
        return self._margin_bps

    @property
    def best_bid6(self) -> int:
        """Highest bid, or 0 when there are no bids (as the contract's `bestBid()`)."""
        prices = self._bid_prices
        return prices[-1] if prices else 0

    @property
    def best_ask6(self) -> int:
        """Lowest ask, or 0 when there are no asks (as the contract's `bestAsk()`)."""
        prices = self._ask_prices
        return prices[0] if prices else 0

    @property
    def last_trade_price6(self) -> int:
        """Price of the latest trade, or 0 before the first one (as `lastTradePrice()`)."""
        return self._last_trade6

    @property
    def trade_count(self) -> int:
        """How many trades the book has emitted (the last `Trade.seq`)."""
        return self._trade_count

    @property
    def next_order_id(self) -> int:
        """The id the next accepted order will get."""
        return self._next_id

    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def get(self, order_id: int) -> BookOrder | None:
        """The resting order with this id, or None (never placed, cancelled, filled, replaced)."""
        return self._orders.get(order_id)

    def order_ids(self) -> Iterator[int]:
        """Ids of all resting orders by `seq`, over a copy (safe to cancel while iterating)."""
        return iter(list(self._orders))

    def orders(self) -> tuple[BookOrder, ...]:
        """All resting orders by `seq`."""
        return tuple(self._orders.values())

    def orders_of(self, trader: str) -> tuple[BookOrder, ...]:
        """A trader's resting orders by `seq`; O(k) in their order count."""
        mine = self._by_trader.get(trader)
        if not mine:
            return ()
        orders = self._orders
        return tuple([orders[order_id] for order_id in mine])

    def traders(self) -> tuple[str, ...]:
        """Traders with at least one resting order."""
        return tuple(self._by_trader)

    def level_amount(self, price6: int, is_buy: bool) -> int:
        """Total resting at `price6` on the bid side (`is_buy`) or the ask side; 0 for no level."""
        level = (self._bids if is_buy else self._asks).get(price6)
        return level.amount18 if level is not None else 0

    def depth(self, levels: int) -> tuple[tuple[DepthLevel, ...], tuple[DepthLevel, ...]]:
        """Up to `levels` price levels per side: (bids best-first, asks best-first)."""
        if type(levels) is not int or levels < 0:
            raise BookError(f"levels must be a non-negative integer, got {levels!r}")
        bid_prices = self._bid_prices
        count = len(bid_prices)
        bids = tuple(
            self._depth_level(price, self._bids[price])
            for price in bid_prices.islice(max(count - levels, 0), count, reverse=True)
        )
        asks = tuple(
            self._depth_level(price, self._asks[price]) for price in self._ask_prices.islice(0, levels)
        )
        return bids, asks

    @staticmethod
    def _depth_level(price6: int, level: _Level) -> DepthLevel:
        return DepthLevel(price6, level.amount18, len(level.orders))

    # ------------------------------------------------------------------ changing

    def place_limit(
        self, trader: str, price6: int, amount18: int, is_buy: bool, timestamp: int
    ) -> PlaceResult:
        """Take what crosses from the opposite side (makers' prices, price-time priority), rest the rest.
        The trader's own resting orders in the way are cancelled, not traded (`self_cancelled`)."""
        if type(price6) is not int or price6 <= 0:
            _check_price(price6)
        if type(amount18) is not int or amount18 <= 0:
            _check_amount(amount18)
        if type(is_buy) is not bool:
            _check_side(is_buy)
        if type(timestamp) is not int or timestamp < 0:
            _check_timestamp(timestamp)
        order_id = self._next_id
        self._next_id = order_id + 1
        seq = self._next_seq
        self._next_seq = seq + 1
        trades = _NO_TRADES
        cancelled = _NO_ORDERS
        remaining = amount18
        if is_buy:
            opposite = self._ask_prices
            if opposite and opposite[0] <= price6:
                trades, remaining, cancelled = self._match(
                    order_id, trader, amount18, True, price6, timestamp
                )
        else:
            opposite = self._bid_prices
            if opposite and opposite[-1] >= price6:
                trades, remaining, cancelled = self._match(
                    order_id, trader, amount18, False, price6, timestamp
                )
        if not remaining:
            return _new_result(order_id, trades, None, None, cancelled)
        order = _new_order(
            order_id,
            trader,
            price6,
            remaining,
            amount18,
            is_buy,
            timestamp,
            seq,
            estimate_margin6(price6, remaining, is_buy, self._margin_bps),
        )
        self._rest(order)
        return _new_result(order_id, trades, order, None, cancelled)

    def place_market(
        self, trader: str, amount18: int, is_buy: bool, timestamp: int, *, worst_price6: int | None = None
    ) -> PlaceResult:
        """Take up to `amount18` from the opposite side, never beyond `worst_price6` if given; never rests.

        An empty opposite side raises `NoLiquidity` and changes nothing (no id is used). Otherwise the
        order gets an id even if `worst_price6` lets nothing fill. The trader's own resting orders in
        the way are cancelled, not traded (`self_cancelled`).
        """
        _check_amount(amount18)
        _check_side(is_buy)
        _check_timestamp(timestamp)
        if worst_price6 is not None:
            _check_price(worst_price6, "worst_price6")
        if not (self._ask_prices if is_buy else self._bid_prices):
            side, verb = ("ask", "buy") if is_buy else ("bid", "sell")
            raise NoLiquidity(f"OB: no liq — the {side} side is empty, a market {verb} cannot fill")
        order_id = self._next_id
        self._next_id = order_id + 1
        self._next_seq += 1
        trades, _, cancelled = self._match(order_id, trader, amount18, is_buy, worst_price6, timestamp)
        return _new_result(order_id, trades, None, None, cancelled)

    def cancel(self, order_id: int) -> BookOrder:
        """Remove a resting order and return it as it was (what remained, its margin)."""
        order = self._orders.pop(order_id, None)
        if order is None:
            raise UnknownOrder(f"no resting order #{order_id!r}")
        price6 = order.price6
        if order.is_buy:
            levels, prices = self._bids, self._bid_prices
        else:
            levels, prices = self._asks, self._ask_prices
        level = levels[price6]
        orders = level.orders
        del orders[order_id]
        if orders:
            level.amount18 -= order.amount18
        else:
            del levels[price6]
            prices.remove(price6)
        by_trader = self._by_trader
        mine = by_trader[order.trader]
        del mine[order_id]
        if not mine:
            del by_trader[order.trader]
        return order

    def modify(self, order_id: int, price6: int, amount18: int, timestamp: int) -> PlaceResult:
        """Cancel `order_id` and place a new limit order (same trader and side) with a new id.

        The new order goes to the back of its level's queue and may match (and cancel the trader's
        own orders in its way). `amount18` is the new order's full amount. On any error nothing changes.
        """
        old = self._orders.get(order_id)
        if old is None:
            raise UnknownOrder(f"no resting order #{order_id!r} to modify")
        _check_price(price6)
        _check_amount(amount18)
        _check_timestamp(timestamp)
        self.cancel(order_id)
        placed = self.place_limit(old.trader, price6, amount18, old.is_buy, timestamp)
        return _new_result(placed.order_id, placed.trades, placed.resting, old, placed.self_cancelled)

    # ------------------------------------------------------------------ internals

    def _rest(self, order: BookOrder) -> None:
        price6 = order.price6
        order_id = order.order_id
        if order.is_buy:
            levels, prices = self._bids, self._bid_prices
        else:
            levels, prices = self._asks, self._ask_prices
        level = levels.get(price6)
        if level is None:
            level = levels[price6] = _Level()
            prices.add(price6)
        level.orders[order_id] = order
        level.amount18 += order.amount18
        self._orders[order_id] = order
        mine = self._by_trader.get(order.trader)
        if mine is None:
            self._by_trader[order.trader] = OrderedDict({order_id: None})
        else:
            mine[order_id] = None

    def _match(
        self,
        taker_id: int,
        taker: str,
        remaining: int,
        taker_is_buy: bool,
        limit6: int | None,
        timestamp: int,
    ) -> tuple[tuple[Trade, ...], int, tuple[BookOrder, ...]]:
        """Fill `remaining` against the opposite side up to `limit6` (None: any price).

        Returns the trades, what is left unfilled, and the taker's own resting orders it met: those
        leave the book untouched by any trade (self-trade prevention) and the sweep goes on past them.
        Within a level the makers are visited with one iterator and the filled or cancelled ones
        removed afterwards, so a sweep is linear in the orders it meets.
        """
        if taker_is_buy:
            levels, prices, best_index = self._asks, self._ask_prices, 0
        else:
            levels, prices, best_index = self._bids, self._bid_prices, -1
        all_orders = self._orders
        by_trader = self._by_trader
        margin_bps = self._margin_bps
        trade_seq = self._trade_count
        trades: list[Trade] = []
        append = trades.append
        cancelled: list[BookOrder] = []
        while remaining and prices:
            price6 = prices[best_index]
            if limit6 is not None and (price6 > limit6 if taker_is_buy else price6 < limit6):
                break
            level = levels[price6]
            orders = level.orders
            gone: list[BookOrder] = []
            partial: BookOrder | None = None
            taken = 0
            for maker_id, maker in orders.items():
                size = maker.amount18
                if maker.trader == taker:
                    taken += size
                    gone.append(maker)
                    cancelled.append(maker)
                    continue
                trade_seq += 1
                if size <= remaining:
                    remaining -= size
                    taken += size
                    gone.append(maker)
                    append(
                        _new_trade(
                            trade_seq, timestamp, price6, size, maker_id, taker_id,
                            maker.trader, taker, taker_is_buy, 0,
                        )
                    )  # fmt: skip
                    if not remaining:
                        break
                else:
                    left = size - remaining
                    taken += remaining
                    append(
                        _new_trade(
                            trade_seq, timestamp, price6, remaining, maker_id, taker_id,
                            maker.trader, taker, taker_is_buy, left,
                        )
                    )  # fmt: skip
                    partial = _new_order(
                        maker_id, maker.trader, price6, left, maker.original_amount18, maker.is_buy,
                        maker.timestamp, maker.seq, estimate_margin6(price6, left, maker.is_buy, margin_bps),
                    )  # fmt: skip
                    remaining = 0
                    break
            for maker in gone:
                maker_id = maker.order_id
                del orders[maker_id]
                del all_orders[maker_id]
                mine = by_trader[maker.trader]
                del mine[maker_id]
                if not mine:
                    del by_trader[maker.trader]
            if partial is not None:
                orders[partial.order_id] = partial
                all_orders[partial.order_id] = partial
            if orders:
                level.amount18 -= taken
            else:
                del levels[price6]
                del prices[best_index]
        self._trade_count = trade_seq
        if trades:
            self._last_trade6 = trades[-1].price6
        return tuple(trades), remaining, tuple(cancelled) if cancelled else _NO_ORDERS

    # ------------------------------------------------------------------ snapshots and checks

    def snapshot(self) -> BookSnapshot:
        """The whole state, immutable: for checkpoints, and to compare books in tests."""
        return BookSnapshot(
            margin_bps=self._margin_bps,
            next_order_id=self._next_id,
            next_seq=self._next_seq,
            trade_count=self._trade_count,
            last_trade_price6=self._last_trade6,
            orders=tuple(self._orders.values()),
        )

    @classmethod
    def from_snapshot(cls, snapshot: BookSnapshot) -> OrderBook:
        """Rebuild a book exactly (same ids, queue order, counters). Raises `BookError` on bad data."""
        book = cls(margin_bps=snapshot.margin_bps, first_order_id=snapshot.next_order_id)
        if snapshot.next_seq < 1 or snapshot.trade_count < 0 or snapshot.last_trade_price6 < 0:
            raise BookError("snapshot counters out of range")
        book._next_seq = snapshot.next_seq
        book._trade_count = snapshot.trade_count
        book._last_trade6 = snapshot.last_trade_price6
        for order in sorted(snapshot.orders, key=lambda o: o.seq):
            if order.order_id in book._orders:
                raise BookError(f"snapshot holds order #{order.order_id} twice")
            book._rest(order)
        try:
            book.check_invariants()
        except AssertionError as exc:
            raise BookError(f"inconsistent snapshot: {exc}") from exc
        return book

    def check_invariants(self) -> None:
        """Walk every structure and raise `AssertionError` on the first inconsistency. O(n): for tests
        and debugging, never on the hot path."""

        def fail(message: str) -> None:
            raise AssertionError(message)

        seen: dict[int, BookOrder] = {}
        for is_buy, levels, prices in (
            (True, self._bids, self._bid_prices),
            (False, self._asks, self._ask_prices),
        ):
            side = "bid" if is_buy else "ask"
            if list(prices) != sorted(levels):
                fail(f"{side} prices {list(prices)} do not match its levels {sorted(levels)}")
            for price6, level in levels.items():
                if not level.orders:
                    fail(f"empty {side} level at {price6}")
                if level.amount18 != sum(o.amount18 for o in level.orders.values()):
                    fail(f"{side} level {price6}: aggregate {level.amount18} is not the sum of its orders")
                last_seq = 0
                for order_id, order in level.orders.items():
                    if order.order_id != order_id or order.price6 != price6 or order.is_buy is not is_buy:
                        fail(f"order #{order_id} is filed at the wrong key, price or side")
                    if self._orders.get(order_id) is not order:
                        fail(f"order #{order_id} is in a level but not in the id index")
                    if price6 <= 0:
                        fail(f"order #{order_id} has a non-positive price {price6}")
                    if not 0 < order.amount18 <= order.original_amount18:
                        fail(f"order #{order_id} has remaining {order.amount18} of {order.original_amount18}")
                    expected = estimate_margin6(price6, order.amount18, is_buy, self._margin_bps)
                    if order.margin_required6 != expected:
                        fail(f"order #{order_id} reserves {order.margin_required6}, expected {expected}")
                    if order.seq <= last_seq:
                        fail(f"{side} level {price6} is not in time priority at order #{order_id}")
                    if order.order_id >= self._next_id or order.seq >= self._next_seq:
                        fail(f"order #{order_id} is ahead of the book's counters")
                    last_seq = order.seq
                    seen[order_id] = order
        if len(seen) != len(self._orders):
            fail(f"{len(self._orders)} orders indexed but {len(seen)} in the levels")
        seqs = [order.seq for order in self._orders.values()]
        if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
            fail("the id index is not in seq order, or seqs repeat")
        indexed = 0
        for trader, mine in self._by_trader.items():
            if not mine:
                fail(f"empty trader entry for {trader!r}")
            trader_seqs = []
            for order_id in mine:
                owned = self._orders.get(order_id)
                if owned is None or owned.trader != trader:
                    fail(f"trader index of {trader!r} lists #{order_id} which is not theirs")
                else:
                    trader_seqs.append(owned.seq)
            if trader_seqs != sorted(trader_seqs):
                fail(f"trader index of {trader!r} is not in seq order")
            indexed += len(mine)
        if indexed != len(self._orders):
            fail(f"trader index holds {indexed} orders, the book {len(self._orders)}")
        bid, ask = self.best_bid6, self.best_ask6
        if bid and ask and bid >= ask:
            fail(f"book is crossed: bid {bid} >= ask {ask}")
