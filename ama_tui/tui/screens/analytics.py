"""The analytics screen (issue 17): the journal report of one market (the running one, or any
stored one) or of a whole state folder, as plots and tables in the terminal.

The report is `ama_tui.analytics.report.build_report` (DuckDB over the JSONL journals), built in
a thread worker while a line says what is being read; malformed lines are counted and shown, an
empty journal says so. `r` reads the journals again (a running market's journal grows). A journal
the cache has never seen is read in memory and its table left to a child (`report_cache`), so the
screen shows it as soon as a cold report can."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, LoadingIndicator, Static, TabbedContent, TabPane

from ama_tui.analytics.model import Report
from ama_tui.analytics.sections import Section, all_sections, histogram, lifetimes, orders
from ama_tui.analytics.sources import JournalSource
from ama_tui.store.layout import JOURNAL_FILE_NAME
from ama_tui.tui.screens.analytics_view import lines_of, size_text, summary
from ama_tui.tui.widgets.term_plot import TermPlot


def market_source(state_folder: Path, symbol: str | None = None) -> JournalSource:
    """The journal of a market's state folder (`<root>/<chainId>/<orderBook>/`)."""
    chain = state_folder.parent.name
    chain_id = int(chain) if chain.isdigit() else 0
    return JournalSource(state_folder / JOURNAL_FILE_NAME, chain_id, state_folder.name.lower(), symbol)


class ReportBuilt(Message):
    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report


class ReportFailed(Message):
    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


def _fill(table: DataTable[str], section: Section) -> None:
    table.clear(columns=True)
    headers = section.headers or ("",)
    for index, header in enumerate(headers):
        table.add_column(header or " ", key=str(index))
    for row in section.rows:
        table.add_row(*row)
    if not section.rows and section.note:
        table.add_row(section.note, *([""] * (len(headers) - 1)))


