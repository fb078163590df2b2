"""The Arena screen (issue 15 item 4): reached from the picker (f2), a tiny comparison started
from its form runs in worker processes and ends on a leaderboard and a run's equity curve; bad
input is said on the form; Escape goes back to the picker. Snapshots at 80x24 and 120x40 of the
form and of a finished comparison (its runs already on disk, so no clock or process decides the
picture)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, SelectionList, Static

from ama_tui.arena.batch import run_batch
from ama_tui.arena.compare import RunOptions, plan_compare
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.screens.arena import ArenaScreen
from ama_tui.tui.screens.arena_form import FormError, read_form
from ama_tui.tui.screens.picker import PickerScreen
from ama_tui.tui.widgets.term_plot import TermPlot
from tests.notify.receiver import local_receiver

from .conftest import SIZES, build_app, picker_settled, wait_for

TINY = {"seeds": "1", "duration": "20", "wallets": "2", "market": "ETH-USD"}


def _form(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "strategies": ["packer"],
        "presets": ["REALISTIC"],
        "seeds": "1-2",
        "duration_s": "30",
        "wallets": "2",
        "market": "ETH-USD",
    }
    return {**values, **changes}


def test_the_form_reads_into_a_comparison() -> None:
    request = read_form(**_form(strategies=["packer", "rebalancer"], presets=["CHAOTIC", "REALISTIC"]))
    assert request.strategies == ("packer", "rebalancer") and request.seeds == (1, 2)
    assert request.presets == ("CHAOTIC", "REALISTIC") and request.runs == 8
    assert request.options == RunOptions(market="ETH-USD", wallets=2, duration_s=30.0)
    assert request.folder == Path("results") / "compare-ETH-USD"


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"strategies": []}, "Strategies: choose at least one"),
        ({"presets": []}, "Presets: choose at least one"),
        ({"seeds": "5-1"}, "Seeds '5-1': '5-1' is not a range of seeds >= 0 going up"),
        ({"seeds": "one"}, "Seeds 'one': 'one' is not a seed or a range like 1-20"),
        ({"duration_s": "soon"}, "Duration 'soon': not a number"),
        ({"duration_s": "-5"}, "Duration must be a positive number of simulated seconds"),
        ({"wallets": "0"}, "Wallets must be between 1 and 1000 (got 0)"),
        ({"wallets": "2.5"}, "Wallets '2.5': not a whole number"),
        ({"market": " "}, "Market: empty"),
    ],
)
def test_bad_input_is_said_in_the_form_s_words(changes: dict[str, Any], said: str) -> None:
    with pytest.raises(FormError) as caught:
        read_form(**_form(**changes))
    assert any(problem.startswith(said) for problem in caught.value.problems), caught.value.problems
    assert not any("--" in problem for problem in caught.value.problems), "no command-line flag names"


def test_every_problem_is_said_at_once() -> None:
    with pytest.raises(FormError) as caught:
        read_form(**_form(strategies=[], seeds="x", wallets="0"))
    assert len(caught.value.problems) == 3


async def _fill(pilot: Pilot[Any], screen: ArenaScreen, values: dict[str, str]) -> None:
    for field_id, value in values.items():
        screen.query_one(f"#{field_id}", Input).value = value
    await pilot.pause()


def _text(screen: ArenaScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_a_tiny_comparison_from_the_picker_to_the_leaderboard(
    app_options: AppOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with local_receiver() as receiver:
        monkeypatch.setenv("AMA_NOTIFY_URLS", receiver.url("arena/s3cret"))
        await _tiny_comparison(app_options)
        (post,) = receiver.wait_for(1, "/arena/")
    assert post.payload["title"] == "ama-tui: leaderboard finished"
    assert "2 strategies ranked (2 runs, 0 skipped)" in post.payload["message"]


async def _tiny_comparison(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        await picker_settled(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, ArenaScreen))
        screen = app.screen
        assert isinstance(screen, ArenaScreen)

        await pilot.press("ctrl+s")  # nothing chosen yet
        assert screen.state == "setup"
        assert "Strategies: choose at least one" in _text(screen, "#arena-problems")

        strategies = screen.query_one("#strategies", SelectionList)
        strategies.select("packer")
        strategies.select("rebalancer")
        await _fill(pilot, screen, {**TINY, "seeds": "3-1"})
        await pilot.press("ctrl+s")
        assert screen.state == "setup" and "Seeds '3-1'" in _text(screen, "#arena-problems")

        await _fill(pilot, screen, TINY)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.state in ("done", "failed", "stopped"), timeout=120)
        assert screen.state == "done", [n.message for n in app._notifications]

        runs = screen.query_one("#runs", DataTable)
        assert runs.row_count == 2
        assert {str(runs.get_cell(str(i), "status")) for i in range(2)} == {"done"}
        board = screen.query_one("#leaderboard", DataTable)
        assert board.display and board.row_count == 2
        folder = Path("results/compare-ETH-USD")
        written = json.loads((folder / "leaderboard.json").read_text())
        assert {str(board.get_cell_at((r, 1))) for r in range(2)} == {"packer", "rebalancer"}
        assert str(board.get_cell_at((0, 1))) == written["ranking"][0]["strategy"], "ranked as the file"

        plot = screen.query_one("#equity", TermPlot)
        assert screen.shown_run == 0 and "Equity (USDC) packer REALISTIC s1" in str(plot.render())
        await pilot.press("down")
        assert screen.shown_run == 1 and "rebalancer" in _text(screen, "#run-folder")
        await pilot.press("c")
        copied = Path(app.clipboard)
        assert copied.is_absolute() and (copied / "result.json").is_file() and "rebalancer" in str(copied)

        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))


async def test_escape_while_running_stops_and_goes_back(
    app_options: AppOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        await picker_settled(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, ArenaScreen))
        screen = app.screen
        assert isinstance(screen, ArenaScreen)
        screen.query_one("#strategies", SelectionList).select("packer")
        await _fill(pilot, screen, {**TINY, "seeds": "1-4", "duration": "3000"})
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.state == "running", timeout=60)
        stop = screen._stop
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
        assert stop.is_set()
    assert not list(Path("results").glob("**/result.json")), "no run of 3000 s finished: none kept"


# -- snapshots -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """packer and rebalancer, seeds 1-2, 30 simulated seconds: run once for the snapshots."""
    folder = tmp_path_factory.mktemp("arena") / "results" / "compare-ETH-USD"
    plan = plan_compare(
        ["packer", "rebalancer"], (1, 2), ("REALISTIC",), RunOptions(wallets=2, duration_s=30), folder
    )
    results = run_batch(plan.jobs, workers=2, skip_finished=False, err=None)
    assert all(r.result is not None for r in results)
    return folder


class ArenaHost(App[None]):
    """The Arena screen alone, its results under ./results."""

    def on_mount(self) -> None:
        self.push_screen(ArenaScreen(results_dir=Path("results"), processes=1))


size_ids = pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")


@size_ids
def test_snapshot_form(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        for field in screen.query(Input):
            field.cursor_blink = False
        await pilot.press("ctrl+s")  # nothing chosen: the problem shows
        await pilot.pause()

    assert snap_compare(ArenaHost(), terminal_size=size, run_before=run_before)


@size_ids
def test_snapshot_leaderboard(
    snap_compare: Any,
    finished_comparison: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    shutil.copytree(finished_comparison, tmp_path / "results" / "compare-ETH-USD")
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, ArenaScreen)
        strategies = screen.query_one("#strategies", SelectionList)
        strategies.select("packer")
        strategies.select("rebalancer")
        await _fill(pilot, screen, {"seeds": "1-2", "duration": "30", "wallets": "2", "market": "ETH-USD"})
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.state == "done", timeout=60)
        await pilot.press("down")  # the second run's curve
        await pilot.pause(0.2)

    assert snap_compare(ArenaHost(), terminal_size=size, run_before=run_before)
