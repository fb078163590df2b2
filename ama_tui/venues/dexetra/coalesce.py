"""Reads a packer cycle makes back to back, answered by the round trips of the first one.

Each cycle the engine asks for open orders, then collateral, then new fills, for the same fleet.
`open_orders` reads the collateral in its first round trip and the fill logs in its second, and
leaves them here; the `available_collateral` and `fills_since` calls that follow take them
instead of going to the node again. That is what keeps a cycle's reads at three round trips.

- Collateral is taken once, only within `ttl_s`, and only if no trade or session went out through
  this venue since it was read (each of those bumps `generation`). It was read at the same block
  as the order ids, so it is consistent with the orders the engine just saw.
- Fill logs cover a pinned block range (after, end], so they are correct whenever they are used;
  they are taken once, for the same cursor, by a subset of the traders they were read for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from ama_tui.venues.dexetra.fills import TradeLog

DEFAULT_TTL_S: Final = 2.0


@dataclass(frozen=True, slots=True)
class _Collateral:
    vault: str
    values: dict[str, int]
    at: float
    generation: int


@dataclass(frozen=True, slots=True)
class PrefetchedLogs:
    after: int
    end: int
    traders: frozenset[str]
    logs: tuple[TradeLog, ...]


class ReadCoalescer:
    def __init__(
        self, *, ttl_s: float = DEFAULT_TTL_S, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._generation = 0
        self._collateral: _Collateral | None = None
        self._logs: dict[str, PrefetchedLogs] = {}
        self._cursors: dict[str, int] = {}

    # ------------------------------------------------------------------ writes through the venue

    @property
    def generation(self) -> int:
        with self._lock:
            return self._generation

    def invalidate(self) -> None:
        """Something this venue sent may have changed collateral: forget the prefetched values."""
        with self._lock:
            self._generation += 1
            self._collateral = None

    # ------------------------------------------------------------------ collateral

    def put_collateral(self, vault: str, values: dict[str, int], generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._collateral = _Collateral(vault.lower(), dict(values), self._monotonic(), generation)

    def take_collateral(self, vault: str, addresses: Sequence[str]) -> dict[str, int] | None:
        with self._lock:
            held, self._collateral = self._collateral, None
            if (
                held is None
                or held.vault != vault.lower()
                or held.generation != self._generation
                or self._monotonic() - held.at > self._ttl_s
                or any(address not in held.values for address in addresses)
            ):
                return None
            return {address: held.values[address] for address in addresses}

    # ------------------------------------------------------------------ fills

    def cursor(self, order_book: str) -> int | None:
        """The last fills cursor handed out for this order book (where a prefetch starts)."""
        with self._lock:
            return self._cursors.get(order_book.lower())

    def handed_out(self, order_book: str, cursor: int) -> None:
        with self._lock:
            self._cursors[order_book.lower()] = cursor

    def put_logs(self, order_book: str, logs: PrefetchedLogs) -> None:
        with self._lock:
            self._logs[order_book.lower()] = logs

    def take_logs(self, order_book: str, after: int, addresses: Sequence[str]) -> PrefetchedLogs | None:
        with self._lock:
            held = self._logs.pop(order_book.lower(), None)
            if held is None or held.after != after or not held.traders.issuperset(addresses):
                return None
            return held
