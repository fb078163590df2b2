"""Snapshots of the flow screens at 120x40 and 80x24, on the embedded exchange (seed 1, virtual
clock, fixed run id, tmp state folder, cursor blink off). `--snapshot-update` regenerates them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from ama_tui.engine.packer import SessionProgress
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.screens.config import ConfigScreen
from ama_tui.tui.screens.help import HelpScreen
from ama_tui.tui.screens.message import MessageScreen
from ama_tui.tui.screens.resume import ResumeScreen
from ama_tui.tui.screens.sessions import SessionsScreen

from .conftest import SIZES, FlakyVenue, build_app, picker_settled, save_a_run, sim_venue, wait_for

pytestmark = pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")


async def _pick(pilot: Pilot[Any], search: str = "eth") -> None:
    await picker_settled(pilot)
    await pilot.press(*search, "enter")


def test_picker(snap_compare: Any, app_options: AppOptions, size: tuple[int, int]) -> None:
    assert snap_compare(build_app(app_options), terminal_size=size, run_before=picker_settled)


def test_picker_exchange_down(snap_compare: Any, app_options: AppOptions, size: tuple[int, int]) -> None:
    app = build_app(app_options, venue=FlakyVenue(sim_venue()))
    assert snap_compare(app, terminal_size=size, run_before=picker_settled)


def test_resume_modal(snap_compare: Any, app_options: AppOptions, size: tuple[int, int]) -> None:
    save_a_run(app_options.state_dir)
    app = build_app(app_options, venue=sim_venue(start_offset_s=3600))

    async def run_before(pilot: Pilot[Any]) -> None:
        await _pick(pilot)
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResumeScreen))

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_config_form_with_errors(snap_compare: Any, app_options: AppOptions, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _pick(pilot)
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfigScreen))
        form = pilot.app.screen
        assert isinstance(form, ConfigScreen)
        # the market's price and the wallets' collateral are in: sizes proposed (20-100 USDC)
        await wait_for(pilot, lambda: form.facts_read)
        await pilot.pause()
        # min delay 250 -> 5000 (above the max: shown next to both), utilization 0.20 -> 0.95
        await pilot.press("backspace", "backspace", "backspace", "5", "0", "0", "0")
        for _ in range(7):
            await pilot.press("tab")
        await pilot.press("end", "backspace", "backspace", "9", "5")

    assert snap_compare(build_app(app_options), terminal_size=size, run_before=run_before)


def test_sessions_progress(snap_compare: Any, app_options: AppOptions, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await picker_settled(pilot)
        screen = SessionsScreen(symbol="ETH-USD", wallets=3, resumed=False)
        await pilot.app.push_screen(screen)
        ok = SessionProgress(1, 3, "Sim001", "0x15F205ba4790AABfa9Ca2bcDC461A045632E01c8", None)
        failed = SessionProgress(
            2, 3, "Sim002", "0xDe2D022AaeB4a7667400B3EEB558aB2B951bF62E", "session not created: relay timeout"
        )
        screen.record(ok)
        screen.record(failed)

    assert snap_compare(build_app(app_options), terminal_size=size, run_before=run_before)


def test_help(snap_compare: Any, app_options: AppOptions, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await picker_settled(pilot)
        await pilot.press("question_mark")

    assert snap_compare(build_app(app_options), terminal_size=size, run_before=run_before)


def test_help_legend(snap_compare: Any, app_options: AppOptions, size: tuple[int, int]) -> None:
    """The end of the help: what each column of the wallets panel means, the cap, the floor."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await picker_settled(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        legend = pilot.app.screen.query_one("#help-legend")
        pilot.app.screen.query_one("#help-body").scroll_to_widget(legend, animate=False, top=True)
        await pilot.pause()

    assert snap_compare(build_app(app_options), terminal_size=size, run_before=run_before)


def test_setup_error_missing_wallets_file(
    snap_compare: Any, app_options: AppOptions, size: tuple[int, int], tmp_path: Path
) -> None:
    app = build_app(app_options, csv=Path("missing-wallets.csv"))

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, MessageScreen))

    assert snap_compare(app, terminal_size=size, run_before=run_before)
