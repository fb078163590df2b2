"""Screenshots of a run over several markets (issue 17 item 1): the picker with two markets marked,
the setup form with their weights and the budget split, the fleet overview and a market's tab,
cancel-all's way back over the overview, at 80x24 and 120x40. The tabs are fed deterministic rig
snapshots (fixed seeds, virtual clocks, pinned cycle durations, a clock that stands still).
Regenerate with `uv run pytest tests/tui/test_markets_snapshots.py --snapshot-update`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from ama_tui.engine.multi_market import MarketSummary, MultiSummary
from ama_tui.engine.packer import RunSummary
from ama_tui.engine.snapshot import EngineSnapshot, EngineState
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.markets.market_dashboard import MarketDashboardScreen
from ama_tui.tui.markets.overview import FleetOverviewScreen
from ama_tui.tui.screens.cleared import MarketsClearedScreen
from ama_tui.tui.screens.config import ConfigScreen

from .conftest import SIZES, build_app, wait_for
from .markets_support import MarketsApp, two_market_snapshots
from .test_markets_flow import mark_two

SnapCompare = Callable[..., bool]
IDS = [f"{w}x{h}" for w, h in SIZES]
APP_CSS = Path(__file__).parents[2] / "ama_tui" / "tui" / "app.tcss"


class ClearedMarketsApp(MarketsApp):
    """The tabs under the app's stylesheet (the dialog's)."""

    CSS_PATH = APP_CSS


@pytest.fixture(scope="module")
def market_snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, EngineSnapshot]:
    return two_market_snapshots(tmp_path_factory)


async def _overview(pilot: Pilot[Any]) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, FleetOverviewScreen))
    await pilot.pause()


async def _second_market(pilot: Pilot[Any]) -> None:
    await _overview(pilot)
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, MarketDashboardScreen))
    screen = pilot.app.screen
    assert isinstance(screen, MarketDashboardScreen)
    await wait_for(pilot, lambda: screen.snapshot is not None)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_fleet_overview(
    snap_compare: SnapCompare, market_snapshots: dict[str, EngineSnapshot], size: tuple[int, int]
) -> None:
    assert snap_compare(MarketsApp(market_snapshots), terminal_size=size, run_before=_overview)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_market_tab(
    snap_compare: SnapCompare, market_snapshots: dict[str, EngineSnapshot], size: tuple[int, int]
) -> None:
    assert snap_compare(MarketsApp(market_snapshots), terminal_size=size, run_before=_second_market)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_picker_with_two_marked(
    snap_compare: SnapCompare, app_options: AppOptions, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await mark_two(pilot)
        await pilot.pause()

    assert snap_compare(build_app(app_options), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_form_with_weights(snap_compare: SnapCompare, app_options: AppOptions, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await mark_two(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfigScreen))
        form = pilot.app.screen
        assert isinstance(form, ConfigScreen)
        await wait_for(pilot, lambda: form.facts_read)
        form.query_one("#field-maxWalletUtilization", Input).value = "0.4"
        form.query_one("#field-weight-0", Input).value = "3"
        form.query_one("#field-weight-1", Input).value = "1"
        await pilot.pause()
        form.query_one("#field-weight-0", Input).focus()
        await pilot.pause()

    assert snap_compare(build_app(app_options), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_cleared_over_the_overview(
    snap_compare: SnapCompare, market_snapshots: dict[str, EngineSnapshot], size: tuple[int, int]
) -> None:
    """Cancel-all done in both markets, one wallet's order left in BTC-USD."""
    cleared: dict[str, EngineSnapshot | None] = {}
    for symbol, snapshot in market_snapshots.items():
        progress = [
            (w.nickname, w.open_buys + w.open_sells, w.open_buys + w.open_sells) for w in snapshot.wallets
        ]
        if symbol == "BTC-USD":
            name, done, of = progress[-1]
            progress[-1] = (name, done - 1, of)
        cleared[symbol] = replace(
            snapshot,
            state=EngineState.STOPPED,
            stop_reason="cancelled all orders and stopped",
            cancel_progress=tuple(progress),
        )
    summary = MultiSummary(
        tuple(
            MarketSummary(
                symbol,
                RunSummary(
                    snapshot.run_id,
                    snapshot.totals.cycle,
                    snapshot.totals.placed,
                    snapshot.totals.cancelled,
                    snapshot.totals.fills,
                    snapshot.totals.errors,
                    "cancelled all orders and stopped",
                ),
            )
            for symbol, snapshot in cleared.items()
            if snapshot is not None
        )
    )

    async def run_before(pilot: Pilot[Any]) -> None:
        await _overview(pilot)
        app = pilot.app
        assert isinstance(app, MarketsApp)
        for symbol, snapshot in cleared.items():
            handle = app.handles.handle(symbol)
            assert handle is not None and snapshot is not None
            handle.publish(snapshot)
        overview = app.screen
        assert isinstance(overview, FleetOverviewScreen)
        overview.refresh_figures()
        app.push_screen(MarketsClearedScreen(summary, cleared))
        await pilot.pause()

    assert snap_compare(ClearedMarketsApp(market_snapshots), terminal_size=size, run_before=run_before)
