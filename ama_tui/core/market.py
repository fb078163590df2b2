"""Immutable facts about a market and a wallet's orders, as every venue reports them (integers)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """A resting order of one trader. `amount18` is what remains unfilled."""

    order_id: int
    trader: str
    price6: int
    amount18: int
    is_buy: bool
    timestamp: int
    """Placement time in unix seconds (as the OrderBook's `Order.timestamp`); orders it to find the oldest."""
    margin_required6: int
    is_margin_order: bool = True


@dataclass(frozen=True, slots=True)
class InFlightPlacement:
    """A placement sent but neither seen on the book nor known to have failed (a relay answer of
    `pending`, or a timeout): it may land at any moment, so it counts as held."""

    is_buy: bool
    price6: int
    amount18: int


@dataclass(frozen=True, slots=True)
class BookTop:
    """Top of book. `0` means an empty side (as on-chain), or no mark / no trade yet."""

    best_bid6: int
    best_ask6: int
    mark6: int = 0
    last_trade6: int = 0

    @property
    def is_crossed(self) -> bool:
        """Both sides present and bid >= ask: bad data, the packer must not quote against it."""
        return self.best_bid6 > 0 and self.best_ask6 > 0 and self.best_bid6 >= self.best_ask6

    @property
    def mid6(self) -> int:
        """Mid price (floored), or 0 unless both sides are present and uncrossed."""
        if self.best_bid6 > 0 and self.best_ask6 > 0 and not self.is_crossed:
            return (self.best_bid6 + self.best_ask6) // 2
        return 0

    @property
    def traded6(self) -> int:
        """The last trade's price, or 0 on a market that never traded (mark 0): its last trade is
        then the 1.000000 placeholder the exchange writes at initialisation, not a price."""
        return self.last_trade6 if self.mark6 > 0 else 0


@dataclass(frozen=True, slots=True)
class MarketRules:
    """What the planner needs to know about a market: its tick and its buy margin requirement."""

    tick6: int
    margin_bps: int
