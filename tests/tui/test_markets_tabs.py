"""The tabs of a run over several markets: a hidden market's dashboard does not repaint (its timer
rests) and catches up at once when shown again; a dialog over a tab keeps the tab keys from
switching underneath it; the overview's figures follow the handles."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.markets.market_dashboard import MarketDashboardScreen
from ama_tui.tui.markets.overview import FleetOverviewScreen
from ama_tui.tui.markets.tabs import TabWanted
from ama_tui.tui.screens.confirm import ConfirmScreen

from .conftest import wait_for
from .markets_support import MarketsApp, two_market_snapshots


@pytest.fixture(scope="module")
def market_snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, EngineSnapshot]:
    return two_market_snapshots(tmp_path_factory)


async def test_a_hidden_tab_rests_and_catches_up_when_shown(
    market_snapshots: dict[str, EngineSnapshot],
) -> None:
    app = MarketsApp(market_snapshots)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, FleetOverviewScreen))
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, MarketDashboardScreen))
        eth = app.screen
        assert isinstance(eth, MarketDashboardScreen)
        await wait_for(pilot, lambda: eth.snapshot is not None)
        await pilot.press("2")
        await wait_for(pilot, lambda: app.screen is not eth)
        shown = eth.repaints
        handle = app.handles.handle("ETH-USD")
        assert handle is not None
        newer = replace(market_snapshots["ETH-USD"], now=market_snapshots["ETH-USD"].now + 5)
        handle.publish(newer)
        await pilot.pause(0.5)  # five of its timer's periods
        assert eth.repaints == shown and eth.snapshot is not newer
        await pilot.press("1")
        await wait_for(pilot, lambda: app.screen is eth)
        await wait_for(pilot, lambda: eth.snapshot is newer)
        assert eth.repaints == shown + 1


async def test_tab_keys_do_not_switch_under_a_dialog(market_snapshots: dict[str, EngineSnapshot]) -> None:
    app = MarketsApp(market_snapshots)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, FleetOverviewScreen))
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, MarketDashboardScreen))
        tab = app.screen
        await pilot.press("x")  # cancel all: asks first
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        app.tabs.switch(TabWanted(index=2))  # as `2` would ask, were the dialog not taking keys
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.tabs.shown == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is tab)


async def test_the_overview_follows_the_handles(market_snapshots: dict[str, EngineSnapshot]) -> None:
    app = MarketsApp(market_snapshots)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, FleetOverviewScreen))
        overview = app.screen
        assert isinstance(overview, FleetOverviewScreen)
        table = overview.query_one("#overview-markets")
        btc = market_snapshots["BTC-USD"]
        assert table.get_cell("BTC-USD", "cycle") == str(btc.totals.cycle)  # type: ignore[attr-defined]
        handle = app.handles.handle("BTC-USD")
        assert handle is not None
        handle.publish(replace(btc, totals=replace(btc.totals, cycle=btc.totals.cycle + 7)))
        overview.refresh_figures()
        assert table.get_cell("BTC-USD", "cycle") == str(btc.totals.cycle + 7)  # type: ignore[attr-defined]
        wallets = overview.query_one("#overview-wallets")
        assert wallets.row_count == len(btc.wallets)  # type: ignore[attr-defined]
