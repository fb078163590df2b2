"""A full screen that says what went wrong (or how a run ended) in words, never a traceback."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class MessageScreen(Screen[None]):
    """`title` and `body` (plain text, shown as is). With `can_go_back`, escape dismisses it;
    `q` (the app's binding) quits either way."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]

    def __init__(self, title: str, body: str, *, can_go_back: bool = False, error: bool = True) -> None:
        super().__init__(classes="-error" if error else "")
        self.message_title = title
        self.body = body
        self.can_go_back = can_go_back

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="message-panel"):
            yield Static(Content(self.message_title), id="message-title")
            yield Static(Content(self.body), id="message-body")
            hint = "Press q to quit." + ("  Escape goes back." if self.can_go_back else "")
            yield Static(Content(hint), id="message-hint")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.can_go_back
        return True

    def action_back(self) -> None:
        self.dismiss(None)
