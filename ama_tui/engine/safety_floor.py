"""The packer's safety floor for one market: how far every order keeps from the anchor and from
the other side, so that the move the market makes over one relay round trip cannot make it take
liquidity (`safetySigmas x sigma x sqrt(latency)`, `core.pricing.safety_floor_ticks`).

Updated once a cycle from the market's mid as the cycle reads it — the book without our own quotes,
which would otherwise hold the mid still — and the latency of its own trades. Until the market has
been seen to move (MIN_MOVES over MIN_SPAN_S, or its recent public trades show it), nothing is
waited for: the floor assumes a volatility far above any ordinary market's (PRIOR_SIGMA_REL of the
mid per square-root second), so the first orders go out at once, wide, and come in as soon as the
moves are measured (sampling starts while the run's sessions are being opened). A market that has
not moved once in MIN_SPAN_S is still: its floor is what its trades say. Until the moves cover a
minute, the measured volatility is doubled.
The floor rises at once and falls only once the measure is clearly lower (below FLOOR_STEP_DOWN of
it), in one step: a floor that crept down a little every cycle would slide the band under the
orders and have them replaced cycle after cycle.
Orders are planned PLAN_HEADROOM guards away: the market may move half a guard toward them
between the read they were planned on and their send before they are held back.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Iterable
from typing import Final

from ama_tui.core.market import BookTop, OpenOrder
from ama_tui.core.pricing import buffer_ticks, distance_band, safety_floor_ticks
from ama_tui.engine.market_risk import (
    FreshTop,
    LatencyTracker,
    MidVolatility,
    outside_top,
    priced_trades,
    sigma6_from_trades,
)
from ama_tui.venues.base import BookSnapshot, Clock, VenueError

FLOOR_STEP_DOWN: Final = 0.7
PLAN_HEADROOM: Final = 1.5
WARM_UP_MAX_S: Final = 15.0
"""Past this much watching, a market with a move or two is measured, however few."""
WARM_UP_SPACING_S: Final = 0.5
PRIOR_SIGMA_REL: Final = 0.008
"""The volatility assumed (relative to the mid, per square-root second) while the market's is not
measured yet: some 60 times an ordinary day of ETH's and above the sim's CHAOTIC preset's (~0.006),
so a first order sent before anything is known keeps off a move of that size."""
MIN_MOVES: Final = 3
MIN_SPAN_S: Final = 8.0
"""The mid must have changed MIN_MOVES times over MIN_SPAN_S before its volatility means anything:
books whose providers re-quote every few seconds stand still, then jump."""
COLD_START_S: Final = 60.0
COLD_START_FACTOR: Final = 2.0
"""Until the mids cover COLD_START_S, the measured volatility is doubled: a few seconds of samples
miss the jumps a market makes every few seconds (the benchmark's only taker fills, CHAOTIC, all
came in the first two cycles without it)."""


def tape_tells(book: BookSnapshot) -> bool:
    """Do the book's recent public trades already say how the market moves (MIN_MOVES price
    changes over MIN_SPAN_S)? Then their volatility (doubled while cold) stands in for the mids'
    and the first cycle need not watch the market first."""
    ordered = priced_trades(book.recent_trades)
    if len(ordered) < 2 or ordered[-1][0] - ordered[0][0] < MIN_SPAN_S:
        return False
    moves = sum(1 for (_, a), (_, b) in itertools.pairwise(ordered) if a != b)
    return moves >= MIN_MOVES


class SafetyFloor:
    def __init__(
        self,
        *,
        read_top: Callable[[], BookTop],
        read_book: Callable[[], BookSnapshot],
        clock: Clock,
        tick6: int,
        latency_prior_s: float,
        top_max_age_s: float,
    ) -> None:
        """`latency_prior_s`: the round trip assumed until trades are measured (0 on a clock that
        is not realtime: nothing moves during a call there)."""
        self._read_book = read_book
        self._clock = clock
        self._tick6 = tick6
        self.volatility = MidVolatility()
        self.latency = LatencyTracker(prior_s=latency_prior_s)
        self.sigma6: float | None = None
        self.floor_ticks = 0
        """Where the band starts at the least: PLAN_HEADROOM times the guard."""
        self.guard_ticks = 0
        """The move expected over one round trip (smoothed): what the other side must stay off a
        price when it is sent."""
        self.on_prior = False
        """The floor is the prior's (the market's moves are not measured yet)."""
        self._sampled: BookSnapshot | None = None
        self._latest: tuple[float, BookSnapshot] | None = None
        """(when its read began, the book) of the watch's last read."""
        self._held_latency_s: float | None = None
        """The latency the prior's floor was last sized on (kept while the first pack lands)."""
        self._watch_lock = threading.Lock()
        self._watch_over = False
        """The first cycle has taken the watch's book: a read the watch still has in flight is
        dropped, never sampled beside the cycles."""
        self.fresh_top = FreshTop(read_top, max_age_s=top_max_age_s)

    def sample(self, book: BookSnapshot, ours: Iterable[OpenOrder]) -> None:
        if book is self._sampled:
            return  # the watch's last read, handed to the first cycle: sampled already
        self._sampled = book
        mid = outside_top(book, ours).mid6
        if mid > 0:
            self.volatility.add(self._clock.now(), mid)

    def fresh_watched_book(self, max_age_s: float) -> BookSnapshot | None:
        """The watch's last book if its read began at most `max_age_s` ago; taking it ends the
        watch (a read still in flight is dropped). None, and the watch goes on, otherwise."""
        with self._watch_lock:
            latest = self._latest
            if latest is None or self._clock.now() - latest[0] > max_age_s:
                return None
            self._watch_over, self._latest = True, None
            return latest[1]

    def watched_book(self, max_age_s: float) -> BookSnapshot | None:
        """End the watch (a read still in flight is dropped) and hand over its last book, once, if
        that read began at most `max_age_s` ago: the first cycle plans on it rather than wait a
        round trip for the same."""
        with self._watch_lock:
            self._watch_over = True
            latest, self._latest = self._latest, None
        if latest is None or self._clock.now() - latest[0] > max_age_s:
            return None
        return latest[1]

    def _known(self) -> bool:
        span = self.volatility.span_s()
        return (self.volatility.moves() >= MIN_MOVES and span >= MIN_SPAN_S) or span >= COLD_START_S

    def measured(self, book: BookSnapshot) -> bool:
        """Are the market's moves known well enough to size the floor on (or is it still)?"""
        if self._known() or tape_tells(book):
            return True
        span = self.volatility.span_s()
        return span >= WARM_UP_MAX_S or (span >= MIN_SPAN_S and self.volatility.moves() == 0)

    def update(
        self, book: BookSnapshot, ours: Iterable[OpenOrder], sigmas: float, *, hold_prior: bool = False
    ) -> None:
        """The floor for this cycle, from the cycle's book and our open orders (to leave them out of
        the mid); while the market's moves are not measured yet, from the prior. `hold_prior`: a
        floor on the prior stays on it, at the latency it was sized on, even once the moves are
        measured (the engine asks while its first pack is still landing)."""
        mine = tuple(ours)
        self.sample(book, mine)
        # the larger of two measures: the mids' and the recent trades' (which bounce between bid
        # and ask): erring wide is erring safe
        measures = [
            m for m in (self.volatility.sigma6(), sigma6_from_trades(book.recent_trades)) if m is not None
        ]
        self.sigma6 = max(measures) if measures else None
        if self.sigma6 is not None and self.volatility.span_s() < COLD_START_S:
            self.sigma6 *= COLD_START_FACTOR
        holding = hold_prior and self.on_prior
        prior = holding or not self.measured(book)
        if prior:
            mid6 = outside_top(book, mine).mid6 or book.top.mark6
            self.sigma6 = max(self.sigma6 or 0.0, PRIOR_SIGMA_REL * mid6) or None
        latency_s = self.latency.estimate_s()
        if holding and self._held_latency_s is not None:
            # the first pack lands on the floor it was planned with: a latency estimate that
            # settles higher meanwhile (a relay slowed by the pack itself) does not move it (a
            # market measured to move more than the prior says still does)
            latency_s = self._held_latency_s
        elif prior:
            self._held_latency_s = latency_s
        floor = safety_floor_ticks(self.sigma6, latency_s, sigmas, self._tick6)
        cold = self.volatility.span_s() < COLD_START_S
        if prior:
            # on the prior the floor only rises (a latency estimate that settles would otherwise
            # pull the band in cycle after cycle and replace every order each time)
            self.guard_ticks = max(self.guard_ticks, floor) if self.on_prior else floor
        elif self.on_prior:
            self.guard_ticks = floor  # the prior was no measure: the first measure replaces it
        elif floor > self.guard_ticks or (not cold and floor < self.guard_ticks * FLOOR_STEP_DOWN):
            self.guard_ticks = floor  # (in the first minute it only rises)
        self.on_prior = prior
        self.floor_ticks = math.ceil(self.guard_ticks * PLAN_HEADROOM)

    def guard6(self, min_distance_ticks: int, max_distance_ticks: int) -> int:
        """How far (price6) the other side must stay from a price when it is sent."""
        low, _ = distance_band(min_distance_ticks, max_distance_ticks, self.floor_ticks)
        return max(buffer_ticks(low), self.guard_ticks) * self._tick6

    def prewarm(self, done: threading.Event, read_ours: Callable[[], Iterable[OpenOrder]]) -> None:
        """Watch the market until `done` is set (the run's sessions are open): the first cycle
        then starts with what was seen meanwhile. Our resting orders (a resumed run's),
        read once — nothing of ours is placed before the sessions are open — are left out of the
        mid, which they would otherwise hold still."""
        try:
            ours = tuple(read_ours())
        except VenueError:
            return
        while not done.is_set() and not self._known():
            began = self._clock.now()
            try:
                book = self._read_book()
            except VenueError:
                return
            with self._watch_lock:
                if self._watch_over:
                    return
                self.sample(book, ours)
                self._latest = (began, book)
            if self._clock.wait(done, WARM_UP_SPACING_S):
                return
