"""At most N messages in any minute: a flood (a flapping error) must not bury a channel."""

from __future__ import annotations

from collections import deque

WINDOW_S = 60.0


class RateLimit:
    """`allow(now)` says whether one more message may go now (and counts it when it may)."""

    def __init__(self, per_minute: int) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._sent: deque[float] = deque()

    def allow(self, now: float) -> bool:
        while self._sent and self._sent[0] <= now - WINDOW_S:
            self._sent.popleft()
        if len(self._sent) >= self.per_minute:
            return False
        self._sent.append(now)
        return True
