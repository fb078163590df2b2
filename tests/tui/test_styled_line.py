"""`StyledLine`: the dashboard's one-line text, and its Strip of an exact width."""

from __future__ import annotations

from rich.console import Console
from rich.style import Style
from rich.text import Text

from ama_tui.tui.widgets.styled_line import LineBuilder, StyledLine, line_strip

CONSOLE = Console(width=200, color_system="truecolor")
BASE = Style(bgcolor="#202020")


def strip_pieces(line: StyledLine, width: int) -> list[tuple[str, Style | None]]:
    return [(segment.text, segment.style) for segment in line_strip(line, width, BASE, CONSOLE)]


def test_builder_merges_runs_of_one_style_and_skips_empty_pieces() -> None:
    line = (
        LineBuilder()
        .append("12:00", "dim")
        .append("")
        .append(" ")
        .append("PLACE", "blue")
        .append(" BUY")
        .build()
    )
    assert line.pieces == (("12:00", "dim"), (" ", ""), ("PLACE", "blue"), (" BUY", ""))
    assert line.plain == "12:00 PLACE BUY"
    again = (
        LineBuilder()
        .append("12:00", "dim")
        .append(" ")
        .append("PLACE", "blue")
        .append(" ")
        .append("BUY")
        .build()
    )
    assert again == line and hash(again) == hash(line), "equal lines are one cache key"


def test_builder_drops_control_characters_from_untrusted_text() -> None:
    line = LineBuilder().append("429 \x1b[2JToo\x07 Many\r\nRequests\x9b\x7f", "red").build()
    assert line.plain == "429 [2JToo Many  Requests"


def test_strip_is_padded_to_the_width_over_the_base_style() -> None:
    line = LineBuilder().append("ab", "bold").append("cd").build()
    strip = line_strip(line, 10, BASE, CONSOLE)
    assert strip.cell_length == 10
    pieces = strip_pieces(line, 10)
    assert [text for text, _ in pieces] == ["ab", "cd", "      "]
    bold, plain, pad = (style for _, style in pieces)
    assert bold is not None and bold.bold and bold.bgcolor == BASE.bgcolor
    assert plain == BASE and pad == BASE


def test_strip_is_cropped_to_the_width_and_counts_wide_characters_as_two_cells() -> None:
    line = LineBuilder().append("● 3,000.10", "yellow").append(" 漢字 tail").build()
    assert line_strip(line, 6, BASE, CONSOLE).cell_length == 6
    assert line_strip(line, 200, BASE, CONSOLE).cell_length == 200
    wide = LineBuilder().append("漢字").build()
    assert line_strip(wide, 4, BASE, CONSOLE).text == "漢字"
    assert line_strip(wide, 6, BASE, CONSOLE).text == "漢字  "
    assert line_strip(StyledLine(), 0, BASE, CONSOLE).cell_length == 0


def test_strip_shows_what_rich_text_would() -> None:
    line = (
        LineBuilder()
        .append("12:00:03", "dim")
        .append(" ")
        .append("ERROR", "bold red")
        .append(" boom", "red")
        .build()
    )
    rendered = Text.assemble(*((piece, style) for piece, style in line.pieces))
    assert rendered.plain == line.plain
    ours = [(s.text, s.style) for s in line_strip(line, len(line.plain), Style(), CONSOLE)]
    theirs = [(s.text, s.style) for s in rendered.render(CONSOLE) if s.text != "\n"]
    assert "".join(t for t, _ in ours) == "".join(t for t, _ in theirs)
    assert {t: s for t, s in ours if s} == {t: s for t, s in theirs if s}
