"""The tabs of a run over several markets: a hidden market's dashboard does not repaint (its timer
rests) and catches up at once when shown again; a dialog over a tab keeps the tab keys from
switching underneath it; the overview's figures follow the handles."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import Input, Static

from ama_tui.engine.multi_market import MarketSummary, MultiSummary
from ama_tui.engine.packer import RunSummary
from ama_tui.engine.snapshot import EngineSnapshot, EngineState
from ama_tui.tui.dashboard import ParamsEditor
from ama_tui.tui.markets.market_dashboard import MarketDashboardScreen
from ama_tui.tui.markets.overview import FleetOverviewScreen
from ama_tui.tui.markets.tabs import TabWanted
from ama_tui.tui.screens.cleared import markets_cleared_text
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


def _cancelling(snapshot: EngineSnapshot, left: int = 0) -> EngineSnapshot:
    """`snapshot` while cancel-all goes on: every wallet's orders cancelled but `left` of the last's."""
    progress = [
        (w.nickname, w.open_buys + w.open_sells + 1, w.open_buys + w.open_sells + 1) for w in snapshot.wallets
    ]
    name, done, of = progress[-1]
    progress[-1] = (name, done - left, of)
    return replace(snapshot, cancel_progress=tuple(progress))


def _progress_text(snapshot: EngineSnapshot) -> str:
    done = sum(d for _, d, _ in snapshot.cancel_progress)
    return f"cancel-all {done}/{sum(t for _, _, t in snapshot.cancel_progress)}"


async def test_cancel_all_on_a_tab_shows_every_markets_progress_on_the_overview(
    market_snapshots: dict[str, EngineSnapshot],
) -> None:
    app = MarketsApp(market_snapshots)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, FleetOverviewScreen))
        overview = app.screen
        assert isinstance(overview, FleetOverviewScreen)
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, MarketDashboardScreen))
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is overview)  # every market side by side
        assert all(h.params.cancel_all_requested for h in app.handles.handles)

        eth, btc = _cancelling(market_snapshots["ETH-USD"]), _cancelling(market_snapshots["BTC-USD"], left=1)
        for symbol, snapshot in (("ETH-USD", eth), ("BTC-USD", btc)):
            handle = app.handles.handle(symbol)
            assert handle is not None
            handle.publish(snapshot)
        overview.refresh_figures()
        table = overview.query_one("#overview-markets")
        assert table.get_cell("ETH-USD", "state") == _progress_text(eth)  # type: ignore[attr-defined]
        assert table.get_cell("BTC-USD", "state") == _progress_text(btc)  # type: ignore[attr-defined]

        stopped = replace(eth, state=EngineState.STOPPED)
        handle = app.handles.handle("ETH-USD")
        assert handle is not None
        handle.publish(stopped)
        overview.refresh_figures()
        assert table.get_cell("ETH-USD", "state") == "stopped"  # type: ignore[attr-defined]


def test_the_cleared_text_says_each_markets_cancels(market_snapshots: dict[str, EngineSnapshot]) -> None:
    eth, btc = _cancelling(market_snapshots["ETH-USD"]), _cancelling(market_snapshots["BTC-USD"], left=1)
    summary = MultiSummary(
        tuple(
            MarketSummary(symbol, RunSummary("run-x", 5, 9, 7, 1, 0, "cancelled all orders and stopped"))
            for symbol in ("ETH-USD", "BTC-USD")
        )
    )
    eth_total = sum(t for _, _, t in eth.cancel_progress)
    btc_total = sum(t for _, _, t in btc.cancel_progress)
    title, body = markets_cleared_text(summary, {"ETH-USD": eth, "BTC-USD": btc})
    assert title == f"Cancel-all stopped with 1 of {eth_total + btc_total} orders still resting"
    name, done, of = btc.cancel_progress[-1]
    assert f"ETH-USD: {eth_total} of {eth_total} orders cancelled; its run: 5 cycles" in body
    assert (
        f"BTC-USD: {btc_total - 1} of {btc_total} orders cancelled, not all: {name} {done}/{of}; its run"
        in body
    )
    assert "The journal of each market has each error." in body
    assert "keep this run going over the same markets" in body

    everything = {"ETH-USD": eth, "BTC-USD": _cancelling(market_snapshots["BTC-USD"])}
    title, body = markets_cleared_text(summary, everything)
    assert title == f"Cancel-all done in 2 markets: {eth_total + btc_total} orders cancelled"
    assert "not all" not in body and "journal" not in body


async def test_e_on_a_markets_tab_edits_that_markets_parameters_alone(
    market_snapshots: dict[str, EngineSnapshot],
) -> None:
    app = MarketsApp(market_snapshots)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, FleetOverviewScreen))
        eth, btc = app.handles.handle("ETH-USD"), app.handles.handle("BTC-USD")
        assert eth is not None and btc is not None
        before = btc.params.current()
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, MarketDashboardScreen))
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ParamsEditor))
        editor = app.screen
        assert isinstance(editor, ParamsEditor)
        assert editor.query_one("#params-editor").border_title == "Live parameters of ETH-USD"
        hint = str(editor.query_one("#params-hint", Static).render())
        assert hint.startswith(
            "ETH-USD only (the other markets keep theirs; maxWalletUtilization is ETH-USD's share)"
        )
        # the market's own values: its share of the budget, not the wallets' total
        assert editor.query_one("#param-maxWalletUtilization", Input).value == "0.3"
        editor.query_one("#param-ordersPerSidePerWallet", Input).value = "2"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MarketDashboardScreen))
        assert eth.params.current().packer.orders_per_side == 2
        after = btc.params.current()
        assert after.version == before.version and after.packer == before.packer

        await pilot.press("2", "e")  # BTC-USD's editor shows its own, untouched
        await wait_for(pilot, lambda: isinstance(app.screen, ParamsEditor))
        assert app.screen.query_one("#params-editor").border_title == "Live parameters of BTC-USD"
        shown = app.screen.query_one("#param-ordersPerSidePerWallet", Input).value
        assert shown == str(before.packer.orders_per_side) != "2"
