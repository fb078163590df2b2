"""Screenshots of a run over several markets (issue 17 item 1): the picker with two markets marked,
the setup form with their weights and the budget split, the fleet overview and a market's tab,
at 80x24 and 120x40. The tabs are fed deterministic rig snapshots (fixed seeds, virtual clocks,
pinned cycle durations, a clock that stands still).
Regenerate with `uv run pytest tests/tui/test_markets_snapshots.py --snapshot-update`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.markets.market_dashboard import MarketDashboardScreen
from ama_tui.tui.markets.overview import FleetOverviewScreen
from ama_tui.tui.screens.config import ConfigScreen

from .conftest import SIZES, build_app, wait_for
from .markets_support import MarketsApp, two_market_snapshots
from .test_markets_flow import mark_two

SnapCompare = Callable[..., bool]
IDS = [f"{w}x{h}" for w, h in SIZES]


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
