"""The report as JSON for scripts: field names as in the dataclasses (camelCase), money and sizes
as decimal strings (exact), ratios as numbers, times as unix milliseconds."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from typing import Any

from ama_tui.analytics.model import Report


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {_camel(f.name): _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def report_dict(report: Report) -> dict[str, Any]:
    document: dict[str, Any] = _plain(report)
    document["malformed"] = report.malformed
    document["linesRead"] = report.lines_read
    document["orders"]["fillRate"] = (
        float(report.orders.fill_rate) if report.orders.fill_rate is not None else None
    )
    document["orders"]["churn"] = float(report.orders.churn) if report.orders.churn is not None else None
    return document


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False)
