"""While the wallets' trading sessions are created: a progress bar and one line per wallet.

Fed by the app with the engine's `SessionProgress` reports (posted from the worker thread as
messages); the app switches to the dashboard once the engine publishes its first snapshot.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from ama_tui.engine.packer import SessionProgress
from ama_tui.tui.screens.picker import short_address


def session_line(report: SessionProgress) -> Content:
    if report.error:
        return Content.assemble(
            ("✗ ", "bold $error"), f"{report.nickname}  {short_address(report.address)}  {report.error}"
        )
    return Content.assemble(("✓ ", "bold $success"), f"{report.nickname}  {short_address(report.address)}")


class SessionsScreen(Screen[None]):
    def __init__(self, *, symbol: str, wallets: int, resumed: bool) -> None:
        super().__init__()
        self.symbol = symbol
        self.wallets = wallets
        self.resumed = resumed
        self.reports: list[SessionProgress] = []

    def compose(self) -> ComposeResult:
        yield Header()
        verb = "Resuming" if self.resumed else "Starting"
        yield Static(
            Content(f"{verb} on {self.symbol} with {self.wallets} wallets: opening trading sessions"),
            id="sessions-title",
        )
        yield ProgressBar(total=self.wallets, show_eta=False, id="sessions-progress")
        yield Static(Content("Preparing the run…"), id="sessions-status")
        yield VerticalScroll(id="sessions-lines")
        yield Footer()

    def record(self, report: SessionProgress) -> None:
        """One wallet done (called on the main thread by the app)."""
        self.reports.append(report)
        self.query_one("#sessions-progress", ProgressBar).update(total=report.total, progress=report.done)
        failed = sum(1 for r in self.reports if r.error)
        status = f"{report.done} of {report.total} sessions"
        if failed:
            status += f", {failed} failed (those wallets retry every cycle)"
        self.query_one("#sessions-status", Static).update(Content(status))
        lines = self.query_one("#sessions-lines", VerticalScroll)
        line = Static(
            session_line(report), classes="session-line -failed" if report.error else "session-line"
        )
        lines.mount(line)
        lines.scroll_end(animate=False)
