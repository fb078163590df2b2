"""The analytics screen (issue 17 item 3): from the picker (f3) the markets stored under the state
folder, then one market's journal report as plots and tables; malformed lines are counted and the
report still shows; an empty journal and a folder without journals are said plainly. Snapshots at
80x24 and 120x40 on a hand-made journal (fixed times, so the same picture every time)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent

from ama_tui.analytics.sources import find_journals
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.screens.analytics import AnalyticsScreen, market_source
from ama_tui.tui.screens.analytics_pick import StoredMarketsScreen
from ama_tui.tui.screens.picker import PickerScreen
from ama_tui.tui.widgets.term_plot import TermPlot
from tests.analytics.cache_children import record_children
from tests.analytics.journal_builder import BOB, E18, cancel, fill, line, place, write_journal

from .conftest import SIZES, build_app, picker_settled, wait_for

FIXTURE = Path(__file__).parent.parent / "fixtures" / "ts-state"
FIXTURE_BOOK = "0x4e5d6f497fcf4070a8d87a5abb019f83e16c64bb"


def _copy_fixture(state: Path) -> Path:
    shutil.copytree(FIXTURE, state)
    return state / "999" / FIXTURE_BOOK / "actions.jsonl"


def _summary(screen: AnalyticsScreen) -> str:
    return str(screen.query_one("#analytics-summary", Static).render())


async def _ready(pilot: Pilot[Any]) -> AnalyticsScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, AnalyticsScreen))
    screen = pilot.app.screen
    assert isinstance(screen, AnalyticsScreen)
    await wait_for(pilot, lambda: screen.state != "loading", timeout=60)
    await pilot.pause()
    return screen


def _cells(table: DataTable[str]) -> list[tuple[str, ...]]:
    return [tuple(str(c) for c in table.get_row_at(r)) for r in range(table.row_count)]


async def test_from_the_picker_to_a_stored_market_s_analytics(app_options: AppOptions) -> None:
    journal = _copy_fixture(app_options.state_dir)
    with journal.open("a", encoding="utf-8") as handle:
        handle.write('not json at all\n{"ts": 5}\n')
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        await picker_settled(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, StoredMarketsScreen))
        markets = app.screen.query_one("#stored-markets", DataTable)
        assert markets.row_count == 1 and str(markets.get_cell_at((0, 0))) == "HENRY-HUB-PRICE"
        await pilot.press("enter")
        screen = await _ready(pilot)
        assert screen.state == "ready"
        summary = _summary(screen)
        assert "HENRY-HUB-PRICE · 1 journal · 135 lines · 2 malformed lines skipped" in summary
        assert "no fills recorded" in summary, "what the original tool's journal cannot tell is said"
        errors = _cells(screen.query_one("#errors-table", DataTable))
        assert errors == [("REPLACEMENT_UNDERPRICED", "3"), ("fetch failed", "1")]
        orders = dict(_cells(screen.query_one("#orders-table", DataTable)))
        assert orders["placements"] == "121" and orders["fills"] == "0"
        screen.query_one("#analytics-tabs", TabbedContent).active = "tab-errors"
        await pilot.pause(0.2)
        assert "Errors by code" in str(screen.query_one("#errors-plot", TermPlot).render())

        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, StoredMarketsScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))


class AnalyticsHost(App[None]):
    def __init__(self, screen: Any) -> None:
        super().__init__()
        self._first = screen
        self.animation_level = "none"  # a tab's underline slides: the picture is taken at its end

    def on_mount(self) -> None:
        self.push_screen(self._first)


async def test_an_empty_journal_says_so(tmp_path: Path) -> None:
    journal = write_journal(tmp_path / "state", [])
    app = AnalyticsHost(AnalyticsScreen([market_source(journal.parent, "ETH-USD")], title="ETH-USD"))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _ready(pilot)
        assert screen.state == "ready"
        summary = _summary(screen)
        assert "ETH-USD · 1 journal · 0 lines" in summary and "no journal lines" in summary
        plot = str(screen.query_one("#pnl-plot", TermPlot).render())
        assert "nothing recorded yet" in plot


async def test_a_journal_never_seen_shows_first_and_a_child_builds_its_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    started = record_children(monkeypatch)
    journal = write_journal(tmp_path / "state", busy_journal(), symbol="ETH-USD")
    cache_dir = tmp_path / "tables"
    app = AnalyticsHost(
        AnalyticsScreen([market_source(journal.parent, "ETH-USD")], title="ETH-USD", cache_dir=cache_dir)
    )
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _ready(pilot)
        first = _summary(screen)
        assert screen.state == "ready" and "ETH-USD · 1 journal" in first
        (one,) = started  # shown from memory; the table is left to a child
        assert one.journals == [journal] and one.cache_dir == cache_dir
        assert one.child is not None and one.child.wait(timeout=120) == 0
        (table_file,) = cache_dir.glob("*.duckdb")
        with duckdb.connect(str(table_file), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM lines").fetchone() == (len(busy_journal()),)
        await pilot.press("r")
        await _ready(pilot)
        assert _summary(screen) == first  # the same figures, read from the table
        assert len(started) == 1, "a journal with its table sends no second child"


async def test_a_folder_without_journals_is_said_and_another_can_be_typed(tmp_path: Path) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    _copy_fixture(tmp_path / "state")
    app = AnalyticsHost(StoredMarketsScreen(empty, cursor_blink=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        status = str(screen.query_one("#stored-status", Static).render())
        assert f"no journal (actions.jsonl) under {empty}" in status
        await pilot.press("enter")  # nothing to open: a bell, no screen
        assert app.screen is screen
        field = screen.query_one("#stored-folder")
        field.focus()
        field.value = str(tmp_path / "state")  # type: ignore[attr-defined]
        await pilot.press("enter")
        assert screen.query_one("#stored-markets", DataTable).row_count == 1


def busy_journal() -> list[str]:
    """An hour of quoting by two wallets on a hand-made clock: placements, fills both ways at a
    price that wanders, cancels, a few errors."""
    lines = [line(0, "RUN_START", trader=None, nickname=None, params={"dryRun": False, "wallets": 2})]
    order = 0
    for minute in range(60):
        ts = minute * 60_000
        price6 = 100_000_000 + ((minute * 37) % 23 - 11) * 400_000
        for wallet, nickname in ((None, "Alice"), (BOB, "Bob")):
            who: dict[str, Any] = {"trader": wallet, "nickname": nickname} if wallet else {}
            order += 1
            is_buy = (minute // 6) % 2 == 0
            lines.append(place(ts + order, order, is_buy, price6, E18 // 10, 1_000_000, **who))
            if minute % 3 == 0:
                lines.append(fill(ts + 20_000 + order, order, is_buy, price6, E18 // 10, maker=True, **who))
            else:
                lines.append(cancel(ts + (minute % 5 + 1) * 9_000 + order, order, **who))
        if minute % 11 == 5:
            lines.append(line(ts + 30_000, "ERROR", error="HTTP 429 Too Many Requests"))
        if minute % 17 == 3:
            lines.append(line(ts + 40_000, "ERROR", error="REPLACEMENT_UNDERPRICED"))
    lines.append(line(3_600_000, "RUN_STOP", trader=None, nickname=None, params={"reason": "asked"}))
    return lines


def test_the_busy_journal_has_what_the_plots_need(tmp_path: Path) -> None:
    from ama_tui.analytics.report import build_report

    journal = write_journal(tmp_path / "state", busy_journal(), symbol="ETH-USD")
    report = build_report([journal])
    assert report.malformed == 0 and report.orders.fills == 40 and report.orders.cancels == 80
    series = report.series[0]
    assert series.total_pnl and series.position and series.resting_margin and report.lifetimes.histogram


size_ids = pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")


@size_ids
@pytest.mark.parametrize("tab", ["tab-time", "tab-orders"])
def test_snapshot_analytics(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int], tab: str
) -> None:
    journal = write_journal(tmp_path / "state", busy_journal(), symbol="ETH-USD")
    with journal.open("a", encoding="utf-8") as handle:
        handle.write("{broken\n")
    (source,) = find_journals(tmp_path / "state")
    app = AnalyticsHost(AnalyticsScreen([source], title=source.label))

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _ready(pilot)
        screen.query_one("#analytics-tabs", TabbedContent).active = tab
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@size_ids
def test_snapshot_stored_markets(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_journal(Path("state"), busy_journal(), symbol="ETH-USD")
    _copy_fixture(Path("state-ts"))
    for folder in (Path("state-ts") / "999").iterdir():
        shutil.copytree(folder, Path("state") / "999" / folder.name)
    assert len(find_journals(Path("state"))) == 2
    app = AnalyticsHost(StoredMarketsScreen(Path("state"), cursor_blink=False))
    assert snap_compare(app, terminal_size=size)


async def test_g_on_the_dashboard_opens_the_running_market_s_analytics(tmp_path: Path) -> None:
    from ama_tui.tui.dashboard.screen import DashboardScreen

    from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig

    rig, snapshots = make_dashboard_rig(tmp_path / "rig", cycles=5, preset="GRADUAL_FILLS")
    folder = rig.store.folder
    rig.close()
    journal = [text for text in (folder / "actions.jsonl").read_text().splitlines() if text.strip()]
    app = DashboardApp(fresh_handle(snapshots[-1]), state_folder=folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("g")
        screen = await _ready(pilot)
        symbol = snapshots[-1].market.symbol
        assert f"{symbol} · 1 journal · {len(journal):,} lines" in _summary(screen)
        placed = sum('"action":"PLACE_LIMIT"' in text for text in journal)
        assert placed > 0
        assert dict(_cells(screen.query_one("#orders-table", DataTable)))["placements"] == f"{placed:,}"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
