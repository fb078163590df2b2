"""Placements whose outcome is unknown, so the venue never sends a second one on top.

A trade that timed out, lost its connection, or got a 5xx or an unreadable 200 may still land:
the relay may be mining it right now. The engine re-reads the wallet's orders before placing
again, but a late transaction can land after that read. Until an open-orders read shows an
order of that trader at that side and price (it landed), or the window passes (it did not), a
new placement there is refused with `TradeRejected(PLACEMENT_IN_DOUBT)`: the engine skips that
one order (no backoff) and places the others.

The window is long (`window_s`) when no answer came (the relay may still be waiting for its
transaction) and short (`answered_window_s`) when the relay answered: it is done with the
request, and what it sent is mined within a few blocks or not at all. 429 and 503 answers leave
no doubt: the relay refused before sending anything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from ama_tui.core.market import OpenOrder
from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import RateLimited, TradeRejected, VenueError
from ama_tui.venues.dexetra.api_errors import RelayRefused

PLACEMENT_IN_DOUBT: Final = "placement_in_doubt"
DEFAULT_WINDOW_S: Final = 60.0
DEFAULT_ANSWERED_WINDOW_S: Final = 12.0

_Key = tuple[str, str, bool, int]
"""(order book, trader, is_buy, price6), addresses lower-case."""


def outcome_unknown(error: VenueError) -> bool:
    """Did this failure leave the trade possibly landed? Only a refusal (400, 429, 503) says no."""
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
        self._pending: dict[_Key, float] = {}
        """key -> when the doubt ends (monotonic seconds)."""

    def note(self, order_book: str, trader: str, is_buy: bool, price6: int, *, answered: bool) -> None:
        window = self.answered_window_s if answered else self.window_s
        with self._lock:
            self._pending[(order_book.lower(), trader.lower(), is_buy, price6)] = self._monotonic() + window

    def check(self, order_book: str, trader: str, is_buy: bool, price6: int) -> None:
        """Raise when an earlier placement at this side and price may still land."""
        key = (order_book.lower(), trader.lower(), is_buy, price6)
        with self._lock:
            until = self._pending.get(key)
            if until is None:
                return
            left = until - self._monotonic()
            if left <= 0:
                del self._pending[key]
                return
        side = "buy" if is_buy else "sell"
        raise TradeRejected(
            PLACEMENT_IN_DOUBT,
            f"an earlier {side} at {price6} may still land; no second one for {left:.0f} s "
            "unless the book shows it first",
        )

    def resolve(self, order_book: str, orders: Mapping[str, Sequence[OpenOrder]]) -> None:
        """Forget the placements an open-orders read shows landed (and the expired ones)."""
        book = order_book.lower()
        now = self._monotonic()
        with self._lock:
            if not self._pending:
                return
            resting = {
                (book, trader.lower(), order.is_buy, order.price6)
                for trader, held in orders.items()
                for order in held
            }
            done = [k for k, until in self._pending.items() if k in resting or now >= until]
            for key in done:
                del self._pending[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)
