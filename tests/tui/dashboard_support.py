"""Real, deterministic engine snapshots for the dashboard's tests, and a tiny app to show them.

The snapshots come from a real packer on the embedded exchange (fixed seed, virtual clock, fixed
run id). Cycle durations are measured with the wall clock by the engine, so they are pinned here.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

from ama_tui.core.models import PackerParams, RunConfig
from ama_tui.engine.live_params import LiveParams
from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.dashboard import DashboardScreen
from ama_tui.tui.dashboard.help import DashboardHelp
from ama_tui.tui.engine_handle import EngineHandle
from ama_tui.tui.fill_totals import FillCounter
from ama_tui.venues.base import VenueKind
from tests.engine.helpers import Rig, make_rig

RUN_ID = "d45b0a7d-5eed-4007-8000-000000000007"
OVERRIDES: dict[str, Any] = {"maxWalletUtilization": 0.9, "sizeMin": 0.01, "sizeMax": 0.05}
CYCLE_MS = 12.0


def steady(snapshot: EngineSnapshot) -> EngineSnapshot:
    """The snapshot with its wall-clock cycle durations pinned (everything else is deterministic)."""
    last = snapshot.last_cycle
    totals = snapshot.totals
    return replace(
        snapshot,
        last_cycle=replace(last, duration_ms=CYCLE_MS) if last is not None else None,
        totals=replace(totals, duration_ms=CYCLE_MS * totals.cycle),
    )


def make_dashboard_rig(
    state_dir: Path,
    *,
    wallets: int = 4,
    cycles: int = 6,
    step_s: float = 1.0,
    preset: str = "PERFECT_EXECUTION",
    seed: int = 7,
) -> tuple[Rig, list[EngineSnapshot]]:
    """A rig run for `cycles` cycles (the sim advancing `step_s` between them); one snapshot per cycle."""
    rig = make_rig(state_dir, seed=seed, preset=preset, wallets=wallets, run_id=RUN_ID, overrides=OVERRIDES)
    rig.packer.ensure_sessions()
    snapshots = []
    fills = FillCounter()  # as the app's engine thread adds them up
    for _ in range(cycles):
        rig.packer.cycle()
        snapshots.append(steady(fills.see(rig.snapshots[-1])))
        rig.venue.advance(step_s)
    return rig, snapshots


def make_handle(rig: Rig, snapshot: EngineSnapshot | None = None) -> EngineHandle:
    """A handle on the rig's own live params."""
    handle = EngineHandle(rig.params, venue_kind=VenueKind.SIM)
    if snapshot is not None:
        handle.publish(snapshot)
    return handle


def fresh_handle(snapshot: EngineSnapshot | None, *, kind: VenueKind = VenueKind.SIM) -> EngineHandle:
    """A handle with live params of its own (tests change them), showing `snapshot` when given."""
    if snapshot is not None:
        params = LiveParams(snapshot.config, snapshot.packer)
    else:
        params = LiveParams(RunConfig(), PackerParams())
    handle = EngineHandle(params, venue_kind=kind)
    if snapshot is not None:
        handle.publish(snapshot)
    return handle


class FakeClock:
    """The screen's monotonic clock, moved by the test (the uptime counts on by it)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class DashboardApp(App[None]):
    """Just the dashboard, on a handle the test feeds. Repaints are not paced by CPU time
    (`cpu_budget=None`), so a published snapshot shows at the next pull on any machine; the
    screen's clock stands still unless the test moves it (`clock`), so screenshots do not depend
    on how long a pause took."""

    def __init__(self, handle: EngineHandle, **screen_options: Any) -> None:
        super().__init__()
        self.handle = handle
        self.clock = FakeClock()
        self.screen_options = {"cpu_budget": None, "clock": self.clock, **screen_options}

    def on_mount(self) -> None:
        self.push_screen(DashboardScreen(self.handle, **self.screen_options))

    def on_dashboard_screen_help_requested(self, message: DashboardScreen.HelpRequested) -> None:
        self.push_screen(DashboardHelp(message.sections))

    def on_dashboard_screen_quit_requested(self) -> None:
        self.handle.request_stop()

    @property
    def dashboard(self) -> DashboardScreen:
        screen = self.screen_stack[1] if len(self.screen_stack) > 1 else self.screen
        assert isinstance(screen, DashboardScreen)
        return screen


async def wait_until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `predicate()` holds (a loaded machine may delay a timer a lot)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for the dashboard")
        await pilot.pause(0.02)


def screen_text(app: App[Any]) -> str:
    """The screen as plain text (what a user reads), for assertions on layout and content."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()
