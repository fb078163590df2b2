"""Whole flows through the app with the pilot: pick, resume or fresh, configure, start, steer, quit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from ama_tui.core.models import MarketCheckpoint
from ama_tui.tui.app import AmaApp, Phase
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.screens.config import ConfigScreen
from ama_tui.tui.screens.message import MessageScreen
from ama_tui.tui.screens.picker import PickerScreen
from ama_tui.tui.screens.resume import ResumeScreen

from .conftest import RUN_ID, SAVED_RUN_ID, build_app, picker_settled, save_a_run, screen_name, wait_for


def _journal(state_dir: Path) -> list[dict[str, Any]]:
    (journal,) = state_dir.rglob("actions.jsonl")
    return [json.loads(line) for line in journal.read_text().splitlines()]


def _checkpoint(state_dir: Path) -> MarketCheckpoint:
    (path,) = state_dir.rglob("checkpoint.json")
    return MarketCheckpoint.model_validate_json(path.read_text())


async def _to_dashboard(pilot: Pilot[Any], app: AmaApp) -> None:
    await wait_for(pilot, lambda: screen_name(app) == "DashboardScreen")
    assert app.handle is not None
    await wait_for(pilot, lambda: app.handle is not None and app.handle.latest is not None)


async def _quit(pilot: Pilot[Any], app: AmaApp) -> None:
    await pilot.press("q")
    await wait_for(pilot, lambda: app.return_code is not None, timeout=30)


async def test_pick_configure_start_steer_and_quit(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        await picker_settled(pilot)
        await pilot.press("e", "t", "h")
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        assert [row.symbol for row in picker.visible_rows()] == ["ETH-USD"]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfigScreen))

        # Bad values are refused next to their fields, and nothing starts until they are fixed.
        form = app.screen
        assert isinstance(form, ConfigScreen)
        form.query_one("#field-minDistanceTicks", Input).value = "500"
        form.query_one("#field-wallets", Input).value = "0"
        await pilot.pause()
        assert "must be below" in form.problems["minDistanceTicks"]
        assert form.problems["maxDistanceTicks"] == form.problems["minDistanceTicks"]
        assert form.problems["wallets"] == "between 1 and 200"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        form.query_one("#field-minDistanceTicks", Input).value = "5"
        form.query_one("#field-wallets", Input).value = "2"
        await pilot.pause()
        assert form.problems == {}
        await pilot.press("ctrl+s")

        await _to_dashboard(pilot, app)
        handle = app.handle
        assert handle is not None
        assert handle.params.current().packer.min_distance_ticks == 5
        await wait_for(pilot, lambda: handle.latest is not None and handle.latest.totals.placed > 0)

        # The dashboard's parameter editor (`e`): one field changed, saved with Enter.
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "ParamsEditor")
        box = app.screen.query_one("#param-ordersPerSidePerWallet", Input)
        box.value = "4"
        box.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: handle.params.current().packer.orders_per_side == 4)
        await wait_for(pilot, lambda: screen_name(app) == "DashboardScreen")
        seen = handle.latest
        await wait_for(
            pilot,
            lambda: (
                handle.latest is not seen
                and handle.latest is not None
                and handle.latest.packer.orders_per_side == 4
            ),
        )
        await _quit(pilot, app)
    assert app.return_code == 0
    checkpoint = _checkpoint(app_options.state_dir)
    assert checkpoint.run.run_id == RUN_ID
    assert checkpoint.market.symbol == "ETH-USD" and len(checkpoint.wallets) == 2
    assert checkpoint.packer_params.orders_per_side == 4
    assert checkpoint.packer_params.min_distance_ticks == 5
    journal = _journal(app_options.state_dir)
    actions = [line["action"] for line in journal]
    assert "PLACE_LIMIT" in actions and actions[-1] == "RUN_STOP"
    (changed,) = [line for line in journal if line["action"] == "PARAMS_CHANGED"]
    assert changed["params"] == {
        "before": {"ordersPerSidePerWallet": 6},
        "after": {"ordersPerSidePerWallet": 4},
    }


async def test_resume_or_fresh_then_resume_keeps_the_run_id(app_options: AppOptions) -> None:
    save_a_run(app_options.state_dir)
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        await picker_settled(pilot)
        await pilot.press("e", "t", "h", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResumeScreen))
        # Fresh would start a new run (the saved run's values as defaults); Back from there gives
        # the market's lock back, so another process could take it now ...
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfigScreen))
        assert "fresh run" in app.screen.form_title
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
        assert app.market is None and app.phase is Phase.PICKING
        # ... and resume keeps the run id.
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResumeScreen))
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfigScreen))
        assert SAVED_RUN_ID in app.screen.form_title
        await pilot.press("ctrl+s")
        await _to_dashboard(pilot, app)
        assert app.handle is not None and app.handle.latest is not None
        assert app.handle.latest.run_id == SAVED_RUN_ID
        await _quit(pilot, app)
    assert app.return_code == 0
    assert _checkpoint(app_options.state_dir).run.run_id == SAVED_RUN_ID
    starts = [line for line in _journal(app_options.state_dir) if line["action"] == "RUN_START"]
    assert [line["runId"] for line in starts] == [SAVED_RUN_ID, SAVED_RUN_ID]


async def test_q_before_a_run_just_exits(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(80, 24)) as pilot:
        await picker_settled(pilot)
        await pilot.press("tab")  # off the search field: `q` is a key, not a letter
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0
    assert not app_options.state_dir.exists()


async def test_engine_failure_is_a_message_not_a_traceback(app_options: AppOptions) -> None:
    from .conftest import sim_venue

    venue = sim_venue()

    class Broken:
        kind = venue.kind
        clock = venue.clock

        def market_info(self, market: str) -> Any:
            raise RuntimeError("market_info exploded")

        def __getattr__(self, name: str) -> Any:
            return getattr(venue, name)

    app = build_app(app_options, venue=Broken())
    async with app.run_test(size=(120, 40)) as pilot:
        await picker_settled(pilot)
        await pilot.press("e", "t", "h", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfigScreen))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen))
        assert isinstance(app.screen, MessageScreen)
        assert app.screen.body == "RuntimeError: market_info exploded"
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 3
