"""The dashboard's own key help, for a host that has no help of its own: the keys come from the
bindings (`DashboardScreen.help_sections`, carried by its `HelpRequested` message), then what
the ladder and the wallets panel show."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import ClassVar, Final

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ama_tui.tui.key_help import HelpSection

NAME_WIDTH: Final = 9
TEXT_WIDTH: Final = 68
"""The dialog's inner width (modals.tcss): a long meaning wraps under itself within it."""
NOTES: Final = """\
The ladder marks our orders with ●n: how many of them rest at that price;
its columns: the book's size, ours (our orders' size there), cum (the size
from the spread through that row); - and + group its rows by ticks. Under
it, the safety floor every order keeps from the mid and the other side
(safetySigmas × σ × √latency). The trends: the last two minutes.
Cap = maxWalletUtilization × (free collateral + margin held by our open
orders); Util = margin held by our open orders / Cap: green below 70 %,
yellow below 90 %, red above. Status: why a wallet skips, its last error.
Alerts (banner, log line, bell): kill switch, a wallet over its cap, 5 errors
within 30 s, a running wallet without a session."""


def help_text(sections: Sequence[HelpSection]) -> Content:
    """Each section's title, then `keys  what they do`, a long meaning wrapping under itself."""
    parts: list[Content] = []
    for keys in sections:
        parts.append(Content.styled(keys.title, "bold"))
        for row in keys.rows:
            lines = textwrap.wrap(row.meaning, TEXT_WIDTH - NAME_WIDTH - 2) or [""]
            parts.append(Content.assemble((f"{row.keys_text:>{NAME_WIDTH}}", "bold"), "  ", lines[0]))
            parts.extend(Content(" " * (NAME_WIDTH + 2) + line) for line in lines[1:])
        parts.append(Content(""))
    parts.append(Content(NOTES))
    parts.append(Content("\nEsc, q or ? closes this help."))
    return Content("\n").join(parts)


class DashboardHelp(ModalScreen[None]):
    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    def __init__(self, sections: Sequence[HelpSection]) -> None:
        super().__init__()
        self.sections = tuple(sections)

    def compose(self) -> ComposeResult:
        # scrolls (arrows, pgup/pgdn) where the screen is shorter than the text (80x24)
        with VerticalScroll(id="dashboard-help"):
            yield Static(help_text(self.sections))

    def action_close(self) -> None:
        self.dismiss(None)
