"""Immutable records and errors of the sim's order book (integers only: `price6`, `amount18`, `usdc6`).

They live apart from the matching engine so the venue and the tests can import the vocabulary
without the machinery. `book.py` re-exports all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ama_tui.core.margin import notional6


class BookError(Exception):
    """The book refused a request; its state is exactly as before the call."""


class InvalidPrice(BookError, ValueError):
    """A price that is not a positive integer `price6`."""


class InvalidAmount(BookError, ValueError):
    """An amount that is not a positive integer `amount18`."""


class InvalidSide(BookError, ValueError):
    """`is_buy` that is not a bool."""


class InvalidTimestamp(BookError, ValueError):
    """A timestamp that is not a non-negative integer (unix seconds)."""


class NoLiquidity(BookError):
    """A market order met an empty opposite side (the contract reverts `OB: no liq`)."""


class UnknownOrder(BookError, LookupError):
    """No resting order has this id (never placed, cancelled, filled or replaced)."""


@dataclass(frozen=True, slots=True)
class BookOrder:
    """A resting order. `amount18` is what remains; `margin_required6` is the margin reserved for it,
    recomputed with the on-chain formula (`core.margin.estimate_margin6`) whenever it is partly filled."""

    order_id: int
    trader: str
    price6: int
    amount18: int
    original_amount18: int
    is_buy: bool
    timestamp: int
    """Placement time in unix seconds, as given by the caller."""
    seq: int
    """Arrival sequence assigned by the book: time priority within a price level."""
    margin_required6: int

    @property
    def filled_amount18(self) -> int:
        """What has been filled so far (the contract's `getFilledAmount`)."""
        return self.original_amount18 - self.amount18


@dataclass(frozen=True, slots=True)
class Trade:
    """One fill between a resting maker and an incoming taker, at the maker's price. Maker and taker
    are never the same trader (self-trade prevention: see `PlaceResult.self_cancelled`)."""

    seq: int
    """Book-wide trade sequence, starting at 1."""
    timestamp: int
    """The taker's timestamp."""
    price6: int
    amount18: int
    maker_order_id: int
    taker_order_id: int
    """Always an id: market orders get one too, even though they never rest."""
    maker: str
    taker: str
    taker_is_buy: bool
    maker_remaining18: int
    """What is left of the maker order after this trade (0: it left the book)."""

    @property
    def buyer(self) -> str:
        return self.taker if self.taker_is_buy else self.maker

    @property
    def seller(self) -> str:
        return self.maker if self.taker_is_buy else self.taker

    @property
    def notional6(self) -> int:
        """USDC value of the fill, floored like the contract (`amount18 * price6 / 1e18`)."""
        return notional6(self.price6, self.amount18)


@dataclass(frozen=True, slots=True)
class PlaceResult:
    """What one placement did: the fills it took, the trader's own orders it cancelled, and what of it
    rests on the book."""

    order_id: int
    trades: tuple[Trade, ...]
    resting: BookOrder | None
    """The order as it rests after matching; None when fully filled, or for a market order."""
    replaced: BookOrder | None = None
    """For `modify`: the order that was cancelled to make room for this one (`OrderModified(old, new)`)."""
    self_cancelled: tuple[BookOrder, ...] = ()
    """Resting orders of the same trader that this order would have matched: the book cancelled them
    (self-trade prevention, `OrderCancelled`) and traded nothing against them. Each as it was when
    cancelled (what remained, its margin), in the order the matching met them."""

    @property
    def filled_amount18(self) -> int:
        """Total amount the order took from the book."""
        return sum(trade.amount18 for trade in self.trades)


@dataclass(frozen=True, slots=True)
class DepthLevel:
    """One price level of one side: its total resting amount and how many orders make it up."""

    price6: int
    amount18: int
    order_count: int


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    """Everything needed to rebuild a book exactly (`OrderBook.from_snapshot`), and to compare two books."""

    margin_bps: int
    next_order_id: int
    next_seq: int
    trade_count: int
    last_trade_price6: int
    orders: tuple[BookOrder, ...]
    """All resting orders, by `seq`."""
