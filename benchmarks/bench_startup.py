"""How fast does a run start? Import time, launch to exit, key work for a big fleet and a big CSV.

    uv run python benchmarks/bench_startup.py [--repeat N] [--rows N] [--wallets N]

Prints figures only (issue 13, "a fast start"; targets on the reference machine in brackets):

- `python -X importtime` total of everything `ama-tui run` on the embedded exchange imports, the
  heaviest top-level imports, and whether modules the run never needs (textual, web3, eth_account,
  py_ecc, the devnet) were imported;
- wall time from launch of `python -m ama_tui run --venue sim --virtual-time --cycles 1 --wallets 1`
  to the "starting run" line (the packer's first act is the first session request) [< 1 s] and to exit;
- the same run with 1,000 wallets: launch to the first session request (every key derived)
  [< 5 s to the first cycle], to the last session opened, and to exit after one full cycle;
- deriving 1,000 wallet addresses in-process;
- loading a 10,000-row wallets CSV, every row's key checked [< 2 s], and for a 10-wallet run.

The runs use the virtual environment's interpreter directly (and, for one figure, `uv run`, which
adds its own start-up) in a fresh temporary folder each time, so no `.env` and no checkpoint are
picked up.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ama_tui.core.keys import PrivateKey
from ama_tui.protocol.accounts import address_of
from ama_tui.store.wallets_csv import load_wallets_csv
from ama_tui.store.wallets_derived import derive_wallets

UNNEEDED = ("textual", "rich", "web3", "eth_account", "eth_keyfile", "py_ecc", "ama_tui.devnet")
"""Top-level packages the headless run on the embedded exchange should never import."""

_LIVE_VARIABLES = (
    "RPC_URL",
    "RPC_URL_HYPEREVM",
    "SESSION_REGISTRY_ADDRESS",
    "CHAIN_ID",
    "NEXT_PUBLIC_CHAIN_ID",
)


PROJECT = Path(__file__).resolve().parent.parent
PYTHON_LAUNCHER = (sys.executable, "-m", "ama_tui")
UV_LAUNCHER = ("uv", "run", "--project", str(PROJECT), "ama-tui")
"""As the README launches it: `uv run` checks the environment first. (With `compile-bytecode`
in the project's uv settings it also ran its bytecode compiler over all of site-packages at every
launch, astral-sh/uv#12202: 0.8-1.3 s; the project no longer sets it.)"""


def run_command(wallets: int, state_dir: Path, launcher: tuple[str, ...] = PYTHON_LAUNCHER) -> list[str]:
    return [
        *launcher,
        "run",
        "--venue",
        "sim",
        "--virtual-time",
        "--cycles",
        "1",
        "--wallets",
        str(wallets),
        "--market",
        "ETH-USD",
        "--state-dir",
        str(state_dir),
    ]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LIVE_VARIABLES}
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


@dataclass(frozen=True)
class Launch:
    to_start_s: float
    """Launch to the "starting run" line: the first session request follows immediately."""
    to_sessions_s: float
    """Launch to the last "session N/N" line: every wallet has a session, the first cycle starts."""
    to_exit_s: float
    stderr: str


def launch(wallets: int, *, importtime: bool = False, launcher: tuple[str, ...] = PYTHON_LAUNCHER) -> Launch:
    with tempfile.TemporaryDirectory(prefix="ama-bench-start-") as folder:
        command = run_command(wallets, Path(folder) / "state", launcher)
        if importtime:
            command[1:1] = ["-X", "importtime"]
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=folder,
            env=_environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        lines: list[str] = []
        to_start = to_sessions = float("nan")
        for line in process.stderr:
            if line.startswith("starting run") and math.isnan(to_start):
                to_start = time.perf_counter() - started
            elif line.startswith(f"session {wallets}/{wallets} "):
                to_sessions = time.perf_counter() - started
            lines.append(line)
        code = process.wait()
        to_exit = time.perf_counter() - started
    stderr = "".join(lines)
    if code != 0:
        tail = "\n".join(line for line in stderr.splitlines() if not line.startswith("import time:"))
        raise SystemExit(f"the run exited with {code}:\n{tail[-2000:]}")
    return Launch(to_start, to_sessions, to_exit, stderr)


@dataclass(frozen=True)
class ImportReport:
    total_ms: float
    heaviest: list[tuple[float, str]]
    unneeded: list[str]


