"""The dashboard screen.

Its only input is the `EngineHandle`. A 10 Hz timer asks for a newer snapshot and, only when
there is one, repaints the widgets inside one `app.batch_update()`: at most ten repaints a second
however busy the engine is, and nothing at all while it sleeps. The widgets repaint only the lines
that changed. A `RefreshBudget` (a safety valve that does not kick in at 10 Hz on a normal machine)
keeps the UI thread under half a core on a starved one by skipping a pull (the next one shows the
latest snapshot). Every time shown comes from the
snapshot (`now`, `started_at`), never from the wall clock, but for one: between two snapshots of a
live run the uptime counts on by the time since the last one arrived (`clock`, monotonic), so it
ticks every second rather than when a cycle ends; it never goes back. Nothing here runs on a
worker thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Final

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input

from ama_tui.engine.live_params import ParamsChange
from ama_tui.engine.snapshot import EngineSnapshot, EngineState
from ama_tui.store.layout import JOURNAL_FILE_NAME
from ama_tui.tui.alerts import AlertWatch
from ama_tui.tui.dashboard.journal_viewer import JournalScreen
from ama_tui.tui.dashboard.params_editor import ParamsEditor, describe_change
from ama_tui.tui.dashboard.refresh_budget import DEFAULT_FRACTION, RefreshBudget
from ama_tui.tui.dashboard.wallet_status import WalletStatusScreen
from ama_tui.tui.engine_handle import EngineHandle
from ama_tui.tui.export import FILES as EXPORT_FILES
from ama_tui.tui.export import write_exports
from ama_tui.tui.key_help import HelpSection, section
from ama_tui.tui.screens.confirm import ConfirmScreen
from ama_tui.tui.widgets.action_log import ActionLog, alert_line
from ama_tui.tui.widgets.alert_banner import AlertBanner
from ama_tui.tui.widgets.fills_panel import FillsPanel
from ama_tui.tui.widgets.header_bar import HeaderBar
from ama_tui.tui.widgets.ladder import Ladder
from ama_tui.tui.widgets.log_filter import LOG_FILTER_HINT, LogFilterInput
from ama_tui.tui.widgets.orders_table import OrdersTable
from ama_tui.tui.widgets.styled_line import LineBuilder
from ama_tui.tui.widgets.text import amount_text, price_text
from ama_tui.tui.widgets.totals_strip import TotalsStrip
from ama_tui.tui.widgets.wallets_table import WalletsTable

REFRESH_INTERVAL_S: Final = 0.1
CANCEL_ALL_QUESTION: Final = "Cancel every open order of our wallets, then stop the run?"
TICKING_STATES: Final = frozenset({EngineState.STARTING, EngineState.RUNNING, EngineState.PAUSED})
"""States in which the uptime counts on between snapshots (a stopping run's clock stands)."""


class DashboardScreen(Screen[None]):
    CSS_PATH = "dashboard.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (160, "-xwide")]  # noqa: RUF012 (typed by Screen)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "toggle_pause", "Pause/Resume", tooltip="pause / resume quoting (resting orders stay)"),
        Binding(
            "x",
            "cancel_all",
            "Cancel all",
            tooltip="cancel all our orders, then stop (asks first); then back to the markets or on "
            "with an empty book",
        ),
        Binding("e", "edit_params", "Params", tooltip="edit the running strategy's parameters"),
        Binding(
            "slash",
            "filter_log",
            "Filter",
            tooltip="filter the log: wallet and/or action, e.g. Sim001 FILL (the orders when they have "
            "the focus: wallet, side or status); enter applies, esc clears",
        ),
        Binding(
            "w",
            "export",
            "Export",
            tooltip="export the fills, orders and wallets shown as CSV (beside the state folder)",
        ),
        Binding("j", "journal", "Journal", tooltip="the whole journal, searchable (esc closes it)"),
        Binding(
            "g",
            "analytics",
            "Analytics",
            show=False,
            tooltip="analytics of this market's journal: PnL, position and utilization over time, "
            "order lifetimes, errors (esc closes it)",
        ),
        Binding("b", "toggle_bell", "Bell", show=False, tooltip="the terminal bell on alerts: on / off"),
        Binding(
            "plus,equals_sign",
            "ladder_zoom(-1)",
            "Book: finer rows",
            show=False,
            tooltip="the book's rows hold fewer ticks of price (down to one; the title shows a row's price)",
        ),
        Binding(
            "minus",
            "ladder_zoom(1)",
            "Book: coarser rows",
            show=False,
            tooltip="the book's rows hold more ticks of price (2, 5, 10, 20 … 1000 ticks a row)",
        ),
        Binding("question_mark", "help", "Help", tooltip="this help"),
        Binding("q", "quit_engine", "Quit", tooltip="stop the run (it saves its checkpoint)"),
    ]
    HELP_EXTRA: ClassVar[tuple[tuple[str, str], ...]] = (
        ("tab", "next panel; ↑ ↓ pgup pgdn scroll it"),
        ("end  home", "log: follow the newest again; fills: back to the newest"),
    )
    """What the help says besides the bindings."""

    class HelpRequested(Message):
        """`?`: the app shows its help (`sections`: the dashboard's own keys)."""

        def __init__(self, sections: tuple[HelpSection, ...]) -> None:
            super().__init__()
            self.sections = sections

    class QuitRequested(Message):
        """`q`: the app stops the run (and decides what comes next)."""

    @classmethod
    def help_sections(cls) -> tuple[HelpSection, ...]:
        """The dashboard's keys and its panels', from their bindings."""
        return (
            section("Dashboard", cls.BINDINGS, WalletsTable.BINDINGS, extra=cls.HELP_EXTRA),
            section("Orders panel (tab to it)", OrdersTable.BINDINGS),
        )

    def __init__(
        self,
        handle: EngineHandle,
        *,
        refresh_interval: float = REFRESH_INTERVAL_S,
        cpu_budget: float | None = DEFAULT_FRACTION,
        clock: Callable[[], float] = time.monotonic,
        bell: bool = True,
        state_folder: Path | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.handle = handle
        self.refresh_interval = refresh_interval
        self.budget = RefreshBudget(cpu_budget, interval=refresh_interval) if cpu_budget is not None else None
        """None: repaint at every newer snapshot (deterministic tests)."""
        self.snapshot: EngineSnapshot | None = None
        self.repaints = 0
        """How many snapshots were shown (tests and the benchmark read it)."""
        self._seen_version = 0
        self._timer: Timer | None = None
        self.clock = clock
        """Monotonic seconds: how long since the last snapshot arrived (the uptime's tick)."""
        self._received_at = 0.0
        self._uptime_shown = -1
        """Whole seconds of uptime on screen (it only moves forward within a run)."""
        self.bell_on = bell
        """Ring the terminal bell when an alert comes up (`b` turns it on and off)."""
        self.alert_watch = AlertWatch()
        self.state_folder = state_folder
        """The market's state folder (exports are written next to it; the journal is in it)."""
        self.last_export: Path | None = None

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        yield AlertBanner(id="alerts")
        yield TotalsStrip(id="totals")
        with Horizontal(id="top"):
            yield Ladder(id="ladder")
            with Vertical(id="activity"):
                yield ActionLog(id="log")
                yield OrdersTable(id="orders")
                yield FillsPanel(id="fills")
        yield WalletsTable(id="wallets")
        yield LogFilterInput(id="log-filter")
        yield Footer()

    def on_mount(self) -> None:
        self.header = self.query_one("#header", HeaderBar)
        self.totals = self.query_one(TotalsStrip)
        self.banner = self.query_one(AlertBanner)
        self.ladder = self.query_one(Ladder)
        self.log_view = self.query_one(ActionLog)
        self.fills = self.query_one(FillsPanel)
        self.orders = self.query_one(OrdersTable)
        self._filtering: ActionLog | OrdersTable = self.log_view
        """What the filter box filters: the orders when they had the focus, else the log."""
        self.wallets = self.query_one(WalletsTable)
        self.filter_box = self.query_one(LogFilterInput)
        self.filter_box.display = False
        self.ladder.border_title = "Book"
        self.log_view.border_title = "Log"
        self.fills.border_title = "Fills"
        self.wallets.border_title = "Wallets"
        waiting = LineBuilder().append(f" waiting for the engine…  [{self.handle.badge}]", style="dim")
        self.header.set_lines([waiting.build()])
        self.pull()
        self._timer = self.set_interval(self.refresh_interval, self.pull)

    def on_descendant_focus(self) -> None:
        """Which panel has the focus, as a class the stylesheet reads (at 80 columns the orders
        or the fills grow when Tab reaches them, and the others give way)."""
        focused = self.focused
        self.set_class(focused is self.orders, "-focus-orders")
        self.set_class(focused is self.fills, "-focus-fills")

    # -- pulling snapshots ---------------------------------------------------------------------------

    def pull(self) -> bool:
        """Show the handle's latest snapshot if it is newer than the one on screen (and the
        repaint budget allows)."""
        if self.budget is not None and not self.budget.allow():
            return False
        version, snapshot = self.handle.latest_if_newer(self._seen_version)
        if snapshot is None:
            self._tick_uptime()
            return False
        self._seen_version = version
        if self.budget is not None:
            self.budget.start()
        self.show(snapshot)
        return True

    def show(self, snapshot: EngineSnapshot) -> None:
        previous = self.snapshot
        if previous is not None and previous.run_id != snapshot.run_id:
            self._uptime_shown = -1
        self.snapshot = snapshot
        self._received_at = self.clock()
        self.repaints += 1
        with self.app.batch_update():
            self._show_header()
            self.totals.show_totals(snapshot)
            self.ladder.show(snapshot)
            self.wallets.show(snapshot.wallets, snapshot.now)
            self.fills.show(snapshot)
            self.orders.show(snapshot)
            self.log_view.tick6 = snapshot.market.tick6
            self.log_view.follow(snapshot.journal_tail)
            self._show_alerts(snapshot)

    def _show_alerts(self, snapshot: EngineSnapshot) -> None:
        """The banner shows what is wrong now; what came up since the last snapshot also rings
        the bell (when on) and gets a line in the log."""
        active, new = self.alert_watch.update(snapshot)
        self.banner.show_alerts(active)
        if not new:
            return
        self.log_view.add_lines(alert_line(snapshot, alert) for alert in new)
        if self.bell_on:
            self.app.bell()

    def uptime_s(self) -> float:
        """The snapshot's uptime, counted on since it arrived while the run is live; never less
        than what the screen showed already."""
        snapshot = self.snapshot
        if snapshot is None:
            return 0.0
        uptime = snapshot.now - snapshot.started_at
        if snapshot.state in TICKING_STATES:
            uptime += max(0.0, self.clock() - self._received_at)
        return max(uptime, float(self._uptime_shown))

    def _tick_uptime(self) -> None:
        """Between snapshots: repaint the header's first line when the uptime's second changed."""
        if self.snapshot is not None and int(self.uptime_s()) != self._uptime_shown:
            self._show_header()

    def _show_header(self) -> None:
        if self.snapshot is None:
            return
        params = self.handle.params
        uptime = self.uptime_s()
        self._uptime_shown = int(uptime)
        self.header.show(
            self.snapshot,
            self.handle.badge,
            pause_requested=params.paused,
            cancel_requested=params.cancel_all_requested,
            uptime_s=uptime,
        )

    def toast(
        self,
        message: str,
        *,
        title: str,
        severity: SeverityLevel = "information",
        timeout: float | None = None,
    ) -> None:
        """One toast at a time: a new one replaces what the dashboard showed (six presses of `p`
        leave one toast, not six stacked)."""
        self.app.clear_notifications()
        self.notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # -- actions -----------------------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        paused = self.handle.toggle_pause()  # journaled as PAUSE / RESUME after the current cycle
        if paused:
            self.toast("No new orders from the next cycle; resting orders stay.", title="Pausing")
        else:
            self.toast("Packing again from the next cycle.", title="Resuming")
        self._show_header()

    def action_export(self) -> None:
        """`w`: the fills, open orders and wallets shown now, as CSV beside the state folder."""
        snapshot = self.snapshot
        if snapshot is None:
            self.toast("Nothing to export before the first snapshot.", title="Export", severity="warning")
            return
        state_folder = self.state_folder or Path.cwd() / "ama-tui"
        try:
            folder = write_exports(snapshot, state_folder, self.orders.cancelling)
        except OSError as exc:
            self.toast(f"Could not write the export: {exc}", title="Export failed", severity="error")
            return
        self.last_export = folder
        self.toast(f"{', '.join(EXPORT_FILES)} written to {folder}", title="Exported", timeout=15)

    def action_journal(self) -> None:
        """`j`: the whole journal of the market, searchable."""
        if self.state_folder is None:
            self.toast("No state folder: no journal to show.", title="Journal", severity="warning")
            return
        tick6 = self.snapshot.market.tick6 if self.snapshot is not None else 0
        self.app.push_screen(JournalScreen(self.state_folder / JOURNAL_FILE_NAME, tick6=tick6))

    def action_ladder_zoom(self, steps: int) -> None:
        """`-` / `+`: the ladder's rows hold more / fewer ticks of price (the title says how many)."""
        self.ladder.zoom(steps)

    def action_analytics(self) -> None:
        """`g`: the journal report of this market, as plots and tables."""
        if self.state_folder is None:
            self.toast("No state folder: no journal to read.", title="Analytics", severity="warning")
            return
        from ama_tui.tui.screens.analytics import AnalyticsScreen, market_source

        symbol = self.snapshot.market.symbol if self.snapshot is not None else None
        source = market_source(self.state_folder, symbol)
        self.app.push_screen(AnalyticsScreen([source], title=source.label))

    def action_toggle_bell(self) -> None:
        self.bell_on = not self.bell_on
        if self.bell_on:
            self.toast("The terminal bell rings when an alert comes up.", title="Bell on")
        else:
            self.toast("Alerts show in the banner and the log, without the bell.", title="Bell off")

    def action_cancel_all(self) -> None:
        def answered(yes: bool | None) -> None:
            if not yes:
                return
            self.handle.request_cancel_all()
            self.toast(
                "Cancelling every order of ours at the next cycle, then stopping.",
                title="Cancel all",
                severity="warning",
            )
            self._show_header()
            self.cancel_all_sent()

        self.app.push_screen(ConfirmScreen(CANCEL_ALL_QUESTION), answered)

    params_market: str | None = None
    """The market whose parameters `e` edits, named in the editor when the run has several."""

    def cancel_all_sent(self) -> None:
        """Cancel-all was asked for (a market's tab shows the overview then: every market's
        progress side by side)."""

    def action_edit_params(self) -> None:
        def done(change: ParamsChange | None) -> None:
            if change is None or not change.after:
                return
            self.toast(f"{describe_change(change)} — applies at the next cycle.", title="Parameters changed")

        self.app.push_screen(ParamsEditor(self.handle, market=self.params_market), done)

    def action_filter_log(self) -> None:
        """`/`: filter the orders when they have the focus, else the log."""
        self._filtering = self.orders if self.focused is self.orders else self.log_view
        if self._filtering is self.orders:
            self.filter_box.placeholder = (
                "filter the orders: wallet, side or status — Enter applies, Esc clears"
            )
        else:
            self.filter_box.placeholder = LOG_FILTER_HINT
        self.filter_box.value = self._filtering.filter_text
        self.filter_box.display = True
        self.filter_box.focus()

    def on_orders_table_cancel_requested(self, event: OrdersTable.CancelRequested) -> None:
        """`c` / `a` on the orders: ask, then hand the order ids to the engine."""
        event.stop()
        rows = event.rows
        if not rows:
            return
        first = rows[0]
        tick6 = self.snapshot.market.tick6 if self.snapshot is not None else 0
        if event.whole_wallet:
            question = (
                f"Cancel all {len(rows)} open orders of {first.nickname}? The packer places new ones "
                "at its next cycle unless paused."
            )
        else:
            question = (
                f"Cancel {first.nickname}'s {first.side} {amount_text(first.amount18)} @ "
                f"{price_text(first.price6, tick6)} (order #{first.order_id})? The packer "
                "may place a new one at its next cycle unless paused."
            )

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            ids = [row.order_id for row in rows]
            self.handle.request_cancel(first.trader, ids)
            self.orders.mark_cancelling(ids)
            what = (
                f"{len(ids)} orders of {first.nickname}" if event.whole_wallet else f"order #{first.order_id}"
            )
            self.toast(f"Cancelling {what} after the current cycle.", title="Cancel", severity="warning")

        self.app.push_screen(ConfirmScreen(question), answered)

    def action_help(self) -> None:
        self.post_message(self.HelpRequested(self.help_sections()))

    def action_quit_engine(self) -> None:
        self.post_message(self.QuitRequested())

    def on_wallets_table_details_requested(self, event: WalletsTable.DetailsRequested) -> None:
        event.stop()
        if self.snapshot is not None:
            self.app.push_screen(WalletStatusScreen(self.snapshot))

    # -- the log filter --------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is not self.filter_box:
            return
        event.stop()
        self._filtering.set_filter(event.value)
        self._hide_filter()

    def on_log_filter_input_cleared(self, event: LogFilterInput.Cleared) -> None:
        event.stop()
        self._filtering.set_filter("")
        self._hide_filter()

    def _hide_filter(self) -> None:
        self.filter_box.display = False
        self._filtering.focus()
