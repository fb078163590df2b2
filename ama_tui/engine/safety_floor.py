"""The packer's safety floor for one market: how far every order keeps from the anchor and from
the other side, so that the move the market makes over one relay round trip cannot make it take
liquidity (`safetySigmas x sigma x sqrt(latency)`, `core.pricing.safety_floor_ticks`).

Updated once a cycle from the mids it sees (the cycle's read, and the top read again before each
placement) and the latency of its own trades. It rises at once and falls only once the measure is
clearly lower (below FLOOR_STEP_DOWN of it), in one step: a floor that crept down a little every
cycle would slide the band under the orders and have them replaced cycle after cycle.
Orders are planned PLAN_HEADROOM guards away: the market may move half a guard toward them
between the read they were planned on and their send before they are held back.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Final

from ama_tui.core.market import BookTop
from ama_tui.core.pricing import buffer_ticks, distance_band, safety_floor_ticks
from ama_tui.engine.market_risk import FreshTop, LatencyTracker, MidVolatility, sigma6_from_trades
from ama_tui.venues.base import BookSnapshot, Clock, VenueError

FLOOR_STEP_DOWN: Final = 0.7
PLAN_HEADROOM: Final = 1.5
WARM_UP_READS: Final = 6
WARM_UP_SPACING_S: Final = 0.3
COLD_START_S: Final = 60.0
COLD_START_FACTOR: Final = 2.0
"""Until the mids cover COLD_START_S, the measured volatility is doubled: a few seconds of samples
miss the jumps a market makes every few seconds (the benchmark's only taker fills, CHAOTIC, all
came in the first two cycles without it)."""


class SafetyFloor:
    def __init__(
        self,
        *,
        read_top: Callable[[], BookTop],
        clock: Clock,
        tick6: int,
        latency_prior_s: float,
        top_max_age_s: float,
    ) -> None:
        """`latency_prior_s`: the round trip assumed until trades are measured (0 on a clock that
        is not realtime: nothing moves during a call there)."""
        self._read_top = read_top
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
        self.fresh_top = FreshTop(read_top, max_age_s=top_max_age_s, on_read=self.sample)

    def sample(self, top: BookTop) -> None:
        if top.mid6 > 0:
            self.volatility.add(self._clock.now(), top.mid6)

    def update(self, book: BookSnapshot, sigmas: float, stop: threading.Event) -> None:
        """The floor for this cycle, from the cycle's book (watched for a moment first when the
        market's moves are not known yet and latency is to be feared)."""
        self.sample(book.top)
        if self.volatility.sigma6() is None and self.latency.estimate_s() > 0:
            self._warm_up(stop)
        # the larger of two measures: the mids' (few samples early on) and the recent trades'
        # (which bounce between bid and ask): erring wide is erring safe
        measures = [m for m in (self.volatility.sigma6(), sigma6_from_trades(book.recent_trades)) if m]
        self.sigma6 = max(measures) if measures else None
        if self.sigma6 is not None and self.volatility.span_s() < COLD_START_S:
            self.sigma6 *= COLD_START_FACTOR
        floor = safety_floor_ticks(self.sigma6, self.latency.estimate_s(), sigmas, self._tick6)
        if floor > self.guard_ticks or floor < self.guard_ticks * FLOOR_STEP_DOWN:
            self.guard_ticks = floor
        self.floor_ticks = math.ceil(self.guard_ticks * PLAN_HEADROOM)

    def guard6(self, min_distance_ticks: int, max_distance_ticks: int) -> int:
        """How far (price6) the other side must stay from a price when it is sent."""
        low, _ = distance_band(min_distance_ticks, max_distance_ticks, self.floor_ticks)
        return max(buffer_ticks(low), self.guard_ticks) * self._tick6

    def _warm_up(self, stop: threading.Event) -> None:
        for _ in range(WARM_UP_READS):
            if self._clock.wait(stop, WARM_UP_SPACING_S):
                return
            try:
                self.sample(self._read_top())
            except VenueError:
                return
