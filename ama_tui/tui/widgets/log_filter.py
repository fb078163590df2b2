"""The action log's filter box: Enter applies (the `Input.Submitted` message), Escape clears it."""

from __future__ import annotations

from typing import ClassVar, Final

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

LOG_FILTER_HINT: Final = "filter: wallet and/or action, e.g. Sim001 FILL — Enter applies, Esc clears"


class LogFilterInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "clear_filter", "Clear filter", show=False)]

    class Cleared(Message):
        """The user pressed Escape: clear the filter and hide the box."""

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(
            placeholder=LOG_FILTER_HINT,
            id=id,
            classes=classes,
            compact=True,
        )

    def action_clear_filter(self) -> None:
        self.value = ""
        self.post_message(self.Cleared())