class AnalyticsScreen(Screen[None]):
    CSS_PATH = "analytics.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("r", "reload", "Read again"),
    ]

    def __init__(
        self, sources: Sequence[JournalSource], *, title: str, cache_dir: Path | None = None
    ) -> None:
        super().__init__()
        self.sources = list(sources)
        self.title_text = title
        self.cache_dir = cache_dir
        self.report: Report | None = None
        self.state = "loading"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="analytics-summary")
        with Vertical(id="analytics-loading"):
            yield LoadingIndicator()
            yield Static(id="analytics-loading-text")
        yield Static(id="analytics-problem")
        with TabbedContent(id="analytics-tabs"):
            with TabPane("Over time", id="tab-time"):
                yield TermPlot(id="pnl-plot")
                yield TermPlot(id="position-plot")
                yield TermPlot(id="margin-plot")
            with TabPane("Orders", id="tab-orders"), Horizontal(classes="analytics-pair"):
                yield DataTable(id="orders-table", cursor_type="none", zebra_stripes=True)
                yield TermPlot(id="lifetimes-plot")
            with TabPane("Errors", id="tab-errors"), Horizontal(classes="analytics-pair"):
                yield DataTable(id="errors-table", cursor_type="none", zebra_stripes=True)
                yield TermPlot(id="errors-plot")
            with TabPane("Tables", id="tab-tables"):
                yield VerticalScroll(id="analytics-sections")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"Analytics · {self.title_text}"
        self.action_reload()

    def _set_state(self, state: str) -> None:
        self.state = state
        for name in ("loading", "ready", "failed"):
            self.set_class(state == name, f"-{name}")
        self.refresh_bindings()

    # -- loading -------------------------------------------------------------------------------

    def action_reload(self) -> None:
        paths = [s.path for s in self.sources]
        what = f"{len(paths)} journals" if len(paths) != 1 else paths[0].name
        self.query_one("#analytics-loading-text", Static).update(
            Content(f"reading {what} ({size_text(paths)}) with DuckDB…")
        )
        self._set_state("loading")
        self._build(paths, {s.order_book: s.label for s in self.sources})

    @work(thread=True, exclusive=True, exit_on_error=False, group="analytics")
    def _build(self, paths: list[Path], labels: dict[str, str]) -> None:
        from ama_tui.analytics.cache_dir import default_cache_dir
        from ama_tui.analytics.report import build_report
        from ama_tui.analytics.report_cache import build_deferred, report_cache

        cache = report_cache(self.cache_dir or default_cache_dir())
        try:
            report = build_report(paths, labels=labels, cache=cache)
        except Exception as exc:  # a journal that cannot be read is a sentence, never a traceback
            self.post_message(ReportFailed(f"cannot read the journal: {type(exc).__name__}: {exc}"))
        else:
            self.post_message(ReportBuilt(report))
            build_deferred(cache)  # a journal never seen: its table is built by a child, off the screen

    def on_report_failed(self, message: ReportFailed) -> None:
        self.query_one("#analytics-problem", Static).update(Content(message.problem))
        self._set_state("failed")

    def on_report_built(self, message: ReportBuilt) -> None:
        report = self.report = message.report
        text = summary(report, self.title_text)
        notes = [note for note in report.notes if "malformed" not in note]  # the summary counts them
        if notes:
            text += "\n" + "; ".join(notes)
        self.query_one("#analytics-summary", Static).update(Content(text))
        with self.app.batch_update():
            self._plots(report)
            _fill(self.query_one("#orders-table", DataTable), _merged(orders(report), lifetimes(report)))
            errors = next(s for s in all_sections(report) if s.title == "Errors by code")
            _fill(self.query_one("#errors-table", DataTable), errors)
            self._sections(report)
        self._set_state("ready")

    def _plots(self, report: Report) -> None:
        self.query_one("#pnl-plot", TermPlot).show_lines(
            "PnL (USDC, realized + marked to the last fill) by minute",
            lines_of(report, lambda s: s.total_pnl),
        )
        self.query_one("#position-plot", TermPlot).show_lines(
            "Position (base units, every wallet) by minute", lines_of(report, lambda s: s.position)
        )
        self.query_one("#margin-plot", TermPlot).show_lines(
            "Utilization: margin held by resting orders (USDC) by minute",
            lines_of(report, lambda s: s.resting_margin),
        )
        buckets = report.lifetimes.histogram
        life = self.query_one("#lifetimes-plot", TermPlot)
        if buckets:
            life.show_bars("Order lifetimes", [b.label for b in buckets], [b.count for b in buckets])
        else:
            life.show_empty("Order lifetimes", histogram(report).note or "no order has ended")
        codes = report.errors_by_code
        errors = self.query_one("#errors-plot", TermPlot)
        if codes:
            errors.show_bars("Errors by code", [c.key for c in codes], [c.count for c in codes])
        else:
            errors.show_empty("Errors by code", "no errors recorded")

    def _sections(self, report: Report) -> None:
        holder = self.query_one("#analytics-sections", VerticalScroll)
        holder.remove_children()
        widgets: list[Static | DataTable[str]] = []
        tables: list[tuple[DataTable[str], Section]] = []
        for section in all_sections(report):
            widgets.append(Static(Content(section.title), classes="section-title"))
            if section.rows:
                table: DataTable[str] = DataTable(cursor_type="none", classes="section-table")
                widgets.append(table)
                tables.append((table, section))
            if section.note:
                widgets.append(Static(Content(section.note), classes="section-note"))
        holder.mount_all(widgets)
        for table, section in tables:
            _fill(table, section)

    # -- keys ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reload":
            return self.state != "loading"
        return True

    def action_back(self) -> None:
        self.dismiss(None)


def _merged(first: Section, second: Section) -> Section:
    """Two label/value sections as one table (the orders' figures, then the lifetimes')."""
    rows = first.rows + (second.rows if second.rows else ((second.note, ""),) if second.note else ())
    return Section(first.title, ("figure", "value"), rows, (False, True))
