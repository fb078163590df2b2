"""Issue 16, reachability: every panel by Tab at 80x24, help that scrolls, log lines never cut
inside a number, the wallet's name pinned while the wallets scroll sideways, wide screens used."""

from __future__ import annotations

import pytest
from textual.containers import VerticalScroll

from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.dashboard import DashboardScreen
from ama_tui.tui.dashboard.help import DashboardHelp
from ama_tui.tui.screens.help import HelpScreen
from ama_tui.tui.widgets.action_log import ActionLog
from ama_tui.tui.widgets.fills_panel import FillsPanel
from ama_tui.tui.widgets.ladder import Ladder
from ama_tui.tui.widgets.orders_table import OrdersTable
from ama_tui.tui.widgets.styled_line import LineBuilder, clip_line
from ama_tui.tui.widgets.wallets_table import PINNED_WIDTH, WalletsTable

from .conftest import build_app, picker_settled
from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig, screen_text


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> list[EngineSnapshot]:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=5, preset="GRADUAL_FILLS")
    rig.close()
    return snapshots


# -- cutting a line -----------------------------------------------------------------------------


def test_a_long_line_is_cut_between_words_with_an_ellipsis() -> None:
    line = LineBuilder().append("00:00:05 Sim004 ", "dim").append("SELL 0.0808 @ 3,000.91", "red").build()
    for width in range(1, len(line.plain)):
        clipped = clip_line(line, width).plain
        assert len(clipped) <= width
        assert clipped.endswith("…")
        kept = clipped[:-1]
        # what is kept is whole words of the line: never a number cut in two
        assert line.plain.startswith(kept)
        assert kept == "" or line.plain[len(kept)] == " " or " " not in line.plain[:width]
    assert clip_line(line, len(line.plain)) == line


def test_a_cut_line_keeps_its_styles() -> None:
    line = LineBuilder().append("FILL ", "bold").append("BUY 0.0400 @ 3,000.43", "green").build()
    clipped = clip_line(line, 16)
    assert clipped.plain == "FILL BUY 0.0400…"
    assert clipped.pieces[0] == ("FILL ", "bold")
    assert clipped.pieces[-1][1] == "green"


async def test_no_log_line_at_80_columns_ends_inside_a_number(snapshots: list[EngineSnapshot]) -> None:
    app = DashboardApp(fresh_handle(snapshots[-1]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.screen.query_one(ActionLog)
        width = log.size.width
        assert width < 60
        for y in range(log.size.height):
            text = log.render_line(y).text.rstrip()
            if len(text) >= width - 1:
                # a full line ends with an ellipsis after a whole word, or is whole
                assert text.endswith("…")
                assert not text[-2].isdigit()


# -- Tab reaches every panel ----------------------------------------------------------------------


async def test_tab_reaches_every_panel_at_80x24_and_orders_or_fills_grow_when_focused(
    snapshots: list[EngineSnapshot],
) -> None:
    app = DashboardApp(fresh_handle(snapshots[-1]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        fills = app.screen.query_one(FillsPanel)
        collapsed = fills.outer_size.height
        assert fills.display and collapsed >= 3
        reached = set()
        orders = app.screen.query_one(OrdersTable)
        for _ in range(8):
            await pilot.press("tab")
            await pilot.pause()
            assert app.focused is not None
            reached.add(app.focused.id)
            if app.focused is fills:
                assert fills.outer_size.height > collapsed
                assert "Fills" in screen_text(app)
            if app.focused is orders:
                assert orders.outer_size.height > collapsed
                assert orders.size.height - 1 >= 3  # at least three orders under the header
        assert {"log", "orders", "fills", "wallets"} <= reached


async def test_the_dashboard_help_scrolls_at_80x24(snapshots: list[EngineSnapshot]) -> None:
    app = DashboardApp(fresh_handle(snapshots[-1]))
    async with app.run_test(size=(80, 16)) as pilot:
        await pilot.pause()
        app.push_screen(DashboardHelp(DashboardScreen.help_sections()))
        await pilot.pause()
        body = app.screen.query_one("#dashboard-help", VerticalScroll)
        assert body.max_scroll_y > 0
        body.focus()
        await pilot.press("end")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y


# -- the wallets scroll sideways under a pinned name ------------------------------------------------


async def test_the_wallet_name_stays_when_scrolled_sideways(snapshots: list[EngineSnapshot]) -> None:
    app = DashboardApp(fresh_handle(snapshots[-1]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(WalletsTable)
        assert table.max_scroll_x > 0
        table.scroll_to(x=table.max_scroll_x, animate=False, immediate=True)
        await pilot.pause()
        header = table.render_line(0).text
        first = table.render_line(1).text
        assert header[:PINNED_WIDTH].strip() == "Wallet"
        assert first[:PINNED_WIDTH].strip() == snapshots[-1].wallets[0].nickname
        assert "Status" in header  # the far end is in view
        assert len(first) == table.size.width


# -- wide screens ----------------------------------------------------------------------------------


async def test_a_wide_screen_gives_the_ladder_more_room(snapshots: list[EngineSnapshot]) -> None:
    widths = {}
    for size in ((120, 40), (200, 60)):
        app = DashboardApp(fresh_handle(snapshots[-1]))
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            widths[size[0]] = app.screen.query_one(Ladder).outer_size.width
    assert widths[200] >= 56 > widths[120]


async def test_the_app_help_scrolls_to_its_end_at_80x24(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(80, 24)) as pilot:
        await picker_settled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        body = app.screen.query_one("#help-body", VerticalScroll)
        assert body.max_scroll_y > 0
        assert app.focused is body  # the keys scroll it at once
        await pilot.press("end")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
