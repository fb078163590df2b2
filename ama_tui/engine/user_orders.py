"""A user strategy's orders as the kit names them, and what became of each.

The kit hands a strategy an id the moment it calls `buy`/`sell` (`o1`, `o2`, ...), before the order
exists: the engine sends it with the cycle's plan and learns the venue's id afterwards (or, for a
placement answered `pending`, later). Statuses come from what the engine sees: resting on the book
(open, or partly filled when less than asked remains), gone after a cancel we sent (cancelled), gone
otherwise (filled), not known yet (unknown). Exact decimals at this edge, integers inside.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ama_tui.core.market import OpenOrder
from ama_tui.core.units import AMOUNT_SCALE, PRICE_SCALE
from ama_tui.kit import Order, OrderStatus, Status


def units(amount18: int) -> Decimal:
    return Decimal(amount18) / AMOUNT_SCALE


def price(price6: int) -> Decimal:
    return Decimal(price6) / PRICE_SCALE


@dataclass(slots=True)
class TrackedOrder:
    client_id: str
    is_buy: bool
    amount18: int
    limit6: int
    """0 for a market order."""
    order_id: int | None = None
    sent: bool = False
    seen_resting: bool = False
    remaining18: int = 0
    cancelled: bool = False
    filled18: int = 0
    stop_loss6: int = 0
    profit_target6: int = 0
    exited18: int = 0
    """How much of its fills a stop loss or profit target has already closed."""
    refused: bool = False
    """It never went out (the engine's guard refused it, or the turn ended first)."""
    wallet: int = 0
    """The fleet index of the wallet that trades it."""


class UserOrders:
    def __init__(self) -> None:
        self._next = 0
        self.by_client: dict[str, TrackedOrder] = {}
        self._client_of: dict[int, str] = {}
        self._client_of_tx: dict[str, str] = {}

    def new(
        self,
        is_buy: bool,
        amount18: int,
        limit6: int,
        stop_loss6: int = 0,
        profit_target6: int = 0,
        *,
        wallet: int = 0,
    ) -> str:
        """A new order of the wallet at fleet index `wallet`; its kit id (unique over all wallets)."""
        self._next += 1
        client_id = f"o{self._next}"
        self.by_client[client_id] = TrackedOrder(
            client_id,
            is_buy,
            amount18,
            limit6,
            stop_loss6=stop_loss6,
            profit_target6=profit_target6,
            wallet=wallet,
        )
        return client_id

    def refuse(self, client_id: str) -> None:
        """An order the guard refused or that never went out: it reads as cancelled, nothing filled."""
        tracked = self.by_client.get(client_id)
        if tracked is not None and not tracked.sent:
            tracked.refused = True

    def learn(self, client_id: str, order_id: int | None, tx_hash: str | None = None) -> None:
        tracked = self.by_client.get(client_id)
        if tracked is None:
            return
        tracked.sent = True
        if tx_hash:
            self._client_of_tx[tx_hash.lower()] = client_id
        if order_id is not None:
            tracked.order_id = order_id
            self._client_of[order_id] = client_id

    def client_id(self, order_id: int) -> str:
        """The kit's name for a venue order (`v<id>` for one the strategy did not place)."""
        return self._client_of.get(order_id, f"v{order_id}")

    def venue_id(self, client_id: str) -> int | None:
        tracked = self.by_client.get(client_id)
        if tracked is not None:
            return tracked.order_id
        if client_id.startswith("v") and client_id[1:].isdigit():
            return int(client_id[1:])
        return None

    def see(self, resting: Mapping[int, OpenOrder]) -> None:
        """Update from the wallet's resting orders as just read."""
        for tracked in self.by_client.values():
            if tracked.order_id is None:
                continue
            held = resting.get(tracked.order_id)
            if held is not None:
                tracked.seen_resting = True
                tracked.remaining18 = held.amount18

    def filled(self, order_id: int | None, tx_hash: str | None, amount18: int) -> TrackedOrder | None:
        """The strategy's order a fill belongs to (by its id, else by its transaction: a market
        order has no id on some venues), counting the fill."""
        client = self._client_of.get(order_id) if order_id is not None else None
        if client is None and tx_hash:
            client = self._client_of_tx.get(tx_hash.lower())
        tracked = self.by_client.get(client) if client else None
        if tracked is not None:
            tracked.filled18 = min(tracked.amount18, tracked.filled18 + amount18)
        return tracked

    def status(self, client_id: str, resting: Mapping[int, OpenOrder]) -> OrderStatus:
        tracked = self.by_client.get(client_id)
        order_id = self.venue_id(client_id)
        if order_id is not None and order_id in resting:
            held = resting[order_id]
            asked = tracked.amount18 if tracked is not None else held.amount18
            state: Status = "partially_filled" if held.amount18 < asked else "open"
            return OrderStatus(state, units(asked - held.amount18))
        if tracked is not None and tracked.refused:
            return OrderStatus("cancelled", Decimal(0))
        if tracked is None or not tracked.sent:
            return OrderStatus("unknown", Decimal(0))
        if tracked.cancelled or tracked.refused:
            return OrderStatus("cancelled", units(tracked.filled18))
        if tracked.limit6 == 0:  # a market order: done once sent
            return OrderStatus("filled" if tracked.filled18 else "unknown", units(tracked.filled18))
        if tracked.order_id is None:
            return OrderStatus("unknown", units(tracked.filled18))
        if tracked.seen_resting or tracked.filled18:
            return OrderStatus("filled", units(tracked.filled18 or tracked.amount18))
        return OrderStatus("unknown", Decimal(0))

    def open_orders(self, market: str, resting: Mapping[int, OpenOrder]) -> list[Order]:
        found = []
        for order_id, held in sorted(resting.items()):
            client_id = self.client_id(order_id)
            tracked = self.by_client.get(client_id)
            asked = tracked.amount18 if tracked is not None else held.amount18
            found.append(
                Order(
                    id=client_id,
                    market=market,
                    side="buy" if held.is_buy else "sell",
                    order_type="limit",
                    amount=units(asked),
                    filled=units(asked - held.amount18),
                    limit_price=price(held.price6),
                )
            )
        return found
