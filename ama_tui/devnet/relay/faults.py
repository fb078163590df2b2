"""Fault injection for the devnet relay: make the next N requests of a route fail the ways the
production relay has been seen to fail, so the production adapter's retry logic can be tested.

Off by default: a relay without a plan, or with an empty one, answers every request normally.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

MARKETS: Final = "/api/markets"
ORDERBOOK: Final = "/api/orderbook/live"
RELAYER_SET: Final = "/api/gasless/session/relayer-set"
NONCE: Final = "/api/gasless/session/nonce"
SESSION_INIT: Final = "/api/gasless/session/init"
TRADE: Final = "/api/gasless/trade"
ROUTES: Final = (MARKETS, ORDERBOOK, RELAYER_SET, NONCE, SESSION_INIT, TRADE)
SUBMITTING_ROUTES: Final = frozenset({SESSION_INIT, TRADE})


class FaultKind(StrEnum):
    REPLACEMENT_FEE_TOO_LOW = "replacement_fee_too_low"
    """500 `{"error": "replacement fee too low ..."}`; with `after_submit` the transaction is sent
    (and mined) first, as when the production relayer's nonce collided after broadcasting."""
    RATE_LIMITED = "rate_limited"
    """429 with a `Retry-After` header."""
    UNAVAILABLE = "unavailable"
    """503: the relayer's circuit breaker is open."""
    DELAY = "delay"
    """Wait `delay_s`, then answer normally."""
    MALFORMED_JSON = "malformed_json"
    """200 with a JSON content type and a truncated body."""


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    after_submit: bool = False
    retry_after_s: int = 1
    delay_s: float = 0.5

    def __post_init__(self) -> None:
        if self.after_submit and self.kind is not FaultKind.REPLACEMENT_FEE_TOO_LOW:
            raise ValueError("after_submit applies to replacement_fee_too_low only")
        if self.retry_after_s < 0 or self.delay_s < 0:
            raise ValueError("retry_after_s and delay_s must not be negative")


REPLACEMENT_FEE_MESSAGE: Final = "replacement fee too low: replacement transaction underpriced (devnet fault)"
MALFORMED_BODY: Final = b'{"txHash": "0x'


class FaultPlan:
    """Faults queued per route, served first in first out; thread-safe. `served` records what
    was injected, in order, as (route, kind)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = {}
        self.served: list[tuple[str, FaultKind]] = []

    def add(self, route: str, fault: Fault | FaultKind, times: int = 1) -> FaultPlan:
        """Make the next `times` requests of `route` (one of ROUTES) answer with `fault`."""
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; expected one of {ROUTES}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if isinstance(fault, FaultKind):
            fault = Fault(fault)
        if fault.after_submit and route not in SUBMITTING_ROUTES:
            raise ValueError(f"after_submit needs a route that submits a transaction, not {route}")
        with self._lock:
            self._queues.setdefault(route, deque()).extend([fault] * times)
        return self

    def take(self, route: str) -> Fault | None:
        """The fault for this request of `route`, if one is queued (it is then used up)."""
        with self._lock:
            queue = self._queues.get(route)
            if not queue:
                return None
            fault = queue.popleft()
            self.served.append((route, fault.kind))
            return fault

    def pending(self, route: str | None = None) -> int:
        with self._lock:
            if route is not None:
                return len(self._queues.get(route, ()))
            return sum(len(queue) for queue in self._queues.values())

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
