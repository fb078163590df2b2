"""The sim's clocks. On the virtual clock time moves only when someone lets it (`advance`, or the
packer's `clock.wait`), so a seeded run is replayable bit for bit. On the wall clock the venue catches
its market up to the current time at each public call instead of running a background thread."""

from __future__ import annotations

import threading
from typing import Protocol

from ama_tui.venues.base import WallClock

__all__ = ["SimWallClock", "TimeSource", "VirtualClock"]


class TimeSource(Protocol):
    def now(self) -> float: ...

    def advance(self, seconds: float) -> None: ...


class VirtualClock:
    """`base.Clock` over the sim's own time: `wait` advances the market instead of sleeping."""

    __slots__ = ("_source",)

    realtime = False
    """Nothing moves while a call is in flight: no relay latency to guard against."""

    def __init__(self, source: TimeSource) -> None:
        self._source = source

    def now(self) -> float:
        return self._source.now()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Advance the sim by `seconds` (nothing if `stop` is already set); True when `stop` is set."""
        if stop.is_set():
            return True
        self._source.advance(max(0.0, float(seconds)))
        return stop.is_set()


class SimWallClock(WallClock):
    """The real clock; the venue follows it lazily."""
