"""Fault injection for the devnet relay: make the next N requests of a route fail the ways the
production relay has been seen to fail, so the production adapter's retry logic can be tested.

Off by default: a relay without a plan, or with an empty one, answers every request normally.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

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
    """429 `rate_limit_exceeded` with a `Retry-After` header (`retry_after_s`, default 1 so tests
    stay quick; production says 10 or 30: use `Fault.answer("rate_limit_exceeded")` for that)."""
    UNAVAILABLE = "unavailable"
    """503 `service_temporarily_unavailable` (the circuit breaker is open) with a `Retry-After`
    header (`retry_after_s`, default 1; production says 60)."""
    DELAY = "delay"
    """Wait `delay_s`, then answer normally."""
    MALFORMED_JSON = "malformed_json"
    """200 with a JSON content type and a truncated body."""
    ANSWER_ERROR = "answer_error"
    """Answer the error `error` as production does (status, `Retry-After` and message from the
    route's table; `status`, `retry_after_s` and `fields` override it). Build with `Fault.answer`.
    With `after_submit` the transaction is sent first (a 500 after broadcasting)."""
    BOOK_READS_TIMED_OUT = "book_reads_timed_out"
    """GET /api/orderbook/live answers with `depth` and `recentTrades` null, as production does
    when those reads fail or pass their 2.5 s timeout."""


AFTER_SUBMIT_KINDS: Final = frozenset({FaultKind.REPLACEMENT_FEE_TOO_LOW, FaultKind.ANSWER_ERROR})
ROUTE_KINDS: Final = {FaultKind.BOOK_READS_TIMED_OUT: frozenset({ORDERBOOK})}
"""Kinds that make sense on some routes only."""
DEFAULT_RETRY_AFTER_S: Final = 1


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    after_submit: bool = False
    retry_after_s: int | None = None
    """Seconds for `Retry-After`: RATE_LIMITED and UNAVAILABLE default to 1, ANSWER_ERROR to the
    route table's value for its code (None there: no header)."""
    delay_s: float = 0.5
    error: str = ""
    """ANSWER_ERROR: the `error` code to answer (for example `ob_settled`)."""
    status: int | None = None
    """ANSWER_ERROR: the HTTP status, when not the table's."""
    fields: tuple[tuple[str, Any], ...] = ()
    """ANSWER_ERROR: extra fields of the body, as (name, value) pairs."""

    def __post_init__(self) -> None:
        if self.after_submit and self.kind not in AFTER_SUBMIT_KINDS:
            raise ValueError("after_submit applies to replacement_fee_too_low and answer_error only")
        if (self.retry_after_s is not None and self.retry_after_s < 0) or self.delay_s < 0:
            raise ValueError("retry_after_s and delay_s must not be negative")
        if (self.kind is FaultKind.ANSWER_ERROR) != bool(self.error):
            raise ValueError("answer_error needs an error code, and only answer_error takes one")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")

    @classmethod
    def answer(
        cls,
        error: str,
        *,
        status: int | None = None,
        retry_after_s: int | None = None,
        after_submit: bool = False,
        **fields: Any,
    ) -> Fault:
        """Answer `error` (with `fields`) as production does: `Fault.answer("ob_settled")`,
        `Fault.answer("rate_limit_exceeded", retry_after_s=30)`."""
        return cls(
            FaultKind.ANSWER_ERROR,
            after_submit=after_submit,
            retry_after_s=retry_after_s,
            error=error,
            status=status,
            fields=tuple(fields.items()),
        )


REPLACEMENT_FEE_MESSAGE: Final = "replacement fee too low: replacement transaction underpriced (devnet fault)"
MALFORMED_BODY: Final = b'{"txHash": "0x'


class FaultPlan:
    """Faults queued per route, served first in first out; thread-safe. `served` records what
    was injected, in order, as (route, kind)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = {}
        self.served: list[tuple[str, FaultKind]] = []
        self._capacity: dict[str, tuple[int, float, int]] = {}
        self._in_flight: dict[str, int] = {}
        self.over_capacity = 0
        """Requests refused by `limit_concurrency` (429)."""

    def limit_concurrency(
        self, route: str, capacity: int, *, hold_s: float = 0.0, retry_after_s: int = 1
    ) -> FaultPlan:
        """Make `route` a relay of limited capacity: each request takes at least `hold_s`, and one
        arriving while `capacity` are in flight is answered 429 `rate_limit_exceeded` with
        `Retry-After: retry_after_s` (production's relay throttles the same way under load)."""
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; expected one of {ROUTES}")
        if capacity < 1 or hold_s < 0 or retry_after_s < 0:
            raise ValueError("capacity must be at least 1, hold_s and retry_after_s not negative")
        with self._lock:
            self._capacity[route] = (capacity, hold_s, retry_after_s)
        return self

    def admit(self, route: str) -> tuple[bool, float, int] | None:
        """For a route with a capacity: (admitted, hold_s, retry_after_s), counting it in flight
        when admitted (`leave` when done). None for a route without one."""
        with self._lock:
            limit = self._capacity.get(route)
            if limit is None:
                return None
            capacity, hold_s, retry_after_s = limit
            if self._in_flight.get(route, 0) >= capacity:
                self.over_capacity += 1
                return False, hold_s, retry_after_s
            self._in_flight[route] = self._in_flight.get(route, 0) + 1
            return True, hold_s, retry_after_s

    def leave(self, route: str) -> None:
        with self._lock:
            self._in_flight[route] = max(0, self._in_flight.get(route, 0) - 1)

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
        if route not in ROUTE_KINDS.get(fault.kind, frozenset(ROUTES)):
            raise ValueError(f"{fault.kind} does not apply to {route}")
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
