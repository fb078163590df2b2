"""A wrapper the engine puts around a venue: call counting, and injected latency for the benchmark."""

from __future__ import annotations

import threading
import time
from typing import Any

from ama_tui.venues.base import Venue

LOCAL = frozenset({"close", "advance", "audit", "placements_in_flight"})
"""Methods that answer from the venue object's memory: no call is counted and no latency added."""


class CountingVenue:
    """Counts every venue call (thread-safe); with `latency_s` each call first sleeps that long,
    which is how the benchmark models a network round trip."""

    def __init__(self, inner: Venue, *, latency_s: float = 0.0) -> None:
        self._inner = inner
        self._latency_s = latency_s
        self._lock = threading.Lock()
        self._calls = 0
        self.kind = inner.kind
        self.clock = inner.clock

    @property
    def calls(self) -> int:
        with self._lock:
            return self._calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute) or name.startswith("_") or name in LOCAL:
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self._calls += 1
            if self._latency_s > 0:
                time.sleep(self._latency_s)
            return attribute(*args, **kwargs)

        return counted
