"""The events from a real packer's snapshots on the embedded exchange (virtual clock): a run that
ends as asked, and one the kill switch stops after failing cycles."""

from __future__ import annotations

import threading
from pathlib import Path

from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.notify.events import Event, EventKind, Level, Rules, Watch, observe
from ama_tui.venues.base import VenueUnavailable
from ama_tui.venues.sim import SimVenue
from tests.engine.helpers import Faulty, make_rig


def _events(snapshots: list[EngineSnapshot]) -> list[Event]:
    watch, found = Watch(), []
    for snap in snapshots:
        watch, events = observe(watch, snap, Rules(burst_errors=3))
        found += events
    return found


def test_a_run_that_ends_as_asked(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, wallets=2)
    try:
        summary = rig.packer.run(threading.Event(), max_cycles=3)
    finally:
        rig.close()
    events = _events(rig.snapshots)
    assert [e.kind for e in events] == [EventKind.RUN_STARTED, EventKind.RUN_STOPPED]
    assert summary.run_id in events[0].body
    assert events[1].level is Level.SUCCESS and "stopped: 3 cycles done" in events[1].body


def test_a_run_the_kill_switch_stops(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=2, overrides={"maxFailedCycles": 3})
    try:
        faulty.faults["book"] = [VenueUnavailable("connection refused")] * 10
        summary = rig.packer.run(threading.Event(), max_cycles=10)
    finally:
        rig.close()
    assert summary.kill_switch
    events = _events(rig.snapshots)
    kinds = [e.kind for e in events]
    assert kinds[0] is EventKind.RUN_STARTED
    assert kinds[-2:] == [EventKind.KILL_SWITCH, EventKind.RUN_STOPPED]
    assert EventKind.ERROR_BURST in kinds
    assert "kill switch: 3 consecutive failing cycles" in events[-2].body
    assert events[-1].level is Level.FAILURE
