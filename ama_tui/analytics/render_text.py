"""The report as plain text for a terminal (no colour, no dependency: pipes and `less` read it)."""

from __future__ import annotations

from ama_tui.analytics.model import Report
from ama_tui.analytics.sections import Section, all_sections


def _table(section: Section) -> list[str]:
    widths = [len(h) for h in section.headers]
    for row in section.rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    right = section.right or (False,) * len(widths)

    def line(cells: tuple[str, ...]) -> str:
        parts = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)]
        return "  " + "  ".join(parts).rstrip()

    out: list[str] = []
    if any(section.headers):
        out.append(line(section.headers))
        out.append("  " + "  ".join("-" * w for w in widths))
    out.extend(line(row) for row in section.rows)
    return out


def render_text(report: Report) -> str:
    lines: list[str] = ["Journal report", ""]
    for section in all_sections(report):
        lines.append(section.title)
        if section.note:
            lines.append(f"  ({section.note})")
        if section.rows:
            lines.extend(_table(section))
        lines.append("")
    if report.notes:
        lines.append("Notes")
        lines.extend(f"  - {note}" for note in report.notes)
        lines.append("")
    return "\n".join(lines)
