"""The setup form's strategy: chosen from the built-ins, the example files and ./strategies/*.py,
its parameter fields generated from its own model (labels, ranges, help), its mistakes said in plain
words next to the field, and the run started with it (recorded in the checkpoint)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Label, Select

from ama_tui.core.models import MarketCheckpoint
from ama_tui.tui.app import AmaApp
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.screens.config import ConfigScreen
from ama_tui.tui.strategy_choice import param_fields, params_model, strategy_options

from .conftest import build_app, picker_settled, screen_name, wait_for


def test_the_options_and_the_fields_come_from_the_strategies(tmp_path: Path) -> None:
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "mine.py").write_text("# a user's file\n")
    names = [name for _, name in strategy_options(tmp_path)]
    assert names[:4] == ["packer", "skewed-packer", "taker-flow", "rebalancer"]
    assert "ema-cross" in names and str(tmp_path / "strategies" / "mine.py") in names
    fields = {f.name: f for f in param_fields(params_model("skewed-packer"))}
    assert fields["maxPosition"].label == "Largest position"
    assert "0 to 1000000000" in fields["maxPosition"].help
    assert fields["skewTicksPerUnit"].integer and not fields["targetPosition"].integer
    on_stop = {f.name: f for f in param_fields(params_model("mine.py"))}["onStop"]
    assert on_stop.choices == ("leave", "cancel")
    assert param_fields(params_model("packer")) == []


async def _to_form(pilot: Pilot[Any], app: AmaApp) -> ConfigScreen:
    await picker_settled(pilot)
    await pilot.press("e", "t", "h", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfigScreen))
    form = app.screen
    assert isinstance(form, ConfigScreen)
    return form


async def test_choosing_a_strategy_shows_its_fields_and_starts_it(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await _to_form(pilot, app)
        form.query_one("#field-wallets", Input).value = "2"
        form.query_one("#strategy-select", Select).value = "skewed-packer"
        await wait_for(pilot, lambda: bool(form.query("#sfield-maxPosition")))
        box = form.query_one("#sfield-maxPosition", Input)
        box.value = "-1"
        await pilot.pause()
        assert form.strategy_problems == {"maxPosition": "at least 0"}
        assert "at least 0" in str(form.query_one("#serror-maxPosition", Label).render())
        assert form.query_one("#start", Button).disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form, "nothing starts while a strategy field is wrong"
        box.value = "0.5"
        await pilot.pause()
        assert form.strategy_problems == {} and not form.query_one("#start", Button).disabled
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "DashboardScreen")
        assert app.handle is not None
        await wait_for(pilot, lambda: app.handle is not None and app.handle.latest is not None)
        params = app.handle.params.current().strategy
        assert params is not None and params.model_dump(by_alias=True)["maxPosition"] == pytest.approx(0.5)
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, timeout=30)
    (path,) = app_options.state_dir.rglob("checkpoint.json")
    record = MarketCheckpoint.model_validate_json(path.read_text()).strategy
    assert record is not None and record.name == "skewed-packer" and record.params["maxPosition"] == "0.5"


def test_a_strategys_own_lines_and_market_orders_read_in_the_log() -> None:
    from ama_tui.tui.widgets.action_log import ACTION_LABELS, log_detail

    assert (
        log_detail("STRATEGY_LOG", {"message": "fast crossed above slow"}, 10_000)
        == "fast crossed above slow"
    )
    market = {"isBuy": False, "amount18": str(5 * 10**16)}
    assert log_detail("PLACE_MARKET", market, 10_000).startswith("SELL 0.05")
    assert ACTION_LABELS["STRATEGY_LOG"] == "STRAT" and ACTION_LABELS["PLACE_MARKET"] == "MARKET"


async def test_the_form_takes_what_is_typed_says_every_problem_at_once_and_enter_starts(
    app_options: AppOptions,
) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await _to_form(pilot, app)
        delay = form.query_one("#field-minDelayMs", Input)
        delay.value = ""
        delay.focus()
        await pilot.press("-", "1")
        await pilot.pause()
        assert delay.value == "-1", "nothing typed is dropped"
        assert form.problems["minDelayMs"] == "at least 0"
        form.query_one("#field-maxWalletUtilization", Input).value = "1e-3"
        form.query_one("#field-minDistanceTicks", Input).value = "500"
        await pilot.pause()
        # three problems at once, the distances' order among them, in plain words
        assert form.problems["maxWalletUtilization"] == "at least 0.02"
        assert form.problems["minDistanceTicks"] == "the min distance must be below the max distance"
        assert form.problems["maxDistanceTicks"] == form.problems["minDistanceTicks"]
        assert not any("Input should" in p or "minDistanceTicks" in p for p in form.problems.values())
        delay.value = "100"
        form.query_one("#field-maxWalletUtilization", Input).value = "0.2"
        form.query_one("#field-minDistanceTicks", Input).value = "10"
        form.query_one("#field-wallets", Input).value = "2"
        await pilot.pause()
        assert form.problems == {}
        delay.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "DashboardScreen")
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, timeout=30)


def test_the_live_editor_shows_the_tunables_and_the_strategys_own() -> None:
    from ama_tui.core.models import PackerParams, RunConfig
    from ama_tui.engine.live_params import ParamsView
    from ama_tui.strategies.skewed_packer import SkewParams
    from ama_tui.tui.dashboard.params_editor import current_values, editor_fields

    view = ParamsView(RunConfig(), PackerParams(), 0, SkewParams(maxPosition=2))
    sections = dict(editor_fields(view))
    run = {field.name: field for field in sections["Run"]}
    assert "makerRatio" not in run and "mode" not in run
    assert run["maxWalletUtilization"].label == "Max wallet utilization (0.02–0.9)"
    assert run["safetySigmas"].help, "every field says its range or what it does"
    own = {field.name: field for field in sections["Strategy"]}
    assert own["maxPosition"].label == "Largest position"
    assert current_values(view)["maxPosition"] == "2"
