"""The arena's clock: the embedded exchange's virtual clock, stopping on a regular grid of simulated
time on its way, to note the book's mid there (the mark of the equity curve and the price path)
and to tell the progress bar how far the run has come.

The engine waits on it as on any clock (`wait` advances the exchange instead of sleeping); reading
the book changes nothing, so a run is the same with or without the samples."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ama_tui.arena.equity import Sample
from ama_tui.venues.sim import SimVenue


class SamplingClock:
    realtime = False

    def __init__(
        self,
        sim: SimVenue,
        order_book: str,
        step_ms: int,
        *,
        on_time: Callable[[float], None] | None = None,
    ) -> None:
        if step_ms <= 0:
            raise ValueError("the sampling step must be positive")
        self.sim = sim
        self.order_book = order_book
        self.step_ms = step_ms
        self.on_time = on_time
        self.samples: list[Sample] = []
        self.start_ms = self._now_ms()
        self._next_ms = self.start_ms
        self.sample_now()

    def _now_ms(self) -> int:
        return round(self.sim.now() * 1000)

    def now(self) -> float:
        return self.sim.now()

    def mark6(self) -> int:
        """The book's mid; one side's best, or the exchange's reference price, when there is none."""
        top = self.sim.book(self.order_book, 1).top
        if top.mid6 > 0:
            return top.mid6
        return top.best_bid6 or top.best_ask6 or self.sim.reference_price6(self.order_book)

    def sample_now(self) -> None:
        """Note the mark at the current instant (once per instant)."""
        now_ms = self._now_ms()
        if self.samples and self.samples[-1].ts_ms >= now_ms:
            return
        self.samples.append(Sample(now_ms, self.mark6()))
        self._next_ms = now_ms - (now_ms - self.start_ms) % self.step_ms + self.step_ms
        if self.on_time is not None:
            self.on_time((now_ms - self.start_ms) / 1000)

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Advance by `seconds`, sampling at each grid point passed; True when `stop` is set."""
        if stop.is_set():
            return True
        target_us = round(self.sim.now() * 1_000_000) + round(max(0.0, float(seconds)) * 1_000_000)
        while self._next_ms * 1000 <= target_us:
            self.sim.advance((self._next_ms * 1000 - round(self.sim.now() * 1_000_000)) / 1_000_000)
            self.sample_now()
        self.sim.advance((target_us - round(self.sim.now() * 1_000_000)) / 1_000_000)
        return stop.is_set()
