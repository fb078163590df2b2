"""What a supervisor runs a plan from: per process an environment file and a plain command line,
one systemd template unit for them all, and a summary (`plan.md`) of who gets what."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from ama_tui.fleet.plan import BPS, Fleet, Process, allocated_bps

UNIT_NAME = "ama-tui@.service"


def unit_text(executable: str, workdir: str) -> str:
    """A systemd template unit: `systemctl start ama-tui@NAME` runs the process NAME."""
    return "\n".join(
        [
            "[Unit]",
            "Description=ama-tui %i",
            "After=network-online.target",
            "Wants=network-online.target",
            "",
            "[Service]",
            f"WorkingDirectory={workdir}",
            f"EnvironmentFile={workdir}/fleet/%i.env",
            f"ExecStart={executable} $AMA_TUI_ARGS",
            "# SIGTERM stops a run cleanly (state saved); a restart resumes it",
            "KillSignal=SIGTERM",
            "TimeoutStopSec=60",
            "Restart=on-failure",
            "RestartSec=10",
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )


def write_plan(
    fleet: Fleet, processes: Sequence[Process], out: Path, executable: str = "ama-tui"
) -> list[Path]:
    """Write the plan into `out` (created); returns the files written."""
    folder = out / "fleet"
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    commands = ["#!/bin/sh", "# one line per process; run each under any supervisor (or with & in a shell)"]
    for process in processes:
        env = folder / f"{process.name}.env"
        env.write_text(f"AMA_TUI_ARGS={shlex.join(process.arguments())}\n", encoding="utf-8")
        written.append(env)
        host = f"  # on {process.host}" if process.host else ""
        commands.append(shlex.join([executable, *process.arguments()]) + host)
    run_all = out / "run-fleet.sh"
    run_all.write_text("\n".join(commands) + "\n", encoding="utf-8")
    unit = out / UNIT_NAME
    unit.write_text(unit_text(executable, str(out.resolve())), encoding="utf-8")
    summary = out / "plan.md"
    summary.write_text(plan_markdown(fleet, processes), encoding="utf-8")
    return [*written, run_all, unit, summary]


def _share(bps: int) -> Decimal:
    return Decimal(bps) / BPS


def plan_markdown(fleet: Fleet, processes: Sequence[Process]) -> str:
    lines = [
        "# Fleet plan",
        "",
        f"Every wallet's markets together use at most {_share(fleet.utilization_bps)} of its collateral.",
        "",
        "| process | market | wallets | maxWalletUtilization | strategy | host |",
        "|---|---|---|---|---|---|",
    ]
    for process in processes:
        lines.append(
            f"| {process.name} | {process.market} | {process.group} | "
            f"{_share(process.utilization_bps)} | {process.strategy} | {process.host or '-'} |"
        )
    totals = allocated_bps(fleet, processes)
    most = max(totals.values(), default=0)
    lines += [
        "",
        f"Most allocated to any one wallet: {_share(most)} (of {_share(fleet.utilization_bps)}).",
        "",
    ]
    return "\n".join(lines)
