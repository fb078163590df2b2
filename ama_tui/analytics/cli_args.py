"""The `report` and `export` subcommands' options (standard library only: `ama-tui` builds these
parsers at every start)."""

from __future__ import annotations

import argparse
from pathlib import Path

REPORT_HELP = "figures from the journals: fill rate, lifetimes, PnL, errors, sessions"
EXPORT_HELP = "export the journals to Parquet or ClickHouse"
EXPORT_KINDS = ("parquet", "clickhouse")


def _add_source(parser: argparse.ArgumentParser) -> None:
    # no default here: `ama-tui --state-dir X report` keeps the X the top-level parser read
    parser.add_argument(
        "--state-dir", type=Path, default=argparse.SUPPRESS, help="state folder (default: ./state)"
    )
    parser.add_argument("--market", help="one market, by symbol or order-book address (default: all)")


def add_analytics_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser(
        "report",
        help=REPORT_HELP,
        description="Figures from the journals: fill rate, lifetimes, PnL, errors, sessions.",
    )
    _add_source(report)
    report.add_argument(
        "--format", choices=("table", "md", "json"), default="table", help="what is printed (default: table)"
    )
    report.add_argument(
        "--since",
        metavar="T",
        help="from this time: 2026-01-31, 2026-01-31T12:00Z, unix seconds or ms, or an age (2h)",
    )
    report.add_argument("--until", metavar="T", help="up to this time (same forms as --since)")
    report.add_argument(
        "--out", type=Path, metavar="DIR", help="also write report.md, report.json and PNG charts here"
    )
    report.add_argument(
        "--no-cache",
        action="store_true",
        help="parse every journal in full (by default parsed journals are kept in ~/.cache/ama-tui, "
        "and a report parses only the lines added since)",
    )
    export = sub.add_parser(
        "export",
        help=EXPORT_HELP,
        description="Export the journals (one row per line) to Parquet or ClickHouse.",
    )
    _add_source(export)
    export.add_argument(
        "--to",
        nargs=2,
        required=True,
        metavar=("KIND", "TARGET"),
        help="parquet OUT_FILE, or clickhouse URL (e.g. http://user:pass@host:8123/db)",
    )
