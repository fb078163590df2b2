"""Why a sandboxed strategy stopped."""

from __future__ import annotations

from collections.abc import Sequence


class StrategyStopped(Exception):
    """The strategy was stopped (its process killed) because of what it did, or failed to load.

    `reason` names what the strategy did, e.g. "exceeded its 2.0 s time limit in analyze";
    `events` are the intents and logs of the interrupted call (its answered orders stand).
    """

    def __init__(self, reason: str, strategy: str = "strategy", events: Sequence[object] = ()) -> None:
        super().__init__(f"{strategy} stopped: {reason}")
        self.reason = reason
        self.strategy = strategy
        self.events = list(events)


class SandboxUnavailable(StrategyStopped):
    """This machine cannot confine a strategy; it runs only with `allow_unsandboxed=True`."""
