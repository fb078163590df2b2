"""Cancel-all is done and the run has stopped: say what was cancelled, and offer the way back —
the market picker, or the same run kept running paused with the book empty of our orders (`q`
still quits). Dismisses with a `ClearedChoice`."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from ama_tui.engine.packer import RunSummary
from ama_tui.engine.snapshot import EngineSnapshot


class ClearedChoice(StrEnum):
    MARKETS = "markets"
    KEEP_RUNNING = "keep"


def cleared_text(summary: RunSummary, snapshot: EngineSnapshot | None) -> tuple[str, str]:
    """(title, body): how many orders were cancelled, per wallet where some are left."""
    progress = snapshot.cancel_progress if snapshot is not None else ()
    done = sum(d for _, d, _ in progress)
    total = sum(t for _, _, t in progress)
    if done == total:
        title = (
            f"Cancel-all done: {done} orders cancelled" if total else "Cancel-all done: no order was resting"
        )
    else:
        title = f"Cancel-all stopped with {total - done} of {total} orders still resting"
    lines = []
    left = [f"{name} {d}/{t}" for name, d, t in progress if d < t]
    if left:
        lines.append("Not all cancelled: " + ", ".join(left) + " (the journal has each error).")
    lines.append(
        f"Run {summary.run_id} stopped after {summary.cycles} cycles: {summary.placed} placed, "
        f"{summary.cancelled} cancelled, {summary.fills} fills, {summary.errors} errors. "
        "The checkpoint is saved."
    )
    lines.append(
        "Back to the markets (m), or keep this run going paused with the book empty of our "
        "orders (k): p on the dashboard starts quoting again. q quits."
    )
    return title, "\n\n".join(lines)


class BookClearedScreen(ModalScreen[ClearedChoice]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "choose('markets')", "Markets", tooltip="back to the market picker"),
        Binding("escape", "choose('markets')", "Markets", show=False, tooltip="back to the market picker"),
        Binding(
            "k",
            "choose('keep')",
            "Keep running",
            tooltip="resume the run paused, the book empty of our orders (p starts quoting)",
        ),
    ]

    def __init__(self, summary: RunSummary, snapshot: EngineSnapshot | None) -> None:
        super().__init__()
        self.title_text, self.body = cleared_text(summary, snapshot)

    def compose(self) -> ComposeResult:
        with Vertical(id="cleared-dialog", classes="dialog"):
            yield Static(Content(self.title_text), id="cleared-title")
            yield Static(Content(self.body), id="cleared-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Markets (m)", id="to-markets", variant="primary")
                yield Button("Keep running (k)", id="keep-running")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#to-markets", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose("keep" if event.button.id == "keep-running" else "markets")

    def action_choose(self, choice: str) -> None:
        self.dismiss(ClearedChoice(choice))
