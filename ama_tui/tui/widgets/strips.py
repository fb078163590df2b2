"""Turning a Rich `Text` into a Textual `Strip` of an exact width (the Line API's unit).

The widgets build their lines by appending styled pieces, so a line's spans never overlap; such a
line is cut into segments directly, which costs a fraction of `Text.render` (that one resolves
arbitrary nested spans). Anything else goes through `Text.render`.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style, StyleType
from rich.text import Text
from textual.strip import Strip

_styles: dict[StyleType, Style] = {}


def _style(console: Console, style: StyleType) -> Style:
    resolved = _styles.get(style)
    if resolved is None:
        resolved = console.get_style(style) if isinstance(style, str) else style
        _styles[style] = resolved
    return resolved


def _flat_segments(text: Text, base: Style, console: Console) -> list[Segment] | None:
    """The segments of a line whose spans are in order and do not overlap; None otherwise."""
    plain = text.plain
    line_style = base + _style(console, text.style) if text.style else base
    segments: list[Segment] = []
    position = 0
    for span in text.spans:
        if span.start < position:
            return None
        if span.start > position:
            segments.append(Segment(plain[position : span.start], line_style))
        if span.end > span.start:
            segments.append(Segment(plain[span.start : span.end], line_style + _style(console, span.style)))
        position = max(position, span.end)
    if position < len(plain):
        segments.append(Segment(plain[position:], line_style))
    return segments


def text_strip(text: Text, width: int, base: Style, console: Console) -> Strip:
    """One line of `text` (no newlines), cropped or padded to `width` cells, over the widget's
    `base` style (its background shows through unstyled cells)."""
    segments = _flat_segments(text, base, console)
    width = max(0, width)
    if segments is None:
        return Strip(list(text.render(console))).apply_style(base).adjust_cell_length(width, base)
    length = cell_len(text.plain)
    if length < width:
        # What `adjust_cell_length` would do, without building the unpadded strip first.
        segments.append(Segment(" " * (width - length), base))
        return Strip(segments, width)
    return Strip(segments, length).adjust_cell_length(width, base)
