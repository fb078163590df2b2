"""Quitting as in every terminal program: Ctrl+C does what `q` does (a running packer first
finishes its cycle and saves), and the terminal then shows what the run did and where its state is."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from ama_tui.tui.app import AmaApp
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.screens.config import ConfigScreen

from .conftest import build_app, picker_settled, screen_name, wait_for


async def _exited(pilot: Pilot[Any], app: AmaApp) -> None:
    await wait_for(pilot, lambda: app.return_code is not None, timeout=30)


async def test_ctrl_c_in_the_search_field_quits(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(80, 24)) as pilot:
        await picker_settled(pilot)
        await pilot.press("e", "t")  # typing in the search field
        await pilot.press("ctrl+c")
        await _exited(pilot, app)
    assert app.return_code == 0
    assert app.exit_summary() is None  # nothing ran: nothing to say


async def test_ctrl_c_stops_a_run_and_the_summary_says_what_it_did(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        await picker_settled(pilot)
        await pilot.press("e", "t", "h", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfigScreen))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "DashboardScreen")
        await wait_for(pilot, lambda: app.handle is not None and app.handle.latest is not None)
        await wait_for(
            pilot,
            lambda: (
                app.handle is not None
                and app.handle.latest is not None
                and app.handle.latest.totals.cycle >= 1
            ),
        )
        await pilot.press("ctrl+c")
        await _exited(pilot, app)
    assert app.return_code == 0
    summary = app.exit_summary()
    assert app.handle is not None and app.handle.latest is not None
    snapshot = app.handle.latest
    assert summary is not None
    assert f"run {snapshot.run_id} on ETH-USD" in summary
    assert f"{snapshot.totals.cycle} cycles" in summary and f"{snapshot.totals.placed} placed" in summary
    assert "PnL " in summary and "USDC" in summary
    (checkpoint,) = app_options.state_dir.rglob("checkpoint.json")
    assert f"state: {checkpoint.parent}" in summary
    assert "stopped: " in summary
