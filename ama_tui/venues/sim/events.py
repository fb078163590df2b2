"""The sim's event log: every state change as a compact tuple, and a running sha256 over them.

An event is `(kind, time_ms, *fields)` with only ints, strs and bools, serialised canonically as
the tuple's `repr` (exact for those types, and several times cheaper than JSON), one line each.
Two hashes run side by side: one over every event, one that leaves out rejections and relay
failures (`include_rejections=False`), so a test can check that a refused request changed nothing
while the full log still records that it was refused.

A running hash is chained every `HASH_BLOCK` lines (each block is hashed after the previous block's
digest) rather than one sha256 over the whole stream: hashlib cannot save a hash half way, and a
chain can be saved as one digest plus the lines of the unfinished block, so a restored exchange
(`snapshot_state`) goes on with the same hashes as the one it was saved from.

A session is logged by trader, expiry, nonce and methods, not by id: the id hashes the client's
random salt, and leaving it out keeps two runs of the same calls identical.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Sequence
from itertools import islice
from typing import Any, Final

from ama_tui.venues.sim.plain import as_dict, as_int, as_list, as_str

Event = tuple[str | int | bool, ...]

NON_STATE_KINDS: Final = frozenset({"reject", "relay_failure"})

DEFAULT_KEEP: Final = 200_000
"""How many recent events stay readable; the hashes always cover every event ever appended."""
HASH_BLOCK: Final = 256
"""Lines per link of a running hash's chain."""


class _ChainedHash:
    """sha256 over lines, chained every `HASH_BLOCK` lines: digest(base + lines of the open block)."""

    __slots__ = ("_base", "_hasher", "_pending")

    def __init__(self, base: bytes = b"", pending: Sequence[bytes] = ()) -> None:
        self._base = base
        self._hasher = hashlib.sha256(base)
        self._pending: list[bytes] = []
        for line in pending:
            self.add(line)

    def add(self, line: bytes) -> None:
        self._hasher.update(line)
        pending = self._pending
        pending.append(line)
        if len(pending) >= HASH_BLOCK:
            self._base = self._hasher.digest()
            self._hasher = hashlib.sha256(self._base)
            pending.clear()

    def hexdigest(self) -> str:
        return self._hasher.copy().hexdigest()

    def to_plain(self) -> dict[str, Any]:
        return {"base": self._base.hex(), "pending": [line.decode() for line in self._pending]}

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> _ChainedHash:
        base = bytes.fromhex(as_str(data["base"]))
        if len(base) not in (0, 32):
            raise ValueError("a chained hash's base is a sha256 digest")
        pending = [as_str(line).encode() for line in as_list(data["pending"])]
        if len(pending) >= HASH_BLOCK or not all(line.endswith(b"\n") for line in pending):
            raise ValueError("a chained hash holds less than a block of whole lines")
        return cls(base, pending)


class EventLog:
    __slots__ = ("_all", "_count", "_events", "_state")

    def __init__(self, keep: int = DEFAULT_KEEP) -> None:
        self._events: deque[Event] = deque(maxlen=keep)
        self._all = _ChainedHash()
        self._state = _ChainedHash()
        self._count = 0

    def append(self, kind: str, time_ms: int, *fields: str | int | bool) -> None:
        event: Event = (kind, time_ms, *fields)
        line = repr(event).encode() + b"\n"
        self._all.add(line)
        if kind not in NON_STATE_KINDS:
            self._state.add(line)
        self._events.append(event)
        self._count += 1

    def __len__(self) -> int:
        """Events ever appended (not only those still kept)."""
        return self._count

    def recent(self, limit: int | None = None) -> tuple[Event, ...]:
        events = tuple(self._events)
        return events if limit is None else events[-limit:] if limit > 0 else ()

    def hexdigest(self, *, include_rejections: bool = True) -> str:
        return (self._all if include_rejections else self._state).hexdigest()

    def to_plain(self, recent: int) -> dict[str, Any]:
        """The hashes' state, the count, and the latest `recent` events (for a snapshot)."""
        return {
            "count": self._count,
            "all": self._all.to_plain(),
            "state": self._state.to_plain(),
            "recent": [list(event) for event in islice(reversed(self._events), recent)][::-1],
        }

    @classmethod
    def from_plain(cls, data: dict[str, Any], keep: int = DEFAULT_KEEP) -> EventLog:
        """Rebuild a log from `to_plain`: the same hashes and count; the saved recent events readable."""
        log = cls(keep)
        count = as_int(data["count"], minimum=0)
        events = [tuple(as_list(event)) for event in as_list(data["recent"])]
        if len(events) > count:
            raise ValueError("more recent events than events")
        for event in events:
            if len(event) < 2 or type(event[0]) is not str or type(event[1]) is not int:
                raise ValueError("an event is (kind, time_ms, *fields)")
            if not all(type(value) in (str, int, bool) for value in event):
                raise ValueError("event fields are ints, strs and bools")
        log._events.extend(events)
        log._all = _ChainedHash.from_plain(as_dict(data["all"]))
        log._state = _ChainedHash.from_plain(as_dict(data["state"]))
        log._count = count
        return log
