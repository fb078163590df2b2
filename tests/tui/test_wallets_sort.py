"""Issue 16, the wallets panel sortable: `s` steps through Util, Position, PnL and errors (biggest
first, the header marks the column), `r` reverses, ties keep the snapshot's order, and the order
follows the figures as new snapshots come. Regenerate the screenshot with
`uv run pytest tests/tui/test_wallets_sort.py --snapshot-update`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot

from ama_tui.engine.snapshot import EngineSnapshot, WalletView
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.store import derive_wallets
from ama_tui.tui.dashboard import DashboardScreen
from ama_tui.tui.dashboard.help import help_text
from ama_tui.tui.widgets.wallet_sort import SNAPSHOT_ORDER, error_count, sort_arrow, sorted_wallets
from ama_tui.tui.widgets.wallets_table import HEADER_CELLS, WalletsTable, header_cells

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig, screen_text

SIZE = (120, 40)
USDC = 1_000_000
UNIT = 10**18

# (utilization bps, PnL in usdc6, position in amount18, last error, errors in the run) of the
# four wallets: the first had two errors and recovered, the last has one and is failing now
FIGURES = (
    (2_000, 1 * USDC, 0, None, 2),
    (8_000, -5 * USDC // 2, -3 * UNIT // 100, "place buy level 1 failed: 429 Too Many Requests", 3),
    (5_000, 3 * USDC, UNIT // 100, None, 0),
    (8_000, 0, 2 * UNIT // 100, "cancel failed: 503: relay down", 1),
)


def with_figures(wallets: tuple[WalletView, ...]) -> tuple[WalletView, ...]:
    return tuple(
        replace(
            wallet,
            utilization_bps=util,
            reserved6=wallet.cap6 * util // 10_000,
            realized_pnl6=pnl,
            unrealized_pnl6=0,
            position18=position,
            last_error=error,
            errors=errors,
            skip_reason=None,
        )
        for wallet, (util, pnl, position, error, errors) in zip(wallets, FIGURES, strict=True)
    )


@pytest.fixture(scope="module")
def figured(tmp_path_factory: pytest.TempPathFactory) -> EngineSnapshot:
    """A short run's last snapshot, its four wallets given `FIGURES`."""
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=4, preset="GRADUAL_FILLS")
    rig.close()
    last = snapshots[-1]
    return replace(last, wallets=with_figures(last.wallets))


def wallets_header(app: DashboardApp) -> str:
    return next(line for line in screen_text(app).splitlines() if "PnL trend" in line)


def names(wallets: list[WalletView]) -> list[int]:
    return [wallet.index for wallet in wallets]


def test_sorted_wallets_biggest_first_ties_in_the_snapshot_s_order(figured: EngineSnapshot) -> None:
    wallets = figured.wallets
    assert [w.index for w in wallets] == [0, 1, 2, 3]
    assert names(sorted_wallets(wallets, SNAPSHOT_ORDER, reverse=False)) == [0, 1, 2, 3]
    assert names(sorted_wallets(wallets, SNAPSHOT_ORDER, reverse=True)) == [3, 2, 1, 0]
    assert names(sorted_wallets(wallets, "util", reverse=False)) == [1, 3, 2, 0]  # 80 % twice: 1 before 3
    assert names(sorted_wallets(wallets, "util", reverse=True)) == [0, 2, 1, 3]
    assert names(sorted_wallets(wallets, "position", reverse=False)) == [1, 3, 2, 0]  # |-0.03| first
    assert names(sorted_wallets(wallets, "pnl", reverse=False)) == [2, 0, 3, 1]
    assert names(sorted_wallets(wallets, "pnl", reverse=True)) == [1, 3, 0, 2]
    # errors in the run first, then failing now: 3 (failing), 2 (recovered), 1 (failing), 0
    assert [error_count(w) for w in wallets] == [(2, 0), (3, 1), (0, 0), (1, 1)]
    assert names(sorted_wallets(wallets, "status", reverse=False)) == [1, 0, 3, 2]
    assert names(sorted_wallets(wallets, "status", reverse=True)) == [2, 3, 0, 1]
    # a wallet whose balances are not read yet shows no Util: it sorts below every figure
    unknown = (replace(wallets[0], balances_known=False, utilization_bps=9_999), *wallets[1:])
    assert names(sorted_wallets(unknown, "util", reverse=False)) == [1, 3, 2, 0]


