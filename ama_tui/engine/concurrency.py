"""How many trades and session requests the fleet has in flight at once: one limit for all of
them, adapted to what the relay says (additive increase, multiplicative decrease).

Every clean answer (a success, or a refusal that is an answer: 400s) grows the limit: by one
until the first sign of congestion (slow start: the limit doubles per window of answers), then by
1/limit (one per window). A sign of congestion (429, 503, a timeout or dropped connection, the
relayer's own nonce collision `replacement fee too low`) halves it, at most once per window (the
longer of `cooldown_s` and the recent round trip), so a burst of refusals counts once. Each
request remembers how many were in flight when it got its slot: a refusal above the most that
recently went through cleanly is the relay's capacity showing, and sets a ceiling there. The
limit comes down to it at once (halving a window apart, every request above it meanwhile was
refused), grows back to it, and probes one above it after PROBE_WINDOWS clean answers to
requests sent with the limit full, with no refusal between them. A refusal at or below that
level is noise (a relay that drops a request now and then whatever the load), tolerated unless it
is more than LOSS_TOLERANCE of a window's answers. A `Retry-After` holds every new request back
until it has passed. The limit stays within [minimum, maximum].
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from enum import Enum
from typing import Final, TypeVar

from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import RateLimited, TradeRejected, VenueError

T = TypeVar("T")

DECREASE: Final = 0.5
PROBE_WINDOWS: Final = 8
LOSS_TOLERANCE: Final = 0.3
EWMA: Final = 0.2
DEFAULT_COOLDOWN_S: Final = 1.0
CONGESTION_CODES: Final = frozenset(
    {ErrorCode.REPLACEMENT_FEE_TOO_LOW, ErrorCode.NETWORK_ERROR, ErrorCode.UNAVAILABLE}
)


class Answer(Enum):
    CLEAN = "clean"
    CONGESTED = "congested"
    NEUTRAL = "neutral"
    """Says nothing about the relay's load (e.g. a failure of our own)."""


def classify_answer(error: VenueError | None) -> Answer:
    """What a trade's result says about the relay's load."""
    if error is None or isinstance(error, TradeRejected):
        return Answer.CLEAN
    if isinstance(error, RateLimited):
        return Answer.CONGESTED
    code = getattr(error, "code", None)
    if code in CONGESTION_CODES or code is None or "replacement fee too low" in str(error).lower():
        return Answer.CONGESTED
    return Answer.NEUTRAL


