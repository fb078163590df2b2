"""Help made from the bindings: a key bound on a screen or a panel is in its help by itself."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from textual.binding import Binding, BindingType
from textual.widgets import Static

from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.app import AmaApp
from ama_tui.tui.dashboard import DashboardScreen
from ama_tui.tui.dashboard.help import DashboardHelp, help_text
from ama_tui.tui.key_help import KeyRow, binding_rows, key_text, section
from ama_tui.tui.screens.help import app_sections
from ama_tui.tui.screens.picker import PickerScreen
from ama_tui.tui.widgets.orders_table import OrdersTable

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> list[EngineSnapshot]:
    rig, snapshots = make_dashboard_rig(Path(tmp_path_factory.mktemp("rig")), cycles=2)
    rig.close()
    return snapshots


def test_keys_are_shown_as_typed() -> None:
    assert [key_text(k) for k in ("question_mark", "ctrl+q", "pagedown", "slash", "escape", "enter")] == [
        "?",
        "ctrl+q",
        "pgdn",
        "/",
        "esc",
        "enter",
    ]


def test_bindings_with_one_text_share_a_row_and_silent_ones_are_left_out() -> None:
    rows = binding_rows(
        [
            Binding("up", "cursor(-1)", "Up", show=False, tooltip="move"),
            Binding("down", "cursor(1)", "Down", show=False, tooltip="move"),
            Binding("x,ctrl+x", "cut", "Cut"),
            Binding("z", "secret", show=False),  # neither a description nor a tooltip
        ],
        extra=[("type", "filter")],
    )
    assert rows == (
        KeyRow(("↑", "↓"), "move"),
        KeyRow(("x", "ctrl+x"), "Cut"),
        KeyRow(("type",), "filter"),
    )
    assert rows[1].keys_text == "x ctrl+x"


def _texts(sections: object) -> set[str]:
    return {row.meaning for s in sections for row in s.rows}  # type: ignore[attr-defined]


def test_the_app_help_lists_every_screen_binding_once() -> None:
    sections = app_sections(AmaApp.BINDINGS)
    titles = [s.title for s in sections]
    assert titles[:4] == ["Anywhere", "Market picker", "Resume or fresh", "Configuration"]
    texts = _texts(sections)
    for binding in Binding.make_bindings([*PickerScreen.BINDINGS, *OrdersTable.BINDINGS]):
        assert (binding.tooltip or binding.description) in texts
    # the dashboard's q and ? are the app's own (priority): said once, under Anywhere
    dashboard = next(s for s in sections if s.title == "Dashboard")
    assert all(not {"q", "?"} & set(row.keys) for row in dashboard.rows)
    anywhere = sections[0]
    assert anywhere.rows[0].keys == ("q", "ctrl+q", "ctrl+c")


class BusierDashboard(DashboardScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        *DashboardScreen.BINDINGS,
        Binding("n", "nudge", "Nudge", tooltip="nudge every order one tick"),
    ]


def test_a_new_dashboard_key_is_in_its_help_by_itself() -> None:
    assert "nudge every order one tick" not in _texts(DashboardScreen.help_sections())
    assert "nudge every order one tick" in _texts(BusierDashboard.help_sections())
    text = help_text(BusierDashboard.help_sections()).plain
    assert "n  nudge every order one tick" in text


async def test_question_mark_asks_the_host_for_help_with_the_dashboard_keys(
    snapshots: list[EngineSnapshot],
) -> None:
    app = DashboardApp(fresh_handle(snapshots[-1]))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, DashboardHelp)
        shown = "\n".join(str(widget.render()) for widget in app.screen.query(Static))
        for row in section("", DashboardScreen.BINDINGS).rows:
            assert row.meaning.split()[0] in shown
        assert "pause / resume quoting" in shown and "cancel the order under the cursor" in shown
