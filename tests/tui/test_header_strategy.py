"""The dashboard names the run's strategy (and says when it was stopped for what it did), and the
strategy's own log lines show in the log (issue 14)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from ama_tui.core.models import ActionKind
from ama_tui.engine.snapshot import EngineSnapshot, EngineState
from ama_tui.tui.widgets.header_bar import header_lines

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig, screen_text

STRATEGY_LINE = "ema 12/26 crossed up: buying 0.01"


@pytest.fixture(scope="module")
def taker(tmp_path_factory: pytest.TempPathFactory) -> EngineSnapshot:
    """A real run's last snapshot, as a run of taker-flow whose strategy logged a line."""
    rig, snapshots = make_dashboard_rig(Path(tmp_path_factory.mktemp("rig")), cycles=3)
    rig.close()
    last = snapshots[-1]
    said = last.journal_tail[-1].model_copy(
        update={"action": ActionKind.STRATEGY_LOG, "params": {"message": STRATEGY_LINE}, "error": None}
    )
    return replace(last, strategy="taker-flow", journal_tail=(*last.journal_tail, said))


def test_the_header_names_a_strategy_other_than_the_packer(taker: EngineSnapshot) -> None:
    first, _ = header_lines(taker, "SIM")
    assert "● RUNNING  strategy taker-flow" in first.plain
    packer, _ = header_lines(replace(taker, strategy="packer"), "SIM")
    assert "strategy" not in packer.plain
    failed = replace(
        taker,
        state=EngineState.STOPPED,
        stop_reason="strategy stopped: analyze() took longer than 1 s",
        strategy="file:strategies/mine.py",
    )
    first, second = header_lines(failed, "SIM")
    assert "strategy file:strategies/mine.py stopped" in first.plain
    assert "analyze() took longer than 1 s" in second.plain


async def test_the_strategy_and_its_log_lines_are_on_the_dashboard(taker: EngineSnapshot) -> None:
    app = DashboardApp(fresh_handle(taker))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
    assert "strategy taker-flow" in text
    assert f"STRAT   {STRATEGY_LINE}" in text


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_dashboard_of_a_taker_flow_run(
    snap_compare: Any, taker: EngineSnapshot, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.pause()

    assert snap_compare(DashboardApp(fresh_handle(taker)), terminal_size=size, run_before=run_before)
