"""Issue 16: `w` writes the fills, open orders and wallets shown as CSV beside the state folder
and says where; `j` opens the market's whole journal in a searchable viewer."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.dashboard.journal_viewer import JournalScreen
from ama_tui.tui.export import FILES

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig, wait_until

SIZE = (120, 40)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[EngineSnapshot]]:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=5, preset="GRADUAL_FILLS")
    folder = rig.store.folder
    rig.close()
    return folder, snapshots


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


async def test_w_writes_fills_orders_and_wallets_beside_the_state_folder(
    run: tuple[Path, list[EngineSnapshot]], tmp_path: Path
) -> None:
    _, snapshots = run
    snapshot = snapshots[-1]
    state_folder = tmp_path / "state" / "market-folder"
    state_folder.mkdir(parents=True)
    app = DashboardApp(fresh_handle(snapshot), state_folder=state_folder)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        folder = app.dashboard.last_export
        assert folder is not None and folder.parent == state_folder.parent
        assert folder.name.startswith("market-folder-export-")
        assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
        (toast,) = list(app._notifications)
        assert str(folder) in toast.message and toast.title == "Exported"

        wallets = _csv(folder / "wallets.csv")
        assert [row["wallet"] for row in wallets] == [w.nickname for w in snapshot.wallets]
        assert wallets[0]["realized_usdc"] and "," not in wallets[0]["available_usdc"]
        orders = _csv(folder / "orders.csv")
        assert len(orders) == sum(len(w.orders) for w in snapshot.wallets)
        assert {row["status"] for row in orders} == {"resting"}
        fills = _csv(folder / "fills.csv")
        assert len(fills) == len(snapshot.recent_fills) > 0
        assert fills[0]["fill_id"] == snapshot.recent_fills[0].fill_id
        assert {row["fee_usdc"] for row in fills} == {"0.000000"}  # the embedded exchange charges none
        text = "".join((folder / name).read_text() for name in FILES).lower()
        assert "session_id" not in text and "private" not in text

        # a second export in the same second does not overwrite the first
        await pilot.press("w")
        await pilot.pause()
        assert app.dashboard.last_export != folder and app.dashboard.last_export is not None


async def test_j_opens_the_whole_journal_and_searches_it(run: tuple[Path, list[EngineSnapshot]]) -> None:
    folder, snapshots = run
    journal = [line for line in (folder / "actions.jsonl").read_text().splitlines() if line.strip()]
    app = DashboardApp(fresh_handle(snapshots[-1]), state_folder=folder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j")
        await pilot.pause()
        viewer = app.screen
        assert isinstance(viewer, JournalScreen)
        await wait_until(pilot, lambda: viewer.loaded)
        assert len(viewer.shown_lines) == len(journal) > len(snapshots[-1].journal_tail) // 2
        name = snapshots[-1].wallets[1].nickname
        await pilot.press("slash", *f"{name} fill", "enter")
        await pilot.pause()
        shown = viewer.shown_lines
        assert 0 < len(shown) < len(journal)
        assert all(name.lower() in line.lower() and "fill" in line.lower() for line in shown)
        status = str(viewer.query_one("#journal-status").render())
        assert f"of {len(journal):,} lines match" in status
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.dashboard


async def test_without_a_state_folder_j_says_so(run: tuple[Path, list[EngineSnapshot]]) -> None:
    _, snapshots = run
    app = DashboardApp(fresh_handle(snapshots[-1]))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("j")
        await pilot.pause()
        assert app.screen is app.dashboard
        assert any(n.title == "Journal" for n in app._notifications)
