"""Placements whose outcome is unknown, so the venue never sends a second one on top.

A trade that timed out, lost its connection, or got a 5xx or an unreadable 200 may still land:
the relay may be mining it right now. The trade route also answers `pending` by default
(reference section 7): the transaction is sent, not mined. The engine re-reads the wallet's orders
before placing again, but a late transaction can land after that read. Until an open-orders read
shows an order of that trader at that side and price (it landed), or the window passes (it did
not), a new placement there is refused with `TradeRejected(PLACEMENT_IN_DOUBT)`: the engine skips
that one order (no backoff) and places the others.

The window is long (`window_s`) when no answer came (the relay may still be waiting for its
transaction) and short (`answered_window_s`) when the relay answered with a failure: it is done
with the request, and what it sent is mined within a few blocks or not at all. A `pending` answer
names its transaction: that placement is in flight until its receipt shows (mined: landed, filled
or reverted, in any case no longer in flight) or the book shows the order. Once a read has seen
the node hold the transaction as pending, no window ends the doubt: only a later read that finds
it mined, or no longer known to the node (dropped) past its window, does. 429 and 503 answers
leave no doubt: the relay refused before sending.

A market order (a taker strategy's take) is in doubt the same way, per trader and side: until its
receipt shows or the window passes, a second market order on that side is refused, so a lost answer
never doubles a take. It rests nowhere, so it is never reported as a placement in flight and no read
of the book ends its doubt.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from ama_tui.core.market import InFlightPlacement, OpenOrder
from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import RateLimited, TradeRejected, VenueError
from ama_tui.venues.dexetra.api_errors import RelayRefused
from ama_tui.venues.dexetra.receipts import TxState

PLACEMENT_IN_DOUBT: Final = "placement_in_doubt"
DEFAULT_WINDOW_S: Final = 60.0
DEFAULT_ANSWERED_WINDOW_S: Final = 12.0

MARKET_ORDER: Final = -1
"""The price a market order's doubt is kept at (no limit order has a negative price)."""

_Key = tuple[str, str, bool, int]
"""(order book, trader, is_buy, price6 or MARKET_ORDER), addresses lower-case."""


@dataclass(slots=True)
class _Doubt:
    until: float
    """When the doubt ends (monotonic seconds), unless renewed."""
    tx_hash: str | None = None
    """The transaction of a `pending` answer, watched until it is mined."""
    held: bool = False
    """The last read saw the node hold `tx_hash` as pending: the window does not end the doubt."""
    amount18: int = 0
    """The placement's size (what it reserves once it lands)."""


def outcome_unknown(error: VenueError) -> bool:
    """Did this failure leave the trade possibly landed? A refusal (400, 429, 503), a mined revert
    (500 `tx_reverted`, a TradeRejected) and a request that never left (no connection) say no."""
    if getattr(error, "unsent", False):
        return False
    return not isinstance(error, TradeRejected | RateLimited | RelayRefused)


def answered(error: VenueError) -> bool:
    """Did the relay answer (as opposed to a timeout or a dropped connection)?"""
    return getattr(error, "code", None) != ErrorCode.NETWORK_ERROR


class InDoubtPlacements:
    def __init__(
        self,
        *,
        window_s: float = DEFAULT_WINDOW_S,
        answered_window_s: float = DEFAULT_ANSWERED_WINDOW_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self.answered_window_s = min(answered_window_s, window_s)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._pending: dict[_Key, _Doubt] = {}

    def note(
        self,
        order_book: str,
        trader: str,
        is_buy: bool,
        price6: int,
        *,
        answered: bool,
        tx_hash: str | None = None,
        amount18: int = 0,
    ) -> None:
        """A placement whose outcome is unknown; with `tx_hash`, one the relay sent (`pending`)."""
        window = self.window_s if tx_hash is not None or not answered else self.answered_window_s
        key = (order_book.lower(), trader.lower(), is_buy, price6)
        tx = tx_hash.lower() if tx_hash else None
        with self._lock:
            self._pending[key] = _Doubt(self._monotonic() + window, tx, amount18=amount18)

    def placements(self, order_book: str, traders: Sequence[str]) -> dict[str, tuple[InFlightPlacement, ...]]:
        """Each trader's placements on this book that may still land, keyed as given."""
        book = order_book.lower()
        now = self._monotonic()
        by_trader: dict[str, list[InFlightPlacement]] = {}
        with self._lock:
            for (key_book, trader, is_buy, price6), doubt in self._pending.items():
                if price6 == MARKET_ORDER:
                    continue  # rests nowhere: not a placement that may take a level
                if key_book == book and (doubt.held or now < doubt.until):
                    by_trader.setdefault(trader, []).append(InFlightPlacement(is_buy, price6, doubt.amount18))
        return {given: tuple(by_trader.get(given.lower(), ())) for given in traders}

    def check(self, order_book: str, trader: str, is_buy: bool, price6: int) -> None:
        """Raise when an earlier placement at this side and price may still land."""
        key = (order_book.lower(), trader.lower(), is_buy, price6)
        with self._lock:
            doubt = self._pending.get(key)
            if doubt is None:
                return
            left = doubt.until - self._monotonic()
            if left <= 0 and not doubt.held:
                del self._pending[key]
                return
        side = "buy" if is_buy else "sell"
        what = f"market {side}" if price6 == MARKET_ORDER else f"{side} at {price6}"
        shows = "its receipt" if price6 == MARKET_ORDER else "the book or its receipt"
        until = f"until {shows} shows it" if doubt.held else f"for {left:.0f} s unless {shows} shows it first"
        sent = " (sent, not mined yet)" if doubt.tx_hash else ""
        raise TradeRejected(
            PLACEMENT_IN_DOUBT, f"an earlier {what} may still land{sent}; no second one {until}"
        )

    def in_flight(self, order_book: str) -> list[str]:
        """The transactions of this book's pending placements (to look up with the next read)."""
        book = order_book.lower()
        with self._lock:
            return sorted({d.tx_hash for k, d in self._pending.items() if k[0] == book and d.tx_hash})

    def resolve(
        self,
        order_book: str,
        orders: Mapping[str, Sequence[OpenOrder]],
        tx_states: Mapping[str, TxState] | None = None,
    ) -> list[tuple[str, str]]:
        """Forget the placements an open-orders read shows landed, those whose transaction is mined,
        and the expired ones (never one the node was last seen holding as pending). `tx_states`:
        what the read learned of `in_flight`'s transactions (one it could not learn is absent).
        Returns (tx hash, trader) of the placements settled by a mined transaction (their order
        ids are in the receipts)."""
        book = order_book.lower()
        states = {tx.lower(): state for tx, state in (tx_states or {}).items()}
        now = self._monotonic()
        mined: list[tuple[str, str]] = []
        with self._lock:
            if not self._pending:
                return mined
            resting = {
                (book, trader.lower(), order.is_buy, order.price6)
                for trader, held in orders.items()
                for order in held
            }
            for key, doubt in list(self._pending.items()):
                state = states.get(doubt.tx_hash) if doubt.tx_hash and key[0] == book else None
                if state is not None:
                    doubt.held = state is TxState.PENDING
                if state is TxState.MINED:
                    assert doubt.tx_hash is not None
                    mined.append((doubt.tx_hash, key[1]))
                    del self._pending[key]
                elif key in resting or (now >= doubt.until and not doubt.held):
                    del self._pending[key]
        return mined

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)
