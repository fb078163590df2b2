"""The market has a checkpoint: resume that run, or start a fresh one? Dismisses with "resume",
"fresh" or None (back to the picker)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from ama_tui.tui.engine_run import CheckpointSummary


class ResumeScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "choose('resume')", "Resume", tooltip="resume the saved run"),
        Binding("f", "choose('fresh')", "Fresh", tooltip="start fresh (the saved run is set aside)"),
        Binding("escape", "choose('')", "Back", tooltip="back to the markets"),
    ]

    def __init__(self, summary: CheckpointSummary) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        s = self.summary
        with Vertical(id="resume-dialog", classes="dialog"):
            yield Static(Content(f"{s.symbol} has a saved run"), id="resume-title")
            with Grid(id="resume-facts"):
                for label, value in (
                    ("Run", s.run_id),
                    ("Started", s.started_at),
                    ("Wallets", str(s.wallets)),
                    ("Last action", s.last_action or "none yet"),
                    ("Config", s.config),
                ):
                    yield Static(Content(label), classes="fact-label")
                    yield Static(Content(value), classes="fact-value")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Resume (r)", id="resume", variant="primary")
                yield Button("Fresh (f)", id="fresh", variant="warning")
                yield Button("Back (esc)", id="back")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#resume", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose("" if event.button.id == "back" else str(event.button.id))

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice or None)
