"""`j` on the dashboard: the market's whole journal (`actions.jsonl`) in a searchable viewer.

The log panel shows the tail the engine keeps; this reads the file itself, in a thread worker that
only posts the lines back (a long run's journal is large). Lines stay as the file has them and are
parsed only when they scroll into view (the Line API renders the visible ones, cached); a search
keeps the lines whose JSON contains every term (case-insensitive: a wallet, an action, an order
id, a price as the journal writes it, a word of an error). A torn last line (a run killed while
writing) shows as it is.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import ClassVar

from pydantic import ValidationError
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from ama_tui.core.models import ActionLogLine
from ama_tui.tui.widgets.action_log import log_line_text
from ama_tui.tui.widgets.line_list import LineList
from ama_tui.tui.widgets.styled_line import LineBuilder, StyledLine


class JournalLines(LineList):
    """Lines of the journal file, filtered by a search; newest at the bottom."""

    def __init__(
        self, *, tick6: int, name: str | None = None, id: str | None = None, classes: str | None = None
    ):
        super().__init__(name=name, id=id, classes=classes)
        self.tick6 = tick6
        self.raw: list[str] = []
        self.shown: list[int] = []
        """Indexes into `raw` of the lines the search keeps."""
        self.query_text = ""

    def set_raw(self, raw: list[str]) -> None:
        self.raw = raw
        self.set_query(self.query_text)

    def set_query(self, query: str) -> None:
        self.query_text = " ".join(query.split())
        terms = [term.lower() for term in query.split()]
        if terms:
            self.shown = [i for i, line in enumerate(self.raw) if all(t in line.lower() for t in terms)]
        else:
            self.shown = list(range(len(self.raw)))
        self.items_changed()
        self.scroll_end(animate=False, immediate=True, x_axis=False)

    def item_count(self) -> int:
        return len(self.shown)

    def item_key(self, index: int) -> Hashable:
        return self.shown[index]

    def item_text(self, index: int) -> StyledLine:
        raw = self.raw[self.shown[index]]
        try:
            line = ActionLogLine.model_validate(json.loads(raw))
        except (ValueError, ValidationError):
            return LineBuilder().append(raw, "dim").build()
        return log_line_text(line, self.tick6)


class JournalScreen(Screen[None]):
    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("slash", "search", "Search"),
    ]

    class Loaded(Message):
        def __init__(self, lines: list[str] | None, error: str | None) -> None:
            super().__init__()
            self.lines = lines
            self.error = error

    def __init__(self, path: Path, *, tick6: int) -> None:
        super().__init__()
        self.path = path
        self.tick6 = tick6
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="search: every word must appear (wallet, action, order id…) — Enter applies",
            id="journal-search",
            compact=True,
        )
        yield JournalLines(tick6=self.tick6, id="journal-lines")
        yield Static(f"reading {self.path}…", id="journal-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.lines_view = self.query_one(JournalLines)
        self.lines_view.border_title = "Journal"
        self.status = self.query_one("#journal-status", Static)
        self.lines_view.focus()
        self._read(self.path)

    @work(thread=True, exclusive=True, exit_on_error=False, name="journal-reader")
    def _read(self, path: Path) -> None:
        """Off the UI thread: the file's lines, or why it could not be read."""
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            self.post_message(self.Loaded(None, f"cannot read {path}: {exc.strerror or exc}"))
            return
        self.post_message(self.Loaded([line for line in text.splitlines() if line.strip()], None))

    def on_journal_screen_loaded(self, message: JournalScreen.Loaded) -> None:
        if message.lines is None:
            self.status.update(message.error or "")
            return
        self.lines_view.set_raw(message.lines)
        self.loaded = True
        self._say()

    def _say(self) -> None:
        view = self.lines_view
        total = len(view.raw)
        if view.query_text:
            found = f"{len(view.shown):,} of {total:,} lines match “{view.query_text}”"
            self.status.update(f"{found} — {self.path}")
        else:
            self.status.update(f"{total:,} lines — {self.path}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.lines_view.set_query(event.value)
        self._say()
        self.lines_view.focus()

    def action_search(self) -> None:
        self.query_one("#journal-search", Input).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @property
    def shown_lines(self) -> Sequence[str]:
        view = self.lines_view
        return [view.raw[i] for i in view.shown]
