"""Issue 16, the dashboard's keys and live figures: the uptime ticks between snapshots, pause and
resume are journaled with one toast at a time."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ama_tui.core.models import ActionKind
from ama_tui.engine.order_commands import JournalNote
from ama_tui.engine.snapshot import EngineSnapshot, EngineState
from ama_tui.tui.dashboard import DashboardScreen
from ama_tui.tui.widgets.header_bar import HeaderBar

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig

SIZE = (120, 40)


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> list[EngineSnapshot]:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=5, preset="GRADUAL_FILLS")
    rig.close()
    return snapshots


def _uptime(app: DashboardApp) -> str:
    first = app.dashboard.query_one(HeaderBar).text.splitlines()[0]
    return first.split(" up ")[1].split()[0]


async def test_the_uptime_ticks_every_second_between_snapshots(snapshots: list[EngineSnapshot]) -> None:
    snapshot = replace(snapshots[-1], now=snapshots[-1].started_at + 5.0)
    app = DashboardApp(fresh_handle(snapshot))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.dashboard
        assert _uptime(app) == "0:00:05"
        app.clock.now = 2.5  # no snapshot since: the engine sleeps between cycles
        assert screen.pull() is False
        assert _uptime(app) == "0:00:07"
        # a snapshot that arrives behind what was shown does not take the counter back
        app.handle.publish(replace(snapshot, now=snapshot.now + 1.0))
        assert screen.pull() is True
        assert _uptime(app) == "0:00:07"
        app.clock.now = 4.0
        screen.pull()
        assert _uptime(app) == "0:00:07"  # 6 s + 1.5 s
        app.clock.now = 5.0
        screen.pull()
        assert _uptime(app) == "0:00:08"


async def test_a_stopped_run_s_uptime_stands(snapshots: list[EngineSnapshot]) -> None:
    snapshot = replace(snapshots[-1], now=snapshots[-1].started_at + 5.0, state=EngineState.STOPPED)
    app = DashboardApp(fresh_handle(snapshot))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.clock.now = 30.0
        app.dashboard.pull()
        assert _uptime(app) == "0:00:05"


async def test_p_journals_pause_and_resume_and_shows_one_toast(snapshots: list[EngineSnapshot]) -> None:
    handle = fresh_handle(snapshots[-1])
    app = DashboardApp(handle)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        for _ in range(6):
            await pilot.press("p")
        await pilot.pause()
        assert not handle.params.paused  # six presses: paused, resumed, three times
        notes = handle.commands.take()
        assert notes == [JournalNote(ActionKind.PAUSE), JournalNote(ActionKind.RESUME)] * 3
        toasts = list(app._notifications)
        assert len(toasts) == 1 and toasts[0].title == "Resuming"
        assert isinstance(app.dashboard, DashboardScreen)
