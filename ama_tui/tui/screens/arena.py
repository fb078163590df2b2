"""The Arena screen (issue 15): choose strategies, presets and seeds, watch each run's simulated
time, then the leaderboard and each run's equity curve, and copy a run's report folder path.

The arena's own back end does the work (`arena.compare` plans it and writes the leaderboard,
`arena.batch` runs it in worker processes): a thread worker drives it and only posts messages.
Escape while runs are going stops them (the finished ones stay on disk; the same comparison again
skips them) and goes back to the picker."""

from __future__ import annotations

import os
import sys
import threading
from contextlib import redirect_stderr
from decimal import Decimal
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any, ClassVar, Final

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    ContentSwitcher,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    SelectionList,
    Static,
)
from textual.widgets.selection_list import Selection

from ama_tui.arena.batch import BatchStopped, JobResult, finished_result, run_batch
from ama_tui.arena.compare import ComparePlan, leaderboard_line, plan_compare, write_leaderboard
from ama_tui.arena.spec import PRESET_NAMES, ArenaInputError
from ama_tui.notify.hooks import notify_arena_finished
from ama_tui.tui.screens.arena_form import RESULTS, ArenaRequest, FormError, read_form
from ama_tui.tui.screens.arena_results import (
    LEADERBOARD_COLUMNS,
    leaderboard_rows,
    progress_bar,
    read_equity,
    run_label,
    sim_time,
)
from ama_tui.tui.strategy_choice import strategy_options
from ama_tui.tui.widgets.term_plot import Line, TermPlot

CENT: Final = Decimal("0.01")
DEFAULT_SEEDS: Final = "1-3"
DEFAULT_DURATION_S: Final = "300"
DEFAULT_WALLETS: Final = "4"
DEFAULT_MARKET: Final = "ETH-USD"
RUN_COLUMNS: Final = (("run", "run"), ("progress", "progress"), ("pnl", "PnL"), ("status", "status"))


def start_resource_tracker() -> None:
    """Spawned workers need multiprocessing's resource tracker, which hands it the process's
    stderr; under Textual `sys.stderr` is a capture without a file descriptor, so the tracker is
    started with the real one."""
    if sys.__stderr__ is None:
        resource_tracker.ensure_running()
        return
    with redirect_stderr(sys.__stderr__):
        resource_tracker.ensure_running()


class ArenaPlanned(Message):
    def __init__(self, plan: ComparePlan, kept: list[dict[str, Any] | None]) -> None:
        super().__init__()
        self.plan = plan
        self.kept = kept


class ArenaRefused(Message):
    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


class ArenaProgress(Message):
    def __init__(self, index: int, done_s: float) -> None:
        super().__init__()
        self.index = index
        self.done_s = done_s


class ArenaRunDone(Message):
    def __init__(self, result: JobResult) -> None:
        super().__init__()
        self.result = result


class ArenaFinished(Message):
    def __init__(self, board: dict[str, Any] | None, problem: str | None = None) -> None:
        super().__init__()
        self.board = board
        self.problem = problem


def _pnl(result: dict[str, Any] | None) -> str:
    return str(Decimal(result["figures"]["pnl"]["total"]).quantize(CENT)) if result else ""