def import_report(stderr: str) -> ImportReport:
    """Sum the cumulative times of the top-level imports (`-X importtime` indents nested ones)."""
    top: list[tuple[float, str]] = []
    names: set[str] = set()
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        names.add(name.strip())
        if name.startswith(" ") and not name.startswith("  "):
            top.append((int(cumulative) / 1000, name.strip()))
    found = sorted(
        {
            package
            for package in UNNEEDED
            for name in names
            if name == package or name.startswith(package + ".")
        }
    )
    return ImportReport(sum(ms for ms, _ in top), sorted(top, reverse=True)[:8], found)


def derive_seconds(count: int, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        wallets = derive_wallets(0, count)
        timings.append(time.perf_counter() - started)
        assert len(wallets) == count
    return statistics.median(timings)


def csv_seconds(rows: int, repeat: int) -> tuple[float, float, float]:
    """(build, load all rows, load 10 rows) seconds for a `rows`-row CSV."""
    with tempfile.TemporaryDirectory(prefix="ama-bench-csv-") as folder:
        path = Path(folder) / "wallets.csv"
        started = time.perf_counter()
        lines = ["nickname,address,privateKey\n"]
        for index in range(1, rows + 1):
            key = f"{index:064x}"
            lines.append(f"User{index:05d},{address_of(PrivateKey(key))},{key}\n")
        path.write_text("".join(lines))
        path.chmod(0o600)
        build = time.perf_counter() - started

        def median(count: int | None) -> float:
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                loaded = load_wallets_csv(path, count=count)
                timings.append(time.perf_counter() - started)
                assert len(loaded.wallets) == (count or rows)
            return statistics.median(timings)

        return build, median(None), median(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the wallets CSV")
    parser.add_argument("--wallets", type=int, default=1_000, help="wallets of the big run")
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]} at {sys.executable}")
    print(f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")

    launch(1)  # warm the file cache
    reports = [import_report(launch(1, importtime=True).stderr) for _ in range(args.repeat)]
    report = min(reports, key=lambda r: r.total_ms)
    print(
        f"import time of the run path (python -X importtime, best of {args.repeat}): "
        f"{report.total_ms:.0f} ms (median {statistics.median(r.total_ms for r in reports):.0f} ms)"
    )
    for ms, name in report.heaviest:
        print(f"  {ms:7.1f} ms  {name}")
    print(f"  modules the run does not need that were imported: {', '.join(report.unneeded) or 'none'}")

    runs = [launch(1) for _ in range(args.repeat)]
    start = statistics.median(run.to_start_s for run in runs)
    finish = statistics.median(run.to_exit_s for run in runs)
    print(f"launch to first session request, 1 wallet, median of {args.repeat}: {start:.3f} s (target < 1 s)")
    print(f"launch to exit, 1 wallet, 1 cycle, median of {args.repeat}: {finish:.3f} s")
    if shutil.which("uv"):
        via_uv = [launch(1, launcher=UV_LAUNCHER) for _ in range(args.repeat)]
        print(
            f"the same through `uv run ama-tui`, median of {args.repeat}: first session request "
            f"{statistics.median(run.to_start_s for run in via_uv):.3f} s, "
            f"exit {statistics.median(run.to_exit_s for run in via_uv):.3f} s"
        )

    big = [launch(args.wallets) for _ in range(max(1, args.repeat // 2))]
    print(
        f"{args.wallets:,} wallets, median of {len(big)}: launch to the first session request "
        f"{statistics.median(run.to_start_s for run in big):.3f} s (keys derived; target < 5 s), "
        f"to every session open {statistics.median(run.to_sessions_s for run in big):.3f} s, "
        f"to exit after 1 cycle {statistics.median(run.to_exit_s for run in big):.3f} s"
    )

    derived = derive_seconds(args.wallets, args.repeat)
    print(
        f"derive {args.wallets:,} wallet addresses: median {derived:.3f} s "
        f"({derived / args.wallets * 1000:.3f} ms a wallet)"
    )

    build, everything, selected = csv_seconds(args.rows, args.repeat)
    print(
        f"load a {args.rows:,}-row wallets CSV, every key checked: median {everything:.3f} s (target < 2 s); "
        f"first 10 rows selected: {selected:.3f} s; building it took {build:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