class AdaptiveLimit:
    """A counting semaphore whose size follows the relay (thread-safe)."""

    def __init__(
        self,
        initial: int,
        *,
        minimum: int = 1,
        maximum: int | None = None,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        monotonic: Callable[[], float] = time.monotonic,
        holds: bool = True,
    ) -> None:
        """`holds`: honour Retry-After by holding requests back in real time (off when the venue
        runs on a virtual clock: its Retry-After is in virtual seconds, which the packer's own
        backoff already waits out on that clock)."""
        if minimum < 1:
            raise ValueError("minimum must be at least 1")
        self.maximum = max(minimum, maximum if maximum is not None else initial)
        self.minimum = minimum
        self._limit = float(min(self.maximum, max(minimum, initial)))
        self._cooldown_s = cooldown_s
        self._monotonic = monotonic
        self._cond = threading.Condition()
        self._local = threading.local()
        """`admitted`: how many were in flight (this one included) when this thread's request got
        its slot — what a refusal of it says about the relay's capacity; `limit_then`: the limit
        at that moment (was it in use?)."""
        self._in_flight = 0
        self._hold_until = float("-inf")
        self._last_decrease = float("-inf")
        self.decreases = 0
        self.peak_in_flight = 0
        self._slow_start = True
        self._holds = holds
        self.ceiling = self.maximum
        """The most in flight known to go through (grows back slowly by probing)."""
        self._clean_at_ceiling = 0.0
        self._best_ok = 0
        """The most in flight at which an answer came back clean since the last decrease."""
        self._window_answers = 0
        self._window_failures = 0
        self._round_trip_s = 0.0

    @property
    def limit(self) -> int:
        with self._cond:
            return int(self._limit)

    @property
    def in_flight(self) -> int:
        with self._cond:
            return self._in_flight

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for a free slot (and any Retry-After); False when `stop` was set meanwhile."""
        with self._cond:
            while True:
                if stop is not None and stop.is_set():
                    return False
                wait = self._hold_until - self._monotonic()
                if wait <= 0 and self._in_flight < int(self._limit):
                    self._in_flight += 1
                    self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
                    self._local.admitted = self._in_flight
                    self._local.limit_then = int(self._limit)
                    return True
                self._cond.wait(timeout=min(max(wait, 0.0), 0.1) if wait > 0 else 0.1)

    def release(
        self,
        answer: Answer = Answer.NEUTRAL,
        retry_after_s: float | None = None,
        round_trip_s: float | None = None,
    ) -> None:
        admitted = getattr(self._local, "admitted", None) or 0
        limit_then = getattr(self._local, "limit_then", None) or 0
        self._local.admitted = self._local.limit_then = None
        with self._cond:
            self._in_flight = max(0, self._in_flight - 1)
            now = self._monotonic()
            if round_trip_s is not None:
                self._round_trip_s += EWMA * (round_trip_s - self._round_trip_s)
            if answer is not Answer.NEUTRAL:
                self._window_answers += 1
            if answer is Answer.CLEAN:
                self._best_ok = max(self._best_ok, admitted)
                self._grow(admitted, limit_then)
            elif answer is Answer.CONGESTED:
                self._window_failures += 1
                self._clean_at_ceiling = 0.0  # a probe needs the relay taking the full limit
                self._congested(admitted, now)
            if retry_after_s and self._holds:
                self._hold_until = max(self._hold_until, now + retry_after_s)
            self._cond.notify_all()

    def _congested(self, admitted: int, now: float) -> None:
        capacity = self._best_ok > 0 and admitted > self._best_ok
        if capacity:
            self.ceiling = max(self.minimum, min(self.ceiling, self._best_ok))
            if self._limit > self.ceiling:
                # the relay showed what it takes: down to it at once, not by halves a window
                # apart (every request above it meanwhile is refused)
                self._slow_start = False
                self._limit = float(self.ceiling)
                self._last_decrease = now
                self.decreases += 1
                self._window_answers = self._window_failures = 0
                return
        lossy = self._window_failures > LOSS_TOLERANCE * max(self._window_answers, 1)
        if not (capacity or lossy or self._best_ok == 0):
            return  # a refusal at a load that went through just now: noise, not the relay's limit
        if now - self._last_decrease < max(self._cooldown_s, self._round_trip_s):
            return
        self._slow_start = False
        self._limit = max(float(self.minimum), math.floor(self._limit * DECREASE))
        self._last_decrease = now
        self.decreases += 1
        self._best_ok = min(self._best_ok, int(self._limit))  # what went through still would
        self._window_answers = self._window_failures = 0

    def _grow(self, admitted: int, limit_then: int) -> None:
        """Below the ceiling the limit grows back towards what is known to go through. Above it
        is a probe, and only an answer to a request that had the limit's last slot counts towards
        one (each a whole window): a fleet sending a few trades at a time says nothing about the
        relay taking more, and a ceiling raised on such answers let the limit stand above the
        relay's capacity until a busy moment met it with refusals."""
        if self._limit < self.ceiling:
            step = 1.0 if self._slow_start else 1.0 / max(1.0, self._limit)
            self._limit = min(float(self.ceiling), self._limit + step)
            return
        if admitted < limit_then:
            return
        self._clean_at_ceiling += 1.0
        if self._clean_at_ceiling >= PROBE_WINDOWS and self.ceiling < self.maximum:
            self.ceiling += 1
            self._clean_at_ceiling = 0.0

    def run(self, call: Callable[[], T], stop: threading.Event | None = None) -> T | None:
        """`call()` in a slot; its exception (a VenueError) decides the answer. None when stopped
        (before or, when `call` returns None, instead of sending)."""
        if not self.acquire(stop):
            return None
        started = time.monotonic()
        try:
            result = call()
        except VenueError as error:
            retry = getattr(error, "retry_after", None)
            self.release(
                classify_answer(error),
                retry if isinstance(retry, int | float) else None,
                time.monotonic() - started,
            )
            raise
        except BaseException:
            self.release(Answer.NEUTRAL)
            raise
        if result is None:
            self.release(Answer.NEUTRAL)
        else:
            self.release(Answer.CLEAN, round_trip_s=time.monotonic() - started)
        return result
