"""`ama-tui fleet plan|status` arguments (standard library only: the CLI builds every parser)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_fleet_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fleet = sub.add_parser(
        "fleet",
        help="split a fleet into processes (plan) or show every market's state (status)",
        description="A fleet across processes and machines.",
    )
    verbs = fleet.add_subparsers(dest="fleet_command", required=True)
    plan = verbs.add_parser(
        "plan",
        help="split a fleet file into ama-tui run processes that never over-allocate a wallet",
        description="Write, per market, an environment file and a command line, a systemd template "
        "unit and a plan summary. Each process gets its share of maxWalletUtilization, so the "
        "markets a wallet quotes can never together use more than the fleet allows.",
    )
    plan.add_argument("fleet_file", type=Path, metavar="FLEET.toml")
    plan.add_argument(
        "--out", type=Path, default=Path("fleet-plan"), help="folder to write (default: fleet-plan)"
    )
    plan.add_argument("--executable", default="ama-tui", help="the command the units and lines run")
    status = verbs.add_parser("status", help="one table of every market in the state folders")
    status.add_argument(
        "--state-dir",
        type=Path,
        action="append",
        default=[],
        help="a state folder (repeatable; default ./state)",
    )
    status.add_argument(
        "--fleet", type=Path, default=None, help="also every state folder this fleet file uses"
    )
