"""The tabs of a run over several markets: a one-line bar naming them (the shown one stands out)
and the keys that switch between them, bound on every tab's screen (so they are in its help and
footer). A tab asks the app for another with `TabWanted`; the app alone switches screens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

OVERVIEW: Final = "Overview"
MAX_NUMBERED: Final = 9
"""Tabs 1-9 have a key of their own; `[` and `]` reach every tab."""

TAB_BINDINGS: Final[list[BindingType]] = [
    Binding(
        "right_square_bracket",
        "tab(1)",
        "Next tab",
        tooltip="next market's tab (after the last: the overview)",
    ),
    Binding("left_square_bracket", "tab(-1)", "Prev tab", show=False, tooltip="previous market's tab"),
    Binding("0", "goto_tab(0)", show=False, tooltip="the fleet overview: every market and wallet"),
    *(
        Binding(str(n), f"goto_tab({n})", show=False, tooltip="market 1, 2, … 9's tab (in the bar's order)")
        for n in range(1, MAX_NUMBERED + 1)
    ),
]


class TabWanted(Message):
    """A tab's screen asks for another tab: `index` (0 the overview, 1.. the markets) or a
    `step` from the shown one."""

    def __init__(self, *, index: int | None = None, step: int = 0) -> None:
        super().__init__()
        self.index = index
        self.step = step


class TabKeys:
    """The tab keys' actions, for a screen that shows the bar (a mixin; the screen binds
    `TAB_BINDINGS`)."""

    def action_tab(self, step: int) -> None:
        self.post_message(TabWanted(step=step))  # type: ignore[attr-defined]

    def action_goto_tab(self, index: int) -> None:
        self.post_message(TabWanted(index=index))  # type: ignore[attr-defined]


def tab_labels(symbols: Sequence[str]) -> list[str]:
    return [f"0 {OVERVIEW}", *(f"{i} {s}" if i <= MAX_NUMBERED else s for i, s in enumerate(symbols, 1))]


def tabs_content(symbols: Sequence[str], shown: int) -> Content:
    """` 0 Overview │ 1 ETH-USD │ 2 BTC-USD ` with the shown tab reversed."""
    parts: list[Content] = []
    for index, label in enumerate(tab_labels(symbols)):
        if parts:
            parts.append(Content.styled(" │ ", "dim"))
        parts.append(Content.styled(f" {label} ", "bold reverse" if index == shown else ""))
    parts.append(Content.styled("   [ ] switch", "dim"))
    return Content("").join(parts)


class MarketTabsBar(Static):
    """The tab bar: which tabs there are and which one is shown."""

    def __init__(self, symbols: Sequence[str], shown: int, *, id: str | None = None) -> None:
        super().__init__(tabs_content(symbols, shown), id=id)
        self.symbols = tuple(symbols)
        self.shown = shown
