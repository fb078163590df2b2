"""`?`: every key of the app, by screen."""

from __future__ import annotations

from typing import ClassVar, Final

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

KEYS: Final[tuple[tuple[str, tuple[tuple[str, str], ...]], ...]] = (
    (
        "Anywhere",
        (
            ("?  f1", "this help (again to close)"),
            ("q", "quit; during a run: stop, save the checkpoint, then quit"),
            ("ctrl+q", "the same, even while typing in a field"),
        ),
    ),
    (
        "Market picker",
        (
            ("type", "filter the markets"),
            ("↑ ↓  pgup pgdn", "move in the list"),
            ("enter", "pick the market"),
            ("ctrl+l", "load more markets (when the exchange has more)"),
            ("r", "retry when the exchange did not answer"),
        ),
    ),
    ("Resume or fresh", (("r", "resume the saved run"), ("f", "start fresh"), ("escape", "back"))),
    (
        "Configuration",
        (("tab  shift+tab", "next / previous field"), ("ctrl+s", "start"), ("escape", "back")),
    ),
    (
        "Dashboard",
        (
            ("p", "pause / resume quoting"),
            ("x", "cancel all our orders, then stop (asks first)"),
            ("e", "edit the parameters of the running packer"),
            ("/", "filter"),
            ("tab", "next panel; ↑ ↓ pgup pgdn scroll it"),
            ("end  home", "log: follow the newest again; fills: back to the newest"),
        ),
    ),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("f1", "close", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static("Keys", id="help-title")
            with VerticalScroll(id="help-body"):
                for section, keys in KEYS:
                    yield Static(Content(section), classes="help-section")
                    for key, what in keys:
                        yield Static(Content.assemble((f"{key:>16}", "bold"), "  ", what), classes="help-key")
            yield Static("escape closes", id="help-hint")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
