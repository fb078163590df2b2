"""Screenshots of the dashboard's issue-16 panels at 80x24, 120x40 and 200x60: every panel (the
totals strip, the open orders beside the log and the fills), the orders panel focused and sorted,
the alert banner, the history sparklines after a run's first seconds and the ladder zoomed out.
Regenerate with
`uv run pytest tests/tui/test_dashboard_panels_snapshots.py --snapshot-update`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot

from ama_tui.engine.packer import KILL_SWITCH_PREFIX
from ama_tui.engine.snapshot import EngineSnapshot, EngineState
from ama_tui.tui.dashboard import DashboardScreen
from ama_tui.tui.widgets.alert_banner import AlertBanner
from ama_tui.tui.widgets.ladder import Ladder
from ama_tui.tui.widgets.orders_table import OrdersTable

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig

SnapCompare = Callable[..., bool]
SIZES = [(80, 24), (120, 40), (200, 60)]
SIZE_IDS = ["80x24", "120x40", "200x60"]


HISTORY_CYCLES = 16


@pytest.fixture(scope="module")
def run_snapshots(tmp_path_factory: pytest.TempPathFactory) -> list[EngineSnapshot]:
    """A run's first seconds, a snapshot a second (the sparklines sample one a second)."""
    rig, snapshots = make_dashboard_rig(
        tmp_path_factory.mktemp("history"), cycles=HISTORY_CYCLES, preset="GRADUAL_FILLS"
    )
    rig.close()
    return snapshots


@pytest.fixture(scope="module")
def last_snapshot(tmp_path_factory: pytest.TempPathFactory) -> EngineSnapshot:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=6, preset="GRADUAL_FILLS")
    rig.close()
    return snapshots[-1]


def alarming(snapshot: EngineSnapshot) -> EngineSnapshot:
    """The kill switch tripped and a wallet over its cap."""
    over = replace(snapshot.wallets[2], reserved6=snapshot.wallets[2].cap6 + 12_340_000)
    return replace(
        snapshot,
        state=EngineState.STOPPED,
        stop_reason=f"{KILL_SWITCH_PREFIX}3 consecutive failing cycles",
        wallets=(*snapshot.wallets[:2], over, *snapshot.wallets[3:]),
    )


async def _settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()


async def _orders_sorted(pilot: Pilot[Any]) -> None:
    """The orders focused (the cursor shows), sorted by ticks from the top, the cursor moved."""
    await pilot.pause()
    table = pilot.app.screen.query_one(OrdersTable)
    table.focus()
    while table.sort_key != "distance":
        await pilot.press("s")
    await pilot.press("down", "down")
    await pilot.pause()


async def _banner(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    assert pilot.app.screen.query_one(AlertBanner).has_class("-shown")


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_all_panels(snap_compare: SnapCompare, last_snapshot: EngineSnapshot, size: tuple[int, int]) -> None:
    assert snap_compare(DashboardApp(fresh_handle(last_snapshot)), terminal_size=size, run_before=_settle)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_orders_focused_and_sorted(
    snap_compare: SnapCompare, last_snapshot: EngineSnapshot, size: tuple[int, int]
) -> None:
    app = DashboardApp(fresh_handle(last_snapshot))
    assert snap_compare(app, terminal_size=size, run_before=_orders_sorted)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_alert_banner(
    snap_compare: SnapCompare, last_snapshot: EngineSnapshot, size: tuple[int, int]
) -> None:
    app = DashboardApp(fresh_handle(alarming(last_snapshot)))
    run_before: Callable[[Pilot[Any]], Awaitable[None]] = _banner
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_history_sparklines(
    snap_compare: SnapCompare, run_snapshots: list[EngineSnapshot], size: tuple[int, int]
) -> None:
    """Every snapshot of the run shown in turn: the wallets' trend columns and the fleet's in the
    totals strip hold one sample a second."""
    handle = fresh_handle(run_snapshots[0])

    async def play(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, DashboardScreen)
        for snapshot in run_snapshots[1:]:
            handle.publish(snapshot)
            assert screen.pull()
        await pilot.pause()

    assert snap_compare(DashboardApp(handle), terminal_size=size, run_before=play)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_ladder_zoomed_out(
    snap_compare: SnapCompare, last_snapshot: EngineSnapshot, size: tuple[int, int]
) -> None:
    """`-` twice: five ticks a row, the title says 0.05 ×5."""

    async def zoom_out(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        await pilot.press("minus", "minus")
        await pilot.pause()
        assert pilot.app.screen.query_one(Ladder).group == 5

    assert snap_compare(DashboardApp(fresh_handle(last_snapshot)), terminal_size=size, run_before=zoom_out)
