"""What a strategy reads: market data, fills and the answers to its queries.

Frozen dataclasses with exact `Decimal` money, so a strategy can neither mutate what the engine
sent nor meet binary float noise. `Quote` is a plain dict (the documented `{success, price, ...}`
shape strategies written for other tools expect).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, TypedDict

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit"]
Status = Literal["open", "partially_filled", "filled", "cancelled", "unknown"]

SIDES: tuple[Side, ...] = ("buy", "sell")
ORDER_TYPES: tuple[OrderType, ...] = ("market", "limit")
STATUSES: tuple[Status, ...] = ("open", "partially_filled", "filled", "cancelled", "unknown")


@dataclass(frozen=True, slots=True)
class MarketData:
    """One tick (bar fields None) or one replayed bar. `timestamp` is in milliseconds."""

    timestamp: int
    bid: Decimal
    ask: Decimal
    mid: Decimal
    last: Decimal
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    close: Decimal | None = None
    volume: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Fill:
    """A (partial) fill of one of the strategy's orders."""

    order_id: str
    market: str
    side: Side
    amount: Decimal
    price: Decimal
    timestamp: int


@dataclass(frozen=True, slots=True)
class OrderStatus:
    status: Status
    filled: Decimal


class Quote(TypedDict):
    """`get_current_price`'s answer; `success` is False (and the rest None) when there is no price."""

    success: bool
    price: Decimal | None
    bid: Decimal | None
    ask: Decimal | None
    timestamp: int | None


@dataclass(frozen=True, slots=True)
class Position:
    """`size` is signed: positive long, negative short, zero flat."""

    market: str
    size: Decimal
    entry_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    market: str
    side: Side
    order_type: OrderType
    amount: Decimal
    filled: Decimal
    limit_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Portfolio:
    balance: Decimal
    equity: Decimal
    positions: tuple[Position, ...] = ()