class ArenaScreen(Screen[None]):
    CSS_PATH = "arena.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 (typed by Screen)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back / stop"),
        Binding("ctrl+s", "start", "Start", priority=True),
        Binding("c", "copy_folder", "Copy folder path"),
        Binding("n", "new", "New comparison"),
    ]

    def __init__(self, *, results_dir: Path = RESULTS, processes: int | None = None, cwd: Path | None = None):
        super().__init__()
        self.results_dir = results_dir
        self.processes = processes or os.cpu_count() or 1
        self.cwd = cwd
        self.state = "setup"
        """setup -> planning -> running -> done | stopped | failed."""
        self.plan: ComparePlan | None = None
        self.results: dict[int, dict[str, Any] | None] = {}
        self.board: dict[str, Any] | None = None
        self.shown_run: int | None = None
        self._stop = threading.Event()

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with ContentSwitcher(initial="arena-setup", id="arena-views"):
            with VerticalScroll(id="arena-setup"):
                yield Static(
                    "Compare strategies on the embedded exchange: every strategy on every preset and "
                    "seed, in worker processes. Space marks a choice; ctrl+s starts.",
                    id="arena-intro",
                )
                with Horizontal(id="arena-choices"):
                    yield SelectionList[str](
                        *(Selection(label, name) for label, name in strategy_options(self.cwd)),
                        id="strategies",
                    )
                    yield SelectionList[str](
                        *(Selection(name, name, name == "REALISTIC") for name in PRESET_NAMES),
                        id="presets",
                    )
                with Horizontal(id="arena-fields"):
                    for field_id, label, value in (
                        ("seeds", "Seeds", DEFAULT_SEEDS),
                        ("duration", "Simulated s", DEFAULT_DURATION_S),
                        ("wallets", "Wallets", DEFAULT_WALLETS),
                        ("market", "Market", DEFAULT_MARKET),
                    ):
                        with Vertical(classes="arena-field"):
                            yield Label(label)
                            yield Input(value, id=field_id)
                yield Static(id="arena-problems")
                yield Button("Start (ctrl+s)", id="arena-start", variant="primary")
            with Vertical(id="arena-session"):
                yield Static(id="arena-status")
                yield DataTable(id="leaderboard", cursor_type="none", zebra_stripes=True)
                with Horizontal(id="arena-body"):
                    yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
                    with Vertical(id="arena-chart"):
                        yield TermPlot(id="equity")
                        yield Static(id="run-folder")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Arena"
        blink = bool(getattr(getattr(self.app, "options", None), "cursor_blink", True))
        for field in self.query(Input):
            field.cursor_blink = blink
        self.query_one("#strategies").border_title = "Strategies"
        self.query_one("#presets").border_title = "Presets"
        board: DataTable[str] = self.query_one("#leaderboard", DataTable)
        for label in LEADERBOARD_COLUMNS:
            board.add_column(label)
        board.border_title = "Leaderboard (every preset)"
        runs: DataTable[str] = self.query_one("#runs", DataTable)
        for key, label in RUN_COLUMNS:
            runs.add_column(label, key=key)
        runs.border_title = "Runs"
        self.query_one("#strategies", SelectionList).focus()

    def _problems(self, text: str) -> None:
        self.query_one("#arena-problems", Static).update(Content(text))
        self.set_class(bool(text), "-problems")

    # -- start ---------------------------------------------------------------------------------

    def _read(self) -> ArenaRequest:
        value = lambda field_id: self.query_one(f"#{field_id}", Input).value  # noqa: E731
        return read_form(
            strategies=self.query_one("#strategies", SelectionList).selected,
            presets=self.query_one("#presets", SelectionList).selected,
            seeds=value("seeds"),
            duration_s=value("duration"),
            wallets=value("wallets"),
            market=value("market"),
            results_dir=self.results_dir,
        )

    def action_start(self) -> None:
        if self.state != "setup":
            return
        try:
            request = self._read()
        except FormError as exc:
            self._problems("\n".join(exc.problems))
            self.app.bell()
            return
        self._problems(f"checking {request.runs} runs…")
        self.state = "planning"
        self._stop = threading.Event()
        self._compare(request, self._stop)

    @on(Button.Pressed, "#arena-start")
    def _start_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_start()

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()

    @work(thread=True, exclusive=True, exit_on_error=False, group="arena")
    def _compare(self, request: ArenaRequest, stop: threading.Event) -> None:
        """Plan, run and rank in this thread; every change is a message."""
        try:
            plan = plan_compare(
                request.strategies, request.seeds, request.presets, request.options, request.folder
            )
            kept = [finished_result(job) for job in plan.jobs]
        except ArenaInputError as exc:
            self.post_message(ArenaRefused(str(exc)))
            return
        except Exception as exc:  # said on the form, never a traceback
            self.post_message(ArenaRefused(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(ArenaPlanned(plan, kept))
        try:
            start_resource_tracker()
            results = run_batch(
                plan.jobs,
                workers=self.processes,
                skip_finished=True,
                err=None,
                on_result=lambda result: self._post(ArenaRunDone(result)),
                on_progress=lambda index, done_s: self._post(ArenaProgress(index, done_s)),
                stop=stop,
                start_method="spawn",
                quiet_workers=True,
            )
            failed = sum(1 for r in results if r.result is None)
            if failed:
                self.post_message(ArenaFinished(None, f"{failed} runs failed: no leaderboard"))
                return
            board = write_leaderboard(plan, results)
            self.post_message(ArenaFinished(board))
            notify_arena_finished(leaderboard_line(board, results, plan.folder), leaderboard=True)
        except BatchStopped:
            self.post_message(ArenaFinished(None, "stopped"))
        except Exception as exc:
            self.post_message(ArenaFinished(None, f"{type(exc).__name__}: {exc}"))

    def _post(self, message: Message) -> None:
        self.post_message(message)

    def on_arena_refused(self, message: ArenaRefused) -> None:
        self.state = "setup"
        self._problems(message.problem)
        self.app.bell()

    def on_arena_planned(self, message: ArenaPlanned) -> None:
        plan = self.plan = message.plan
        self.state = "running"
        self.results = {i: r for i, r in enumerate(message.kept) if r is not None}
        runs: DataTable[str] = self.query_one("#runs", DataTable)
        runs.clear()
        for index, job in enumerate(plan.jobs):
            spec = job.spec
            kept = message.kept[index]
            total = float(job.inputs["durationS"])
            runs.add_row(
                run_label(plan.labels[spec.strategy], spec.preset, spec.seed),
                progress_bar(total if kept else 0.0, total),
                _pnl(kept),
                "kept" if kept else "waiting",
                key=str(index),
            )
        self.query_one("#arena-views", ContentSwitcher).current = "arena-session"
        self.query_one("#leaderboard", DataTable).display = False
        runs.focus()
        self._status()
        self._show_run(0)

    def on_arena_progress(self, message: ArenaProgress) -> None:
        if self.plan is None or message.index in self.results or self.state != "running":
            return
        job = self.plan.jobs[message.index]
        runs: DataTable[str] = self.query_one("#runs", DataTable)
        total = float(job.inputs["durationS"])
        runs.update_cell(str(message.index), "progress", progress_bar(message.done_s, total))
        runs.update_cell(str(message.index), "status", sim_time(message.done_s, total), update_width=True)

    def on_arena_run_done(self, message: ArenaRunDone) -> None:
        if self.plan is None:
            return
        index = self.plan.jobs.index(message.result.job)
        result = message.result.result
        self.results[index] = result
        runs: DataTable[str] = self.query_one("#runs", DataTable)
        total = float(message.result.job.inputs["durationS"])
        key = str(index)
        runs.update_cell(key, "progress", progress_bar(total if result else 0.0, total))
        runs.update_cell(key, "pnl", _pnl(result), update_width=True)
        status = "done" if result else f"failed: {message.result.error}"
        runs.update_cell(key, "status", status, update_width=True)
        self._status()
        if self.shown_run == index or self.shown_run is None:
            self._show_run(index)

    def on_arena_finished(self, message: ArenaFinished) -> None:
        if message.problem == "stopped":
            self.state = "stopped"
        elif message.problem is not None:
            self.state = "failed"
            self.notify(message.problem, severity="error", timeout=10)
        else:
            self.state = "done"
            self.board = message.board
            self._show_board()
        self._status()
        self.refresh_bindings()

    # -- showing -------------------------------------------------------------------------------

    def _status(self) -> None:
        if self.plan is None:
            return
        done = sum(1 for r in self.results.values() if r is not None)
        total = len(self.plan.jobs)
        text = {
            "running": f"{done} of {total} runs finished · escape stops (finished runs are kept)",
            "done": f"{total} runs ranked · ↑↓ picks a run's equity curve · c copies its folder path",
            "stopped": f"stopped: {done} of {total} runs finished and kept",
            "failed": f"{done} of {total} runs finished; some failed: no leaderboard",
        }.get(self.state, "")
        self.query_one("#arena-status", Static).update(Content(f"{text}\nresults: {self.plan.folder}"))

    def _show_board(self) -> None:
        assert self.board is not None
        board: DataTable[str] = self.query_one("#leaderboard", DataTable)
        board.clear()
        for row in leaderboard_rows(self.board):
            board.add_row(*row)
        board.display = True

    def _show_run(self, index: int) -> None:
        if self.plan is None or not 0 <= index < len(self.plan.jobs):
            return
        self.shown_run = index
        job = self.plan.jobs[index]
        name = run_label(self.plan.labels[job.spec.strategy], job.spec.preset, job.spec.seed)
        plot = self.query_one("#equity", TermPlot)
        series = read_equity(job.folder) if index in self.results else None
        if series is None:
            plot.show_empty(f"Equity {name}", "not finished")
        else:
            plot.show_lines(
                f"Equity (USDC) {name}",
                [Line("equity", series.minutes, series.equity)],
                x_label="simulated minutes",
            )
        folder = self.query_one("#run-folder", Static)
        folder.update(Content(f"folder: {job.folder}" + (" (c copies)" if index in self.results else "")))

    @on(DataTable.RowHighlighted, "#runs")
    def _run_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._show_run(int(event.row_key.value))

    # -- keys ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            return self.state == "setup"
        if action == "copy_folder":
            return self.plan is not None
        if action == "new":
            return self.state in ("done", "stopped", "failed")
        return True

    def action_copy_folder(self) -> None:
        if self.plan is None or self.shown_run is None:
            return
        folder = str(self.plan.jobs[self.shown_run].folder.resolve())
        self.app.copy_to_clipboard(folder)
        self.notify(f"copied {folder}", timeout=4)

    def action_new(self) -> None:
        if self.state not in ("done", "stopped", "failed"):
            return
        self.state = "setup"
        self.plan, self.board, self.results, self.shown_run = None, None, {}, None
        self._problems("")
        self.query_one("#arena-views", ContentSwitcher).current = "arena-setup"
        self.query_one("#strategies", SelectionList).focus()
        self.refresh_bindings()

    def action_back(self) -> None:
        if self.state in ("planning", "running"):
            self._stop.set()
            self.notify("arena stopped: the finished runs are kept (the same comparison skips them)")
        self.dismiss(None)

    def on_unmount(self) -> None:
        self._stop.set()
