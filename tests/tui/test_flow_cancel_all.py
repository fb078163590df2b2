"""Cancel-all's way back (issue 16): once every order of ours is cancelled and the run has stopped,
the app offers the market picker, or the same run kept going paused with the book empty — never a
blank screen. Pilot flows on the embedded exchange, and the screen's picture over the dashboard."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from ama_tui.engine.packer import RunSummary
from ama_tui.engine.snapshot import EngineSnapshot, EngineState
from ama_tui.tui.app import AmaApp, Phase
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.dashboard import DashboardScreen
from ama_tui.tui.screens.cleared import BookClearedScreen, cleared_text
from ama_tui.tui.screens.config import ConfigScreen
from ama_tui.tui.screens.confirm import ConfirmScreen
from ama_tui.tui.screens.picker import PickerScreen
from ama_tui.tui.screens.resume import ResumeScreen

from .conftest import RUN_ID, build_app, picker_settled, wait_for
from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig, screen_text

APP_CSS = Path(__file__).parents[2] / "ama_tui" / "tui" / "app.tcss"


def _journal(state_dir: Path) -> list[dict[str, Any]]:
    (journal,) = state_dir.rglob("actions.jsonl")
    return [json.loads(line) for line in journal.read_text().splitlines()]


async def _run_then_cancel_all(pilot: Pilot[Any], app: AmaApp) -> None:
    """Start a run with the defaults, wait for orders on the book, then `x` and yes."""
    await picker_settled(pilot)
    await pilot.press("e", "t", "h", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfigScreen))
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: app.phase is Phase.RUNNING and isinstance(app.screen, DashboardScreen))
    await wait_for(
        pilot,
        lambda: (
            app.handle is not None
            and (latest := app.handle.latest) is not None
            and sum(w.open_buys + w.open_sells for w in latest.wallets) > 0
        ),
        timeout=30,
    )
    await pilot.press("x")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.press("y")
    await wait_for(pilot, lambda: isinstance(app.screen, BookClearedScreen), timeout=30)
    await pilot.pause()
    assert app.phase is Phase.CLEARED


async def test_after_cancel_all_keep_running_paused_with_an_empty_book(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        await _run_then_cancel_all(pilot, app)
        first = app.handle
        assert first is not None and first.latest is not None
        progress = first.latest.cancel_progress
        cancelled = sum(done for _, done, _ in progress)
        assert cancelled > 0 and all(done == of for _, done, of in progress)
        shown = screen_text(app)
        assert f"Cancel-all done: {cancelled} orders cancelled" in shown and "Keep running (k)" in shown

        await pilot.click("#keep-running")  # the button does what k does
        await wait_for(pilot, lambda: app.phase is Phase.RUNNING and isinstance(app.screen, DashboardScreen))
        handle = app.handle
        assert handle is not None and handle is not first and handle.params.paused
        await wait_for(
            pilot,
            lambda: (latest := handle.latest) is not None and latest.totals.cycle >= 2,
            timeout=30,
        )
        latest = handle.latest
        assert latest is not None and latest.state is EngineState.PAUSED
        assert latest.run_id == RUN_ID  # the same run, resumed
        assert all(w.open_buys + w.open_sells == 0 for w in latest.wallets) and latest.totals.placed == 0
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, timeout=30)
    assert app.return_code == 0
    actions = [line["action"] for line in _journal(app_options.state_dir)]
    restarted = len(actions) - actions[::-1].index("RUN_START") - 1
    assert "PAUSE" in actions[restarted:] and "PLACE_LIMIT" not in actions[restarted:]
    assert actions[-1] == "RUN_STOP"


async def test_after_cancel_all_back_to_the_markets(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        await _run_then_cancel_all(pilot, app)
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
        assert app.phase is Phase.PICKING
        # the market's lock was given back: it opens again, on its saved run
        await picker_settled(pilot)
        await pilot.press("e", "t", "h", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResumeScreen))
        assert app.phase is Phase.PREPARING
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0
    assert _journal(app_options.state_dir)[-1]["params"] == {"reason": "cancelled all orders and stopped"}


# -- the picture ------------------------------------------------------------------------------------


class ClearedApp(DashboardApp):
    """The dashboard on its last snapshot, under the app's stylesheet (the dialog's)."""

    CSS_PATH = APP_CSS


@pytest.fixture(scope="module")
def cleared(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunSummary, EngineSnapshot]:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=4)
    rig.close()
    last = snapshots[-1]
    progress = tuple(
        (w.nickname, w.open_buys + w.open_sells, w.open_buys + w.open_sells) for w in last.wallets
    )
    snapshot = replace(
        last,
        state=EngineState.STOPPED,
        stop_reason="cancelled all orders and stopped",
        cancel_progress=(*progress[:-1], (progress[-1][0], 1, progress[-1][2])),
    )
    totals = snapshot.totals
    summary = RunSummary(
        run_id=snapshot.run_id,
        cycles=totals.cycle,
        placed=totals.placed,
        cancelled=totals.cancelled,
        fills=totals.fills,
        errors=totals.errors,
        stop_reason="cancelled all orders and stopped",
    )
    return summary, snapshot


def test_the_text_says_what_is_left_per_wallet(cleared: tuple[RunSummary, EngineSnapshot]) -> None:
    summary, snapshot = cleared
    name, done, of = snapshot.cancel_progress[-1]
    total = sum(t for _, _, t in snapshot.cancel_progress)
    title, body = cleared_text(summary, snapshot)
    assert title == f"Cancel-all stopped with {of - done} of {total} orders still resting"
    assert f"Not all cancelled: {name} {done}/{of}" in body
    everything = replace(snapshot, cancel_progress=tuple((n, t, t) for n, _, t in snapshot.cancel_progress))
    assert cleared_text(summary, everything)[0] == f"Cancel-all done: {total} orders cancelled"


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_cleared_screen(
    snap_compare: Any, cleared: tuple[RunSummary, EngineSnapshot], size: tuple[int, int]
) -> None:
    summary, snapshot = cleared

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        pilot.app.push_screen(BookClearedScreen(summary, snapshot))
        await pilot.pause()

    assert snap_compare(ClearedApp(fresh_handle(snapshot)), terminal_size=size, run_before=run_before)
