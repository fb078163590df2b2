"""Screenshots of the dashboard and the live-parameters editor, from a deterministic rig run
(fixed seed, virtual clock, fixed run id, pinned cycle durations, no cursor blink).
Regenerate with `uv run pytest tests/tui/test_dashboard_snapshots.py --snapshot-update`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.dashboard import ParamsEditor
from ama_tui.tui.screens.confirm import ConfirmScreen
from ama_tui.tui.widgets.action_log import ActionLog

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig

SnapCompare = Callable[..., bool]


@pytest.fixture(scope="module")
def snapshot_app(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], DashboardApp]:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=6, preset="GRADUAL_FILLS")
    rig.close()
    last: EngineSnapshot = snapshots[-1]
    return lambda: DashboardApp(fresh_handle(last))


async def _settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()


async def _refused_edit(pilot: Pilot[Any]) -> None:
    """Open the editor, type a value out of range and save: the error shows next to the field."""
    await pilot.pause()
    await pilot.press("e")
    editor = pilot.app.screen
    assert isinstance(editor, ParamsEditor)
    for box in editor.query(Input):
        box.cursor_blink = False
    editor.query_one("#param-maxWalletUtilization", Input).value = "5"
    editor.query_one("#param-ordersPerSidePerWallet", Input).value = "4"
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert pilot.app.screen is editor


async def _confirm_cancel_all(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.press("x")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConfirmScreen)


async def _filtered_log(pilot: Pilot[Any]) -> None:
    """`/`, a wallet and an action, Enter: the log shows only those lines, its title says so."""
    await pilot.pause()
    await pilot.press("slash")
    await pilot.press(*"Sim002 place")
    await pilot.press("enter")
    await pilot.pause()
    log = pilot.app.screen.query_one(ActionLog)
    assert log.filter_text == "Sim002 place" and 0 < log.item_count() < log.entry_count


async def _scrolled_log(pilot: Pilot[Any]) -> None:
    """Scrolled back, the log shows its scrollbar and how to follow again."""
    await pilot.pause()
    log = pilot.app.screen.query_one(ActionLog)
    log.focus()
    await pilot.press("home")
    await pilot.pause()
    assert log.has_class("-scrolled")


RUN_BEFORE: dict[str, Callable[[Pilot[Any]], Awaitable[None]]] = {
    "dashboard": _settle,
    "params_editor": _refused_edit,
    "confirm_cancel_all": _confirm_cancel_all,
    "filtered_log": _filtered_log,
    "scrolled_log": _scrolled_log,
}


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize("view", sorted(RUN_BEFORE))
def test_screenshot(
    snap_compare: SnapCompare,
    snapshot_app: Callable[[], DashboardApp],
    view: str,
    size: tuple[int, int],
) -> None:
    assert snap_compare(snapshot_app(), terminal_size=size, run_before=RUN_BEFORE[view])
