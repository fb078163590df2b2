"""The UI's handle on a running packer. The worker thread writes the latest snapshot here; the
UI reads it on its own timer (at most 10 Hz) and sends requests through it. No widget is ever
touched from the worker thread."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from ama_tui.core.models import ActionKind
from ama_tui.engine.live_params import LiveParams, ParamsChange
from ama_tui.engine.order_commands import CancelOrders, CommandInbox, JournalNote
from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.venues.base import VenueKind


class EngineHandle:
    def __init__(
        self,
        params: LiveParams,
        *,
        venue_kind: VenueKind,
        dry_run: bool = False,
        stop_event: threading.Event | None = None,
    ) -> None:
        """`stop_event`: one shared by the markets of a run over several (quitting stops them all)."""
        self.params = params
        self.venue_kind = venue_kind
        self.dry_run = dry_run
        self.stop_event = stop_event or threading.Event()
        self.commands = CommandInbox()
        """What the engine thread carries out after its current cycle (`order_commands`)."""
        self._lock = threading.Lock()
        self._latest: EngineSnapshot | None = None
        self._version = 0

    # -- written by the worker ---------------------------------------------------------------

    def publish(self, snapshot: EngineSnapshot) -> None:
        with self._lock:
            self._latest = snapshot
            self._version += 1

    # -- read by the UI ------------------------------------------------------------------------

    @property
    def latest(self) -> EngineSnapshot | None:
        with self._lock:
            return self._latest

    def latest_if_newer(self, seen_version: int) -> tuple[int, EngineSnapshot | None]:
        """(version, snapshot) when a snapshot newer than `seen_version` exists, else (seen, None)."""
        with self._lock:
            if self._version == seen_version:
                return seen_version, None
            return self._version, self._latest

    @property
    def badge(self) -> str:
        """SIM / DEVNET / LIVE / DRY-RUN, for the header."""
        return "DRY-RUN" if self.dry_run else self.venue_kind.value

    # -- requests from the UI --------------------------------------------------------------------

    def request_stop(self) -> None:
        self.stop_event.set()

    def toggle_pause(self) -> bool:
        """Pause or resume from the next cycle; the journal says so (`PAUSE` / `RESUME`)."""
        paused = self.params.toggle_pause()
        self.commands.put(JournalNote(ActionKind.PAUSE if paused else ActionKind.RESUME))
        return paused

    def request_cancel(self, trader: str, order_ids: Sequence[int]) -> None:
        """Cancel these orders of one wallet after the engine's current cycle (the packer may
        place new ones at its next cycle unless paused)."""
        if order_ids:
            self.commands.put(CancelOrders(trader, tuple(order_ids)))

    def request_cancel_all(self) -> None:
        """The engine cancels every order of ours at its next cycle start, then stops."""
        self.params.request_cancel_all()

    def update_params(self, changes: Mapping[str, Any]) -> ParamsChange:
        """Validated by the pydantic models; raises ParamsError (with per-field messages)."""
        return self.params.update(changes)
