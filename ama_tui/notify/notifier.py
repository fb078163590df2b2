"""The notifier's own thread: the engine hands it events without ever waiting (a full queue drops
and counts), and it sends them at its own pace within the rate limit."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ama_tui.notify.events import Event
from ama_tui.notify.rate import RateLimit
from ama_tui.notify.sender import AppriseSender, Sender

log = logging.getLogger(__name__)

QUEUE_SIZE = 100
DRAIN_S = 5.0
"""How long `close` lets the queue empty before it gives up on the rest."""
_POLL_S = 0.1
JOIN_GRACE_S = 1.0
"""A send still under way when the drain ends is not waited for longer than this (the thread is a
daemon: it cannot keep the process alive)."""


@dataclass(frozen=True, slots=True)
class NotifierStats:
    sent: int = 0
    """Messages at least one service took."""
    undelivered: int = 0
    """Messages no service took."""
    dropped_full: int = 0
    """Not queued: the queue was full."""
    dropped_rate: int = 0
    """Over the rate limit."""
    dropped_closed: int = 0
    """Posted after `close`, or still queued when the drain ran out of time."""


class Notifier:
    """`post(event)` never blocks; `close()` drains briefly, then stops the thread.

    `sender`: builds what sends (called on the notifier's thread); by default apprise to `urls`.
    `clock`: monotonic seconds, for the rate limit.
    """

    def __init__(
        self,
        urls: Sequence[str] = (),
        *,
        max_per_minute: int = 20,
        queue_size: int = QUEUE_SIZE,
        sender: Callable[[], Sender] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._make_sender = sender or (lambda: AppriseSender(urls))
        self._limit = RateLimit(max_per_minute)
        self._clock = clock
        self._queue: queue.Queue[Event] = queue.Queue(maxsize=queue_size)
        self._lock = threading.Lock()
        self._stats = NotifierStats()
        self._closing = threading.Event()
        self._drain_until = 0.0
        self._thread = threading.Thread(target=self._run, name="ama-notify", daemon=True)
        self._thread.start()

    @property
    def stats(self) -> NotifierStats:
        with self._lock:
            return self._stats

    def _count(self, **more: int) -> None:
        with self._lock:
            self._stats = replace(
                self._stats, **{name: getattr(self._stats, name) + n for name, n in more.items()}
            )

    def post(self, event: Event) -> bool:
        """Queue `event`; False (and counted) when it was dropped."""
        if self._closing.is_set():
            self._count(dropped_closed=1)
            return False
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self._count(dropped_full=1)
            return False
        return True

    def close(self, drain_s: float = DRAIN_S) -> NotifierStats:
        """Send what is queued for up to `drain_s`, then stop; the final counts."""
        self._drain_until = time.monotonic() + drain_s
        self._closing.set()
        self._thread.join(drain_s + JOIN_GRACE_S)
        return self.stats

    def _run(self) -> None:
        try:
            sender = self._make_sender()
        except Exception as exc:  # apprise missing or broken: say so once, then only count
            log.warning("notifications are off: %s", type(exc).__name__)
            sender = None
        dropped_noted = 0
        while True:
            if self._closing.is_set() and (self._queue.empty() or time.monotonic() > self._drain_until):
                break
            try:
                event = self._queue.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if sender is None:
                self._count(undelivered=1)
                continue
            if not self._limit.allow(self._clock()):
                self._count(dropped_rate=1)
                continue
            dropped = self.stats.dropped_rate + self.stats.dropped_full
            if dropped > dropped_noted:
                event = replace(
                    event,
                    body=f"{event.body}\n({dropped - dropped_noted} earlier notifications were dropped: "
                    "too many at once)",
                )
                dropped_noted = dropped
            if sender.send(event):
                self._count(sent=1)
            else:
                self._count(undelivered=1)
        left = self._queue.qsize()
        if left:
            self._count(dropped_closed=left)