def test_the_help_lists_the_sort_keys() -> None:
    text = help_text(DashboardScreen.help_sections()).plain
    assert "s  on the wallets: sort by Util, Position, PnL or errors" in text
    assert "r  on the wallets: reverse the sort" in text


def test_the_header_marks_the_sorted_column_and_is_unchanged_unsorted() -> None:
    assert header_cells(SNAPSHOT_ORDER, reverse=False) is HEADER_CELLS
    assert sort_arrow(SNAPSHOT_ORDER, reverse=False) == ""
    labels = [text for text, _ in header_cells("pnl", reverse=False)]
    assert "PnL▼" in labels and "Util" in labels and "PnL" not in labels
    assert "Util▲" in [text for text, _ in header_cells("util", reverse=True)]
    assert "Wallet▼" in [text for text, _ in header_cells(SNAPSHOT_ORDER, reverse=True)]


async def test_s_and_r_sort_the_wallets_and_the_order_follows_new_snapshots(figured: EngineSnapshot) -> None:
    handle = fresh_handle(figured)
    app = DashboardApp(handle)
    address = [wallet.address for wallet in figured.wallets]

    def shown(table: WalletsTable) -> list[int]:
        return [address.index(key) for key in table.row_keys]

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.dashboard.query_one(WalletsTable)
        assert shown(table) == [0, 1, 2, 3] and table.sort_key == SNAPSHOT_ORDER
        table.focus()
        await pilot.press("s")
        assert table.sort_key == "util" and shown(table) == [1, 3, 2, 0]
        await pilot.pause()
        assert "Util▼" in wallets_header(app)
        await pilot.press("s", "s")
        assert table.sort_key == "pnl" and shown(table) == [2, 0, 3, 1]
        await pilot.press("r")
        assert table.reverse and shown(table) == [1, 3, 0, 2]
        await pilot.pause()
        assert "PnL▲" in wallets_header(app)
        await pilot.press("r", "s")  # errors, biggest first again
        assert table.sort_key == "status" and not table.reverse and shown(table) == [1, 0, 3, 2]
        await pilot.press("s")
        assert table.sort_key == SNAPSHOT_ORDER and shown(table) == [0, 1, 2, 3]
        await pilot.pause()
        header = wallets_header(app)
        assert "▼" not in header and "▲" not in header

        # sorted by PnL, a new snapshot where wallet 0 makes 10 USDC and wallet 2 loses 4: they swap
        await pilot.press("s", "s", "s")
        assert shown(table) == [2, 0, 3, 1]
        wallets = list(figured.wallets)
        wallets[0] = replace(wallets[0], realized_pnl6=10 * USDC)
        wallets[2] = replace(wallets[2], realized_pnl6=-4 * USDC)
        handle.publish(replace(figured, wallets=tuple(wallets), now=figured.now + 0.1))
        assert app.dashboard.pull()
        assert shown(table) == [0, 3, 1, 2]
        await pilot.pause()
        rows = [line for line in screen_text(app).splitlines() if any(w.nickname in line for w in wallets)]
        order = [next(i for i, w in enumerate(wallets) if w.nickname in line) for line in rows[-4:]]
        assert order == [0, 3, 1, 2]


SnapCompare = Callable[..., bool]


async def _sorted_by_pnl(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    table = pilot.app.screen.query_one(WalletsTable)
    table.focus()
    while table.sort_key != "pnl":
        await pilot.press("s")
    await pilot.pause()


def test_wallets_sorted_by_pnl(snap_compare: SnapCompare, figured: EngineSnapshot) -> None:
    """The wallets focused, sorted by PnL (biggest first): the header says PnL▼."""
    app = DashboardApp(fresh_handle(figured))
    assert snap_compare(app, terminal_size=SIZE, run_before=_sorted_by_pnl)


def test_each_noted_error_is_counted_and_survives_recovery() -> None:
    wallet = WalletRuntime(index=0, entry=derive_wallets(1, 1)[0])
    wallet.note_error("place buy level 1 failed: 429", 10.0)
    wallet.note_error("cancel 7 failed: 503", 11.0)
    wallet.clear_error()
    assert wallet.error_count == 2 and wallet.last_error is None
