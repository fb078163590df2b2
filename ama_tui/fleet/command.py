"""Running `ama-tui fleet plan|status`: clear one-line errors (exit 2), never a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from ama_tui.fleet.files import plan_markdown, write_plan
from ama_tui.fleet.fleet_file import read_fleet
from ama_tui.fleet.plan import FleetError, plan_fleet
from ama_tui.fleet.status import fleet_status, status_table


def run_fleet_command(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    try:
        if args.fleet_command == "plan":
            fleet = read_fleet(args.fleet_file)
            processes = plan_fleet(fleet)
            written = write_plan(fleet, processes, args.out, args.executable)
            print(plan_markdown(fleet, processes), file=out)
            print(f"wrote {len(written)} files to {args.out}", file=err)
            return 0
        folders = list(args.state_dir)
        if args.fleet is not None:
            folders.append(Path(read_fleet(args.fleet).state_dir))
        rows, problems = fleet_status(folders or [Path("state")])
    except FleetError as exc:
        print(f"ama-tui: {exc}", file=err)
        return 2
    except OSError as exc:
        print(f"ama-tui: {exc}", file=err)
        return 2
    for problem in problems:
        print(f"warning: {problem}", file=err)
    print(status_table(rows) if rows else "no market with a checkpoint in those state folders", file=out)
    return 0
