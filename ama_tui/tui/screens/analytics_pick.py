"""From the picker: the markets stored under a state folder (each with its journal), to open the
analytics screen on one of them or on all of them. Another state folder can be typed."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Final

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from ama_tui.analytics.sources import JournalSource, SourceError, find_journals
from ama_tui.tui.screens.analytics import AnalyticsScreen
from ama_tui.tui.screens.analytics_view import size_text

ALL_MARKETS: Final = "__all__"
COLUMNS: Final = (("market", "Market"), ("chain", "Chain"), ("book", "Order book"), ("size", "Journal"))


class StoredMarketsScreen(Screen[None]):
    CSS_PATH = "analytics.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("enter", "open", "Analytics", priority=True),
    ]

    def __init__(self, state_dir: Path, *, cache_dir: Path | None = None, cursor_blink: bool = True) -> None:
        super().__init__()
        self.state_dir = state_dir
        self.cache_dir = cache_dir
        self.cursor_blink = cursor_blink
        self.sources: list[JournalSource] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(str(self.state_dir), placeholder="state folder", id="stored-folder")
        table: DataTable[str] = DataTable(id="stored-markets", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(id="stored-status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Analytics · stored markets"
        table: DataTable[str] = self.query_one("#stored-markets", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        field = self.query_one("#stored-folder", Input)
        field.cursor_blink = self.cursor_blink
        self._list(self.state_dir)
        table.focus()

    def _list(self, folder: Path) -> None:
        self.state_dir = folder
        table: DataTable[str] = self.query_one("#stored-markets", DataTable)
        table.clear()
        status = self.query_one("#stored-status", Static)
        try:
            self.sources = find_journals(folder)
        except SourceError as exc:
            self.sources = []
            status.update(Content(f"{exc}. Type another state folder above and press enter."))
            return
        if len(self.sources) > 1:
            paths = [s.path for s in self.sources]
            table.add_row("all markets", "", "", size_text(paths), key=ALL_MARKETS)
        for source in self.sources:
            table.add_row(
                source.label,
                str(source.chain_id),
                source.order_book,
                size_text([source.path]),
                key=str(source.path),
            )
        status.update(
            Content(f"{len(self.sources)} stored markets under {folder} · ↑↓ move, enter opens the analytics")
        )

    @on(Input.Submitted, "#stored-folder")
    def _folder_typed(self, event: Input.Submitted) -> None:
        event.stop()
        self._list(Path(event.value.strip() or ".").expanduser())
        self.query_one("#stored-markets", DataTable).focus()

    def action_open(self) -> None:
        if isinstance(self.focused, Input):
            self._folder_typed(Input.Submitted(self.focused, self.focused.value))
            return
        table: DataTable[str] = self.query_one("#stored-markets", DataTable)
        if not self.sources or table.row_count == 0:
            self.app.bell()
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key == ALL_MARKETS:
            chosen, title = self.sources, f"all markets under {self.state_dir}"
        else:
            chosen = [s for s in self.sources if str(s.path) == key]
            title = chosen[0].label if chosen else ""
        if chosen:
            self.app.push_screen(AnalyticsScreen(chosen, title=title, cache_dir=self.cache_dir))

    def action_back(self) -> None:
        self.dismiss(None)
