"""Pacing the dashboard's repaints by the CPU they cost: a safety valve, not the normal case.

The screen repaints at most ten times a second, and a repaint of a busy 100-wallet run costs about
20-30 ms of the UI thread on an ordinary 2-core machine (the widgets repaint only the lines that
changed), so 10 Hz fits. On a pathological machine (very slow, or starved by other processes) a
repaint could cost far more, and ten a second would take a whole core away from everything else
(the engine included). `RefreshBudget` lets a repaint start only when the UI thread's CPU time
since the previous one is within `fraction` of the wall time since then, counted as at least one
refresh interval: a timer tick that comes early after a late one (the event loop was busy) is not
mistaken for a burst. At the default (half a core) it never kicks in at 10 Hz on a normal machine;
a starved one shows fewer, always-latest snapshots, but at least one a `max_wait` (a second): a
one-off burst of work on the UI thread, such as loading a long journal into the log, must not
freeze the screen for as long again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

DEFAULT_FRACTION: Final = 0.5
DEFAULT_INTERVAL_S: Final = 0.1
DEFAULT_MAX_WAIT_S: Final = 1.0


class RefreshBudget:
    def __init__(
        self,
        fraction: float = DEFAULT_FRACTION,
        *,
        interval: float = DEFAULT_INTERVAL_S,
        max_wait: float = DEFAULT_MAX_WAIT_S,
        cpu_clock: Callable[[], float] = time.thread_time,
        wall_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < fraction <= 1:
            raise ValueError(f"the CPU budget is a fraction of one core in (0, 1], got {fraction}")
        self.fraction = fraction
        self.interval = interval
        """The refresh interval: what a repaint's cost is charged against at least."""
        self.max_wait = max_wait
        """However much was spent, a repaint may start this long after the previous one."""
        self._cpu_clock = cpu_clock
        self._wall_clock = wall_clock
        self._mark: tuple[float, float] | None = None

    def allow(self) -> bool:
        """May a repaint start now? (Measured on the calling thread: call it from the UI thread.)"""
        if self._mark is None:
            return True
        cpu0, wall0 = self._mark
        used = self._cpu_clock() - cpu0
        elapsed = self._wall_clock() - wall0
        return used <= self.fraction * max(elapsed, self.interval) or elapsed >= self.max_wait

    def start(self) -> None:
        """A repaint starts: what the thread spends from now on is charged to it."""
        self._mark = (self._cpu_clock(), self._wall_clock())
