"""Cancel-all is done and the run has stopped: say what was cancelled, and offer the way back —
the market picker, or the same run kept running paused with the book empty of our orders (`q`
still quits). Dismisses with a `ClearedChoice`. A run over several markets gets the same choice,
with what was cancelled in each market (`MarketsClearedScreen`)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from ama_tui.engine.multi_market import MultiSummary
from ama_tui.engine.packer import RunSummary
from ama_tui.engine.snapshot import EngineSnapshot


class ClearedChoice(StrEnum):
    MARKETS = "markets"
    KEEP_RUNNING = "keep"


Progress = tuple[tuple[str, int, int], ...]
"""(wallet, cancelled, of) per wallet: a snapshot's `cancel_progress`."""


def _progress(snapshot: EngineSnapshot | None) -> Progress:
    return snapshot.cancel_progress if snapshot is not None else ()


def _title(progress: Progress, where: str = "") -> str:
    done = sum(d for _, d, _ in progress)
    total = sum(t for _, _, t in progress)
    if done == total:
        return (
            f"Cancel-all done{where}: {done} orders cancelled"
            if total
            else f"Cancel-all done{where}: no order was resting"
        )
    return f"Cancel-all stopped with {total - done} of {total} orders still resting"


def _left(progress: Progress) -> str:
    """`Sim001 2/3, Sim003 0/1`: the wallets whose orders were not all cancelled."""
    return ", ".join(f"{name} {d}/{t}" for name, d, t in progress if d < t)


def cleared_text(summary: RunSummary, snapshot: EngineSnapshot | None) -> tuple[str, str]:
    """(title, body): how many orders were cancelled, per wallet where some are left."""
    progress = _progress(snapshot)
    title = _title(progress)
    lines = []
    left = _left(progress)
    if left:
        lines.append("Not all cancelled: " + left + " (the journal has each error).")
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


def markets_cleared_text(
    summary: MultiSummary, snapshots: Mapping[str, EngineSnapshot | None]
) -> tuple[str, str]:
    """(title, body) for a run over several markets: over all of them, then per market what was
    cancelled (the wallets with orders left) and what its run did."""
    progress = {symbol: _progress(snapshot) for symbol, snapshot in snapshots.items()}
    title = _title(tuple(p for each in progress.values() for p in each), f" in {len(snapshots)} markets")
    lines = []
    for market in summary.markets:
        each = progress.get(market.symbol, ())
        done, total = sum(d for _, d, _ in each), sum(t for _, _, t in each)
        left = _left(each)
        cancelled = f"{done} of {total} orders cancelled" + (f", not all: {left}" if left else "")
        s = market.summary
        lines.append(
            f"{market.symbol}: {cancelled}; its run: {s.cycles} cycles, {s.placed} placed, "
            f"{s.cancelled} cancelled, {s.fills} fills, {s.errors} errors."
        )
    if any(_left(each) for each in progress.values()):
        lines.append("The journal of each market has each error.")
    body = ["\n".join(lines), "The run stopped; every market's checkpoint is saved."]
    body.append(
        "Back to the markets (m), or keep this run going over the same markets, paused with the "
        "books empty of our orders (k): p on a market's tab starts quoting it again. q quits."
    )
    return title, "\n\n".join(body)


class ClearedScreen(ModalScreen[ClearedChoice]):
    """The dialog: a title, what happened, and the two ways on."""

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

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text, self.body = title, body

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


class BookClearedScreen(ClearedScreen):
    """After cancel-all in a run over one market."""

    def __init__(self, summary: RunSummary, snapshot: EngineSnapshot | None) -> None:
        super().__init__(*cleared_text(summary, snapshot))


class MarketsClearedScreen(ClearedScreen):
    """After cancel-all in a run over several markets (`snapshots`: each market's last)."""

    def __init__(self, summary: MultiSummary, snapshots: Mapping[str, EngineSnapshot | None]) -> None:
        super().__init__(*markets_cleared_text(summary, snapshots))
