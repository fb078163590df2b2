"""Issue 16, open orders: a table of our orders (wallet, side, price, size, ticks from the top,
level, age, status), sortable and filterable; cancel one order or all of one wallet's orders with
a key and a confirmation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ama_tui.core.market import BookTop, OpenOrder
from ama_tui.engine.order_commands import CancelOrders
from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.screens.confirm import ConfirmScreen
from ama_tui.tui.widgets.orders_table import (
    CANCELLING,
    OrdersTable,
    distance_ticks,
    row_matches,
    sort_rows,
    wallet_order_rows,
)

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig, screen_text

SIZE = (120, 40)
TICK6 = 10_000


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> list[EngineSnapshot]:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=5, preset="GRADUAL_FILLS")
    rig.close()
    return snapshots


def _order(order_id: int, price6: int, *, buy: bool, at: int = 100) -> OpenOrder:
    return OpenOrder(order_id, "0xa", price6, 10**16, buy, at, 1_000_000)


def test_levels_count_from_the_top_of_each_side(snapshots: list[EngineSnapshot]) -> None:
    orders = (
        _order(1, 2_999_000_000, buy=True),
        _order(2, 2_999_500_000, buy=True),
        _order(3, 3_001_000_000, buy=False),
        _order(4, 3_000_500_000, buy=False),
    )
    wallet = replace(snapshots[-1].wallets[0], orders=orders)
    rows = {row.order_id: row for row in wallet_order_rows(wallet)}
    assert (rows[2].level, rows[1].level, rows[4].level, rows[3].level) == (1, 2, 1, 2)
    top = BookTop(2_999_500_000, 3_000_000_000)
    assert distance_ticks(rows[2], top, TICK6) == 0
    assert distance_ticks(rows[1], top, TICK6) == 50
    assert distance_ticks(rows[3], top, TICK6) == 100
    assert distance_ticks(rows[3], None, TICK6) is None
    by_distance = sort_rows(rows.values(), "distance", reverse=False, top=top, tick6=TICK6, cancelling=set())
    assert [r.order_id for r in by_distance] == [2, 1, 4, 3]  # a tie: buys first
    by_age = sort_rows(rows.values(), "age", reverse=True, top=top, tick6=TICK6, cancelling=set())
    assert len(by_age) == 4
    assert row_matches(rows[3], "resting", ("sell", wallet.nickname.lower()))
    assert not row_matches(rows[3], "resting", ("buy",))


async def test_the_panel_lists_every_order_and_sorts_and_filters(snapshots: list[EngineSnapshot]) -> None:
    snapshot = snapshots[-1]
    total = sum(len(w.orders) for w in snapshot.wallets)
    app = DashboardApp(fresh_handle(snapshot))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.dashboard.query_one(OrdersTable)
        assert len(table.rows) == total > 0
        assert f"Orders ({total})" in screen_text(app)
        table.focus()
        await pilot.press("s")  # wallet -> side
        assert table.sort_key == "side"
        assert [r.is_buy for r in table.rows] == sorted((r.is_buy for r in table.rows), reverse=True)
        await pilot.press("r")
        assert table.reverse and not table.rows[0].is_buy
        # `/` while the orders have the focus filters them (not the log)
        name = snapshot.wallets[1].nickname
        await pilot.press("slash")
        assert "filter the orders" in app.dashboard.filter_box.placeholder
        await pilot.press(*name, "enter")
        await pilot.pause()
        assert table.filter_text == name
        assert {r.nickname for r in table.rows} == {name}
        assert f"Orders — {name}" in screen_text(app)
        assert app.dashboard.log_view.filter_text == ""


async def test_c_cancels_the_order_under_the_cursor_after_a_yes(snapshots: list[EngineSnapshot]) -> None:
    handle = fresh_handle(snapshots[-1])
    app = DashboardApp(handle)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.dashboard.query_one(OrdersTable)
        table.focus()
        await pilot.press("down")
        row = table.selected
        assert row is not None and table.cursor == 1
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert len(handle.commands) == 0
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert handle.commands.take() == [CancelOrders(row.trader, (row.order_id,))]
        assert row.order_id in table.cancelling
        assert CANCELLING in screen_text(app)


async def test_a_cancels_all_of_one_wallet_s_orders_after_a_yes(snapshots: list[EngineSnapshot]) -> None:
    snapshot = snapshots[-1]
    handle = fresh_handle(snapshot)
    app = DashboardApp(handle)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.dashboard.query_one(OrdersTable)
        table.focus()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        wallet = snapshot.wallets[0]
        (command,) = handle.commands.take()
        assert isinstance(command, CancelOrders)
        assert command.trader == wallet.address
        assert sorted(command.order_ids) == sorted(o.order_id for o in wallet.orders)
        # once the orders are gone from a snapshot they are no longer "cancelling"
        handle.publish(replace(snapshot, wallets=(replace(wallet, orders=()), *snapshot.wallets[1:])))
        assert app.dashboard.pull()
        assert not table.cancelling


def test_the_wallet_order_needs_no_sort(snapshots: list[EngineSnapshot]) -> None:
    """The panel's default order is the one its rows are built in (it skips the sort)."""
    rows = [row for wallet in snapshots[-1].wallets for row in wallet_order_rows(wallet)]
    top = snapshots[-1].book.top if snapshots[-1].book is not None else None
    assert sort_rows(rows, "wallet", reverse=False, top=top, tick6=TICK6, cancelling=set()) == rows
