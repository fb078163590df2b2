"""The dashboard screen driven by a handle fed with real snapshots from a packer on the sim."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Input, Label, Static

from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.dashboard import DashboardScreen, ParamsEditor
from ama_tui.tui.dashboard.help import DashboardHelp
from ama_tui.tui.dashboard.refresh_budget import RefreshBudget
from ama_tui.tui.dashboard.wallet_status import WalletStatusScreen
from ama_tui.tui.screens.confirm import ConfirmScreen
from ama_tui.tui.sparkline import RingsByKey
from ama_tui.tui.widgets.action_log import ActionLog
from ama_tui.tui.widgets.fills_panel import FillsPanel
from ama_tui.tui.widgets.header_bar import HeaderBar
from ama_tui.tui.widgets.ladder import Ladder
from ama_tui.tui.widgets.log_filter import LogFilterInput
from ama_tui.tui.widgets.trends import wallet_sample, wallet_trends
from ama_tui.tui.widgets.wallets_table import COLUMN_KEYS, WalletsTable, changed_columns, wallet_cells
from ama_tui.venues.base import VenueKind

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig, screen_text, wait_until

SIZE = (120, 40)


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> list[EngineSnapshot]:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=5)
    rig.close()
    return snapshots


async def test_shows_market_badge_wallets_ladder_log_and_fills(snapshots: list[EngineSnapshot]) -> None:
    snapshot = snapshots[-1]
    app = DashboardApp(fresh_handle(snapshot))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.dashboard
        assert screen.snapshot is snapshot and screen.repaints == 1
        text = screen_text(app)
        assert "ETH-USD" in text and " SIM " in text and "RUNNING" in text and "d45b0a7d" in text
        table = screen.query_one(WalletsTable)
        assert table.row_keys == [w.address for w in snapshot.wallets]
        for w in snapshot.wallets:
            assert table.cell_text(w.address, "wallet") == w.nickname
            assert w.nickname in text
        assert "spread" in text and "mid" in text and "●" in text
        assert snapshot.book is not None
        assert screen.query_one(Ladder).border_title == "Book ETH-USD · 0.01 ×1"  # one tick a row
        log = screen.query_one(ActionLog)
        assert log.entry_count == len(snapshot.journal_tail)
        assert log.visible_lines[-1] is snapshot.journal_tail[-1]
        assert screen.query_one(FillsPanel).item_count() == len(snapshot.recent_fills) > 0
        # nothing new: the timer pulls but does not repaint
        await pilot.pause(0.3)
        assert screen.repaints == 1


async def test_waits_for_the_first_snapshot_then_shows_it(snapshots: list[EngineSnapshot]) -> None:
    handle = fresh_handle(None, kind=VenueKind.LIVE)
    app = DashboardApp(handle, refresh_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "waiting for the engine" in screen_text(app) and app.dashboard.repaints == 0
        handle.publish(snapshots[-1])
        await wait_until(pilot, lambda: app.dashboard.repaints == 1)
        await pilot.pause()
        header = app.dashboard.query_one(HeaderBar)
        assert "LIVE" in screen_text(app) and header.has_class("-live")


async def test_a_newer_snapshot_updates_only_the_changed_cells(snapshots: list[EngineSnapshot]) -> None:
    older, newer = snapshots[-2], snapshots[-1]
    handle = fresh_handle(older)
    app = DashboardApp(handle, refresh_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.dashboard
        table = screen.query_one(WalletsTable)
        writes_before = table.cell_writes
        assert writes_before == len(older.wallets) * len(COLUMN_KEYS)
        log_before = screen.query_one(ActionLog).entry_count

        handle.publish(newer)
        await wait_until(pilot, lambda: screen.repaints == 2)
        assert screen.snapshot is newer
        # the cells that changed, the trends included: a second later, each has a second sample
        rings = RingsByKey()
        rings.add(older.now, {w.address: wallet_sample(w) for w in older.wallets})
        trends_before = {address: wallet_trends(ring) for address, ring in rings.rings.items()}
        rings.add(newer.now, {w.address: wallet_sample(w) for w in newer.wallets})
        trends_after = {address: wallet_trends(ring) for address, ring in rings.rings.items()}
        expected = sum(
            len(
                changed_columns(
                    wallet_cells(a, older.now, trends_before[a.address]),
                    wallet_cells(b, newer.now, trends_after[b.address]),
                )
            )
            for a, b in zip(older.wallets, newer.wallets, strict=True)
        )
        assert 0 < table.cell_writes - writes_before == expected < len(newer.wallets) * len(COLUMN_KEYS)
        assert table.row_count == len(newer.wallets)
        for w in newer.wallets:
            cells = dict(zip(COLUMN_KEYS, wallet_cells(w, newer.now), strict=True))
            for key in ("orders", "pnl", "session", "available"):
                assert table.cell_text(w.address, key) == cells[key][0]
        # the log appended only the lines the newer tail adds
        log = screen.query_one(ActionLog)
        assert log.visible_lines[-1] is newer.journal_tail[-1]
        assert log.entry_count > log_before
        assert len({id(line) for line in log.visible_lines}) == log.entry_count

        # one wallet changes one cell: one cell written, one row rendered again, the rest cached
        await wait_until(pilot, lambda: table.rows_rendered >= len(newer.wallets) * 2)
        await pilot.pause()
        writes, rendered = table.cell_writes, table.rows_rendered
        ladder = screen.query_one(Ladder)
        ladder_lines = ladder.lines_rendered
        second = newer.wallets[1]
        one = replace(
            newer,
            wallets=(newer.wallets[0], replace(second, open_buys=second.open_buys + 1), *newer.wallets[2:]),
        )
        handle.publish(one)
        await wait_until(pilot, lambda: screen.repaints == 3 and table.rows_rendered > rendered)
        await pilot.pause(0.1)
        assert table.cell_writes - writes == 1
        assert table.rows_rendered - rendered == 1
        assert ladder.lines_rendered == ladder_lines, "the same book: every ladder line came from the cache"
        assert table.cell_text(second.address, "orders") == f"{second.open_buys + 1}/{second.open_sells}"

        # a wallet that disappears loses its row
        gone = replace(newer, wallets=newer.wallets[1:], now=newer.now + 1)
        handle.publish(gone)
        await wait_until(pilot, lambda: screen.repaints == 4)
        assert table.row_count == len(newer.wallets) - 1
        assert table.row_keys == [w.address for w in newer.wallets[1:]]


BELOW_MIN = (
    "BELOW_MIN_SIZE: sell level 1: margin 7125000000 over the 2000000000 left; scaled size "
    "22736842105263157 is below the minimum 50000000000000000 (and 11 more)"
)


def skipping(snapshot: EngineSnapshot) -> EngineSnapshot:
    """The snapshot with Sim001 skipping (and keeping its last error) and Sim002 without a session."""
    first, second, *rest = snapshot.wallets
    return replace(
        snapshot,
        wallets=(
            replace(first, skip_reason=BELOW_MIN, last_error="place buy level 2 failed: 503: relay down"),
            replace(second, skip_reason="NO_SESSION: the wallet has no session yet", last_error=None),
            *rest,
        ),
        floor_ticks=645,
        sigma6=1_139_231.7,
        latency_s=2.0,
        skips_by_reason=(("BELOW_MIN_SIZE", 26), ("NO_SESSION", 3)),
        now=snapshot.now + 1,
    )


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_a_skipping_wallet_says_why(snapshots: list[EngineSnapshot], size: tuple[int, int]) -> None:
    snapshot = skipping(snapshots[-1])
    first, second = snapshot.wallets[:2]
    app = DashboardApp(fresh_handle(snapshot))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        table = app.dashboard.query_one(WalletsTable)
        # the row: the reason in a few words, and the last error kept
        assert table.cell_text(first.address, "status") == "skip: below min size · err: 503: relay down"
        assert table.cell_text(second.address, "status") == "skip: no session"
        assert table.shown_text(first.address, "status").startswith("skip: below min size")
        # at any width, the panel's border says it (the Status column may be scrolled off at 80)
        assert table.border_subtitle == "skipping: below min size · no session"
        assert "skipping: below min size · no session" in screen_text(app)
        # enter on the panel: every reason and error in full
        table.focus()
        await pilot.press("enter")
        details = app.screen
        assert isinstance(details, WalletStatusScreen)
        shown = "\n".join(str(widget.render()) for widget in details.query(Static))
        assert " ".join(BELOW_MIN.split()) in " ".join(shown.split())
        assert "place buy level 2 failed: 503: relay down" in shown
        assert "the wallet has no session yet" in shown
        assert "Safety floor 645 ticks (6.45)" in shown and "× √(latency 2.00 s)" in shown
        assert "Cap = maxWalletUtilization 0.9 × (free collateral + margin held by our open orders)" in shown
        assert "below min size 26, no session 3" in shown
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_the_book_shows_the_safety_floor(snapshots: list[EngineSnapshot]) -> None:
    snapshot = skipping(snapshots[-1])
    app = DashboardApp(fresh_handle(snapshot))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.dashboard.query_one(Ladder).border_subtitle == "floor 645 ticks (6.45)"
        assert "floor 645 ticks (6.45)" in screen_text(app)


async def test_details_say_so_when_every_wallet_places(snapshots: list[EngineSnapshot]) -> None:
    snapshot = snapshots[-1]
    calm = replace(snapshot, wallets=tuple(replace(w, last_error=None) for w in snapshot.wallets))
    app = DashboardApp(fresh_handle(calm))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.dashboard.query_one(WalletsTable)
        assert not table.border_subtitle and table.summary == ""
        table.focus()
        await pilot.press("enter")
        assert isinstance(app.screen, WalletStatusScreen)
        shown = "\n".join(str(widget.render()) for widget in app.screen.query(Static))
        assert "Every wallet places what it wants, and none has an error." in shown


async def test_p_toggles_pause(snapshots: list[EngineSnapshot]) -> None:
    handle = fresh_handle(snapshots[-1])
    app = DashboardApp(handle)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("p")
        assert handle.params.paused
        assert "RUNNING → pausing" in screen_text(app)
        assert any(n.title == "Pausing" for n in app._notifications)
        await pilot.press("p")
        assert not handle.params.paused
        assert "pausing" not in screen_text(app)


async def test_e_edits_parameters_refusing_bad_values(snapshots: list[EngineSnapshot]) -> None:
    handle = fresh_handle(snapshots[-1])
    app = DashboardApp(handle)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("e")
        editor = app.screen
        assert isinstance(editor, ParamsEditor)
        shown = {box.id: box.value for box in editor.query(Input)}
        assert shown["param-maxWalletUtilization"] == "0.9"
        assert shown["param-ordersPerSidePerWallet"] == "6"
        assert len(shown) == 16, (
            "the tunables only (not the original tool's makerRatio, maxOpenOrdersPerMaker, mode)"
        )
        assert editor.focused is editor.query_one("#param-minDelayMs", Input), "the first field has the focus"
        assert "0.02 to 0.9" in str(editor.query_one("#help-maxWalletUtilization", Static).render())
        assert str(editor.query_one(".param-name", Label).render()) == "Min delay between cycles (ms)"

        box = editor.query_one("#param-maxWalletUtilization", Input)
        box.value = "5"
        box.focus()
        await pilot.press("enter")
        assert app.screen is editor, "a refused change keeps the editor open"
        error = editor.query_one("#error-maxWalletUtilization", Static)
        assert error.has_class("-shown") and "0.9" in str(error.render())
        assert box.has_class("-invalid")
        view = handle.params.current()
        assert view.version == 0 and str(view.packer.max_wallet_utilization) == "0.9"

        box.value = "0.9"
        editor.query_one("#param-ordersPerSidePerWallet", Input).value = "4"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        view = handle.params.current()
        assert view.version == 1 and view.packer.orders_per_side == 4
        assert str(view.packer.max_wallet_utilization) == "0.9"
        assert any("ordersPerSidePerWallet 6 → 4" in n.message for n in app._notifications)


async def test_e_then_escape_changes_nothing(snapshots: list[EngineSnapshot]) -> None:
    handle = fresh_handle(snapshots[-1])
    app = DashboardApp(handle)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        assert isinstance(app.screen, ParamsEditor)
        app.screen.query_one("#param-minDelayMs", Input).value = "300"
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        assert handle.params.current().version == 0


async def test_slash_filters_the_log(snapshots: list[EngineSnapshot]) -> None:
    snapshot = snapshots[-1]
    app = DashboardApp(fresh_handle(snapshot))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.dashboard
        log = screen.query_one(ActionLog)
        box = screen.query_one(LogFilterInput)
        assert not box.display
        await pilot.press("slash")
        assert box.display and box.has_focus
        await pilot.press(*"FILL", "enter")
        fills = [line for line in snapshot.journal_tail if line.action == "FILL"]
        assert fills and log.visible_lines == fills
        assert not box.display and log.filter_text == "FILL"
        assert "FILL (" in str(log.border_title)
        # wallet and action together
        await pilot.press("slash")
        assert box.value == "FILL"
        box.value = "sim002 fill"
        await pilot.press("enter")
        assert log.visible_lines == [line for line in fills if line.nickname == "Sim002"]
        # Escape clears and hides
        await pilot.press("slash", "escape")
        assert not box.display and log.filter_text == ""
        assert log.visible_lines == list(snapshot.journal_tail)


async def test_x_then_yes_requests_cancel_all_and_no_does_not(snapshots: list[EngineSnapshot]) -> None:
    handle = fresh_handle(snapshots[-1])
    app = DashboardApp(handle)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        app.screen.dismiss(False)
        await pilot.pause()
        assert not handle.params.cancel_all_requested
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        app.screen.dismiss(True)
        await pilot.pause()
        assert handle.params.cancel_all_requested
        assert "cancel-all" in screen_text(app)


async def test_help_and_quit_without_app_actions(snapshots: list[EngineSnapshot]) -> None:
    handle = fresh_handle(snapshots[-1])
    app = DashboardApp(handle)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        assert isinstance(app.screen, DashboardHelp)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("q")
        assert handle.stop_event.is_set()


async def test_the_log_keeps_at_most_max_lines(snapshots: list[EngineSnapshot]) -> None:
    snapshot = snapshots[-1]
    app = DashboardApp(fresh_handle(snapshot))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        log = app.dashboard.query_one(ActionLog)
        tail = list(snapshot.journal_tail)
        many = (tail * (5_000 // len(tail) + 1))[:5_000]
        assert log.add_lines(many) == 5_000
        assert log.entry_count == log.max_lines == 2_000
        assert log.item_count() == 2_000
        log.set_filter("fill")
        assert 0 < log.item_count() < 2_000
        assert all(line.action == "FILL" for line in log.visible_lines)
        log.add_lines(many[:10])
        assert log.entry_count == 2_000
        await pilot.pause()
        assert log.scroll_offset.y == log.max_scroll_y  # follows the end


def test_refresh_budget_paces_repaints_by_their_cpu_cost() -> None:
    clock = {"cpu": 0.0, "wall": 0.0}
    budget = RefreshBudget(0.2, cpu_clock=lambda: clock["cpu"], wall_clock=lambda: clock["wall"])
    assert budget.allow()  # nothing spent yet
    budget.start()
    clock["cpu"] += 0.05  # a 50 ms repaint...
    clock["wall"] += 0.1
    assert not budget.allow()  # ...is 50 % of the last 100 ms
    clock["wall"] += 0.15
    assert budget.allow()  # 50 ms in 250 ms: 20 %
    budget.start()
    clock["cpu"] += 0.005  # a cheap repaint keeps the full rate
    clock["wall"] += 0.1
    assert budget.allow()
    with pytest.raises(ValueError):
        RefreshBudget(0)


def test_refresh_budget_charges_an_early_tick_against_the_whole_interval() -> None:
    """A timer tick that comes 30 ms after a 20 ms repaint (the loop was busy, the tick late, the
    next one early) is not a burst: 20 ms per 100 ms interval is within half a core."""
    clock = {"cpu": 0.0, "wall": 0.0}
    budget = RefreshBudget(
        0.5, interval=0.1, cpu_clock=lambda: clock["cpu"], wall_clock=lambda: clock["wall"]
    )
    budget.start()
    clock["cpu"] += 0.02
    clock["wall"] += 0.03
    assert budget.allow()
    budget.start()
    clock["cpu"] += 0.08  # but an 80 ms repaint is over half of any 100 ms
    clock["wall"] += 0.03
    assert not budget.allow()
    clock["wall"] += 0.13
    assert budget.allow()  # 80 ms in 160 ms


def test_refresh_budget_lets_a_repaint_through_at_least_once_a_max_wait() -> None:
    """1.3 s of one-off work (a long journal loaded into the log) delays the next repaint by at
    most `max_wait`, not by the 2.6 s the half-core budget alone would ask for."""
    clock = {"cpu": 0.0, "wall": 0.0}
    patient = RefreshBudget(
        0.5, max_wait=10.0, cpu_clock=lambda: clock["cpu"], wall_clock=lambda: clock["wall"]
    )
    budget = RefreshBudget(
        0.5, max_wait=1.0, cpu_clock=lambda: clock["cpu"], wall_clock=lambda: clock["wall"]
    )
    patient.start()
    budget.start()
    clock["cpu"], clock["wall"] = 1.3, 0.9
    assert not budget.allow() and not patient.allow()
    clock["wall"] = 1.0
    assert budget.allow(), "a second after the previous repaint"
    assert not patient.allow(), "1.3 s of CPU in 1 s is over half a core"
    clock["wall"] = 2.6
    assert patient.allow()


async def test_a_budgeted_screen_skips_pulls_while_over_budget(snapshots: list[EngineSnapshot]) -> None:
    handle = fresh_handle(snapshots[-2])
    app = DashboardApp(handle, cpu_budget=0.2, refresh_interval=60)  # pulls only when the test asks
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.dashboard
        assert screen.repaints == 1 and screen.budget is not None
        clock = {"cpu": 0.0, "wall": 0.0}
        screen.budget = RefreshBudget(0.2, cpu_clock=lambda: clock["cpu"], wall_clock=lambda: clock["wall"])
        screen.budget.start()
        clock["cpu"], clock["wall"] = 0.05, 0.1
        handle.publish(snapshots[-1])
        assert not screen.pull() and screen.repaints == 1
        clock["wall"] = 0.3
        assert screen.pull() and screen.repaints == 2 and screen.snapshot is snapshots[-1]


async def test_log_and_fills_show_a_scrollbar_only_once_scrolled_away(
    snapshots: list[EngineSnapshot],
) -> None:
    """While the log follows the end (and the fills show the newest), no scrollbar column cuts
    their lines; scrolled back, the scrollbar and a hint to return appear, and go again on return."""
    snapshot = snapshots[-1]
    assert snapshot.recent_fills
    fills_shown = tuple(
        replace(snapshot.recent_fills[i % len(snapshot.recent_fills)], fill_id=f"f{i}") for i in range(40)
    )
    app = DashboardApp(fresh_handle(replace(snapshot, recent_fills=fills_shown)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        log = app.dashboard.query_one(ActionLog)
        tail = list(snapshot.journal_tail)
        log.add_lines((tail * (500 // len(tail) + 1))[:500])
        await pilot.pause()
        assert log.scroll_offset.y == log.max_scroll_y > 0
        assert not log.has_class("-scrolled") and log.border_subtitle is None
        assert log.vertical_scrollbar.region.width == 0

        log.focus()
        await pilot.press("home")
        await pilot.pause()
        assert log.scroll_offset.y == 0 and log.has_class("-scrolled")
        assert log.border_subtitle == "End ↓ follow"
        assert log.vertical_scrollbar.region.width == 2
        before = log.scroll_offset.y
        log.add_lines(tail[:5])  # new lines do not move a view the user scrolled back
        await pilot.pause()
        assert log.scroll_offset.y == before

        log.set_filter("no-such-wallet")  # the list shrinks to nothing under the scrolled view
        await pilot.pause()
        assert log.item_count() == 0 and not log.has_class("-scrolled") and log.border_subtitle is None
        log.set_filter("")
        await pilot.pause()
        assert log.scroll_offset.y == log.max_scroll_y > 0, "cleared, the filter follows the end"
        await pilot.press("home")
        await pilot.pause()
        assert log.has_class("-scrolled")

        await pilot.press("end")
        await pilot.pause()
        assert log.scroll_offset.y == log.max_scroll_y and not log.has_class("-scrolled")
        assert log.vertical_scrollbar.region.width == 0
        log.add_lines(tail[:5])
        await pilot.pause()
        assert log.scroll_offset.y == log.max_scroll_y, "following again"

        fills = app.dashboard.query_one(FillsPanel)
        assert fills.item_count() == 40 and fills.max_scroll_y > 0
        assert fills.scroll_offset.y == 0 and not fills.has_class("-scrolled")
        assert fills.vertical_scrollbar.region.width == 0
        fills.scroll_to(y=3, animate=False, immediate=True)
        await pilot.pause()
        assert fills.has_class("-scrolled") and fills.border_subtitle == "Home ↑ newest"
        assert fills.vertical_scrollbar.region.width == 2
        fills.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        assert not fills.has_class("-scrolled") and fills.border_subtitle is None


async def test_quick_key_sequences_are_not_dropped(snapshots: list[EngineSnapshot]) -> None:
    """`?` then Escape then `p` typed at once: help opens and closes, and the pause still lands."""
    handle = fresh_handle(snapshots[-1])
    app = DashboardApp(handle)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark", "escape", "p")
        await wait_until(pilot, lambda: handle.params.paused)
        assert isinstance(app.screen, DashboardScreen)


def test_the_header_counts_cancel_all_wallet_by_wallet(tmp_path: Path) -> None:
    from dataclasses import replace

    from ama_tui.tui.widgets.header_bar import header_lines
    from tests.tui.dashboard_support import make_dashboard_rig

    rig, snapshots = make_dashboard_rig(tmp_path, cycles=1)
    rig.close()
    snapshot = replace(snapshots[-1], cancel_progress=(("Sim001", 6, 6), ("Sim002", 2, 6)))
    _, second = header_lines(snapshot, "SIM")
    text = "".join(piece[0] for piece in second.pieces)
    assert "cancel-all 8/12  (Sim002 2/6)" in text and "Sim001 6/6" not in text
