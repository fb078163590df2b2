"""The report as Markdown, with the charts written beside it linked in."""

from __future__ import annotations

from collections.abc import Sequence

from ama_tui.analytics.model import Report
from ama_tui.analytics.sections import Section, all_sections


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or " "


def _table(section: Section) -> list[str]:
    headers = section.headers if any(section.headers) else ("figure", "value")
    right = section.right or (False,) * len(headers)
    out = [
        "| " + " | ".join(_cell(h) for h in headers) + " |",
        "|" + "|".join("---:" if r else "---" for r in right) + "|",
    ]
    out.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in section.rows)
    return out


def render_markdown(report: Report, charts: Sequence[tuple[str, str]] = ()) -> str:
    """`charts`: (title, file name relative to the Markdown file)."""
    lines = ["# Journal report", ""]
    if report.notes:
        lines.extend(f"> {note}" for note in report.notes)
        lines.append("")
    for section in all_sections(report):
        lines.extend([f"## {section.title}", ""])
        if section.note:
            lines.extend([f"*{section.note}*", ""])
        if section.rows:
            lines.extend([*_table(section), ""])
    if charts:
        lines.extend(["## Charts", ""])
        for title, name in charts:
            lines.extend([f"### {title}", "", f"![{title}]({name})", ""])
    return "\n".join(lines)
