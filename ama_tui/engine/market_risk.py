"""How far the market may move before an order lands: the mid's volatility, the relay's latency,
and a top of book read again right before each placement.

On a wall clock with relay latency, a price that was safe when planned may be taken by the time it
arrives. The packer keeps every order at least `safetySigmas * sigma * sqrt(latency)` from the
anchor and the other side (`core.pricing.safety_floor_ticks`), where sigma is measured from the
mids it sees and latency from its own trades, and it re-reads the top just before sending.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Final

from ama_tui.core.market import BookTop, OpenOrder
from ama_tui.venues.base import BookSnapshot, DepthLevel, PublicTrade, VenueError

VOLATILITY_WINDOW_S: Final = 300.0
MIN_SAMPLES: Final = 4
LATENCY_PRIOR_S: Final = 2.0
"""Assumed round trip until the first trades are measured (production's relay answers in seconds)."""
LATENCY_QUANTILE: Final = 0.9


class MidVolatility:
    """Realized volatility of the mid in price6 per square-root second, over a sliding window:
    `sqrt(sum(dmid^2) / sum(dt))`. Thread-safe (placements add samples from the trade pool)."""

    def __init__(self, window_s: float = VOLATILITY_WINDOW_S, max_samples: int = 2048) -> None:
        self._window_s = window_s
        self._samples: deque[tuple[float, int]] = deque(maxlen=max_samples)
        self._lock = threading.Lock()

    def add(self, at: float, mid6: int) -> None:
        if mid6 <= 0:
            return
        with self._lock:
            if self._samples and at <= self._samples[-1][0]:
                return  # same instant (or out of order): no information about the move
            self._samples.append((at, mid6))
            while self._samples and at - self._samples[0][0] > self._window_s:
                self._samples.popleft()

    def span_s(self) -> float:
        """How long the samples in the window cover."""
        with self._lock:
            return self._samples[-1][0] - self._samples[0][0] if len(self._samples) > 1 else 0.0

    def moves(self) -> int:
        """How many times the mid changed between samples in the window."""
        with self._lock:
            samples = list(self._samples)
        return sum(1 for (_, a), (_, b) in itertools.pairwise(samples) if a != b)

    def sigma6(self) -> float | None:
        with self._lock:
            samples = list(self._samples)
        if len(samples) < MIN_SAMPLES:
            return None
        squares = sum((b - a) ** 2 for (_, a), (_, b) in itertools.pairwise(samples))
        elapsed = samples[-1][0] - samples[0][0]
        return math.sqrt(squares / elapsed) if elapsed > 0 else None


def _outside_best(levels: tuple[DepthLevel, ...], mine: dict[int, int]) -> int:
    for level in levels:
        if level.amount18 > mine.get(level.price6, 0):
            return level.price6
    return 0


def outside_top(book: BookSnapshot, ours: Iterable[OpenOrder]) -> BookTop:
    """The top of book without our own quotes: the market's price, not ours. (With many wallets
    quoting near the spread, the plain mid is often our own orders' and stands still while the
    market moves: a volatility measured on it would be near zero.) Levels beyond the depth read
    are unknown: a side made only of our orders as far as the book was read counts as empty."""
    if not book.bids and not book.asks:
        return book.top
    mine: dict[bool, dict[int, int]] = {True: {}, False: {}}
    for order in ours:
        side = mine[order.is_buy]
        side[order.price6] = side.get(order.price6, 0) + order.amount18
    return BookTop(_outside_best(book.bids, mine[True]), _outside_best(book.asks, mine[False]))


def priced_trades(trades: tuple[PublicTrade, ...]) -> list[tuple[float, int]]:
    """(timestamp, price6) of the trades with a price, oldest first."""
    return sorted((t.timestamp, t.price6) for t in trades if t.price6 > 0)


def sigma6_from_trades(trades: tuple[PublicTrade, ...]) -> float | None:
    """A first estimate before the mids say anything: the same formula over recent public trades
    (they bounce between bid and ask, so this errs on the wide side, which is the safe side)."""
    ordered = priced_trades(trades)
    if len(ordered) < MIN_SAMPLES or ordered[-1][0] <= ordered[0][0]:
        return None
    squares = sum((b - a) ** 2 for (_, a), (_, b) in itertools.pairwise(ordered))
    return math.sqrt(squares / (ordered[-1][0] - ordered[0][0]))


class LatencyTracker:
    """Recent relay round trips as the packer sees them; estimates a high quantile."""

    def __init__(self, keep: int = 64, prior_s: float = LATENCY_PRIOR_S) -> None:
        self._seen: deque[float] = deque(maxlen=keep)
        self._prior_s = prior_s
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        if seconds >= 0:
            with self._lock:
                self._seen.append(seconds)

    def quantile_s(self, q: float) -> float | None:
        """The `q` quantile of the round trips measured (None before any)."""
        with self._lock:
            seen = sorted(self._seen)
        if not seen:
            return None
        return seen[min(len(seen) - 1, int(len(seen) * q))]

    def estimate_s(self) -> float:
        with self._lock:
            seen = sorted(self._seen)
        if len(seen) < MIN_SAMPLES:
            return max(self._prior_s, *seen) if seen else self._prior_s
        return seen[min(len(seen) - 1, int(len(seen) * LATENCY_QUANTILE))]


class FreshTop:
    """The top of book no older than `max_age_s`, read once for all the wallets sending at that
    moment (one reader at a time; the others take its answer). None when it cannot be read."""

    def __init__(
        self,
        read: Callable[[], BookTop],
        *,
        max_age_s: float = 0.05,
    ) -> None:
        self._read = read
        self._max_age_s = max_age_s
        self._lock = threading.Lock()
        self._top: BookTop | None = None
        self._read_at = float("-inf")

    def get(self) -> BookTop | None:
        asked = time.monotonic()
        with self._lock:
            # a read that started at most max_age before this request (or after it, while this
            # caller waited for the lock) serves it: the wallets sending at once share one read
            if self._top is not None and self._read_at >= asked - self._max_age_s:
                return self._top
            started = time.monotonic()
            try:
                top = self._read()
            except VenueError:
                return None
            self._top, self._read_at = top, started
        return top
