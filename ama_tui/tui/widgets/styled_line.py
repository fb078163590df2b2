"""One line of styled text, as the dashboard's hot widgets build it ten times a second.

A `StyledLine` is a tuple of (text, style name) pieces: cheap to build, to compare and to hash
(a widget caches a rendered line by it), and turned into a Textual `Strip` without going through
a Rich `Text` (whose `append` and span resolution cost more than the rest of a line together).
Adjacent pieces of one style are merged, so a line has as few segments as it has colours: every
segment costs again in Textual's filters and in the compositor's cuts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

_CONTROL = str.maketrans(
    {chr(code): None for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | dict.fromkeys("\t\n\r", " ")
)
"""C0 and C1 control characters and DEL: gone (an escape sequence in an error message from the
network must not reach the terminal); tabs and line breaks: a space (this is one line)."""

Piece = tuple[str, str]
"""(text, style name): the style as Rich parses it ("bold red", "dim", "" for none)."""


@dataclass(frozen=True, slots=True)
class StyledLine:
    pieces: tuple[Piece, ...] = ()

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.pieces)


class LineBuilder:
    """Appends pieces left to right, without control characters (journal lines carry text from
    the network and from the user's wallets file)."""

    __slots__ = ("_pieces",)

    def __init__(self) -> None:
        self._pieces: list[Piece] = []

    def append(self, text: str, style: str = "") -> LineBuilder:
        if not text:
            return self
        text = text.translate(_CONTROL)
        pieces = self._pieces
        if pieces and pieces[-1][1] == style:
            pieces[-1] = (pieces[-1][0] + text, style)
        else:
            pieces.append((text, style))
        return self

    def build(self) -> StyledLine:
        return StyledLine(tuple(self._pieces))


_styles: dict[tuple[Style, str], Style] = {}


def _segment_style(base: Style, name: str, console: Console) -> Style:
    key = (base, name)
    style = _styles.get(key)
    if style is None:
        style = base + console.get_style(name) if name else base
        if len(_styles) > 4096:  # a long session's themes and widgets: never unbounded
            _styles.clear()
        _styles[key] = style
    return style


def line_strip(line: StyledLine, width: int, base: Style, console: Console) -> Strip:
    """`line` cropped or padded to exactly `width` cells, over the widget's `base` style (its
    background shows through unstyled cells)."""
    width = max(0, width)
    segments: list[Segment] = []
    length = 0
    for text, name in line.pieces:
        segments.append(Segment(text, _segment_style(base, name, console)))
        length += cell_len(text)
    if length < width:
        segments.append(Segment(" " * (width - length), base))
        return Strip(segments, width)
    return Strip(segments, length).adjust_cell_length(width, base)


ELLIPSIS: Final = "…"


def clip_line(line: StyledLine, width: int) -> StyledLine:
    """`line` in at most `width` cells: as it is when it fits, else cut at the last space that
    leaves room for an ellipsis, so a price or an amount is never cut in two (a cut `3,000.9` of
    3,000.91 reads as a plausible wrong price). A line without such a space is cut hard, still
    with the ellipsis."""
    plain = line.plain
    if cell_len(plain) <= width:
        return line
    if width <= 0:
        return StyledLine()
    room = width - 1
    # a character per cell up to `room` (the dashboard's lines are narrow characters but for a
    # few symbols; `cell_len` below keeps a wide one from overflowing)
    cut = room
    while cut > 0 and cell_len(plain[:cut]) > room:
        cut -= 1
    if plain[cut : cut + 1] != " ":
        space = plain.rfind(" ", 0, cut)
        if space > 0:
            cut = space
    kept = plain[:cut].rstrip()
    cut = len(kept)
    builder = LineBuilder()
    start = 0
    last_style = ""
    for text, style in line.pieces:
        if start >= cut:
            break
        builder.append(text[: cut - start], style)
        last_style = style
        start += len(text)
    builder.append(ELLIPSIS, last_style or "dim")
    return builder.build()
