"""Key help made from the bindings themselves, so a key added to a screen or a panel shows in its
help without anyone writing it twice.

A binding's help text is its `tooltip` when it has one (a sentence), else its `description` (the
footer's word). Bindings with the same text share a row (`↑ ↓ pgup pgdn  move in the list`); one
without either is not listed. What no binding expresses (typing filters the list, Tab moves
between panels) is given as extra rows by the screen that knows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from textual.binding import Binding, BindingType
from textual.keys import format_key

KEY_NAMES: Final = {"enter": "enter", "escape": "esc", "tab": "tab", "space": "space"}
"""Keys spelled out in help (textual's footer draws enter as ⏎)."""


@dataclass(frozen=True, slots=True)
class KeyRow:
    keys: tuple[str, ...]
    meaning: str

    @property
    def keys_text(self) -> str:
        return " ".join(self.keys)


@dataclass(frozen=True, slots=True)
class HelpSection:
    title: str
    rows: tuple[KeyRow, ...]


def key_text(key: str) -> str:
    """`question_mark` -> `?`, `ctrl+q` -> `ctrl+q`, `pagedown` -> `pgdn`."""
    *modifiers, base = key.split("+")
    shown = KEY_NAMES.get(base) or format_key(base)
    return "+".join([*modifiers, shown])


def binding_rows(
    bindings: Iterable[BindingType], extra: Sequence[tuple[str, str]] = ()
) -> tuple[KeyRow, ...]:
    """One row per help text, its keys in the order they are bound; then the `extra` rows (keys
    separated by spaces, meaning)."""
    keys_by_text: dict[str, list[str]] = {}
    for binding in Binding.make_bindings(bindings):
        text = binding.tooltip or binding.description
        if not text:
            continue
        keys = keys_by_text.setdefault(text, [])
        shown = binding.key_display or key_text(binding.key)
        if shown not in keys:
            keys.append(shown)
    rows = [KeyRow(tuple(keys), text) for text, keys in keys_by_text.items()]
    rows += [KeyRow(tuple(keys.split()), meaning) for keys, meaning in extra]
    return tuple(rows)


def section(
    title: str, *binding_lists: Iterable[BindingType], extra: Sequence[tuple[str, str]] = ()
) -> HelpSection:
    """A help section from one or more classes' `BINDINGS`."""
    bindings = [binding for bindings in binding_lists for binding in bindings]
    return HelpSection(title, binding_rows(bindings, extra))
