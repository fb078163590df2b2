"""The sim's event log: every state change as a compact tuple, and a running sha256 over them.

An event is `(kind, time_ms, *fields)` with only ints, strs and bools, serialised canonically as
the tuple's `repr` (exact for those types, and several times cheaper than JSON), one line each.
Two hashes run side by side: one over every event, one that leaves out rejections and relay
failures (`include_rejections=False`), so a test can check that a refused request changed nothing
while the full log still records that it was refused.

A session is logged by trader, expiry, nonce and methods, not by id: the id hashes the client's
random salt, and leaving it out keeps two runs of the same calls identical.
"""

from __future__ import annotations

import hashlib
from collections import deque
from typing import Final

Event = tuple[str | int | bool, ...]

NON_STATE_KINDS: Final = frozenset({"reject", "relay_failure"})

DEFAULT_KEEP: Final = 200_000
"""How many recent events stay readable; the hashes always cover every event ever appended."""


class EventLog:
    __slots__ = ("_all", "_count", "_events", "_state")

    def __init__(self, keep: int = DEFAULT_KEEP) -> None:
        self._events: deque[Event] = deque(maxlen=keep)
        self._all = hashlib.sha256()
        self._state = hashlib.sha256()
        self._count = 0

    def append(self, kind: str, time_ms: int, *fields: str | int | bool) -> None:
        event: Event = (kind, time_ms, *fields)
        line = repr(event).encode() + b"\n"
        self._all.update(line)
        if kind not in NON_STATE_KINDS:
            self._state.update(line)
        self._events.append(event)
        self._count += 1

    def __len__(self) -> int:
        """Events ever appended (not only those still kept)."""
        return self._count

    def recent(self, limit: int | None = None) -> tuple[Event, ...]:
        events = tuple(self._events)
        return events if limit is None else events[-limit:] if limit > 0 else ()

    def hexdigest(self, *, include_rejections: bool = True) -> str:
        return (self._all if include_rejections else self._state).copy().hexdigest()
