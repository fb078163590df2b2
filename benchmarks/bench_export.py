"""How long `ama-tui export --to parquet` takes on a 1,000,000-line journal, and its peak memory.

The journal is `bench_report`'s (generated from a fixed seed in a temporary folder, or kept in
`--keep DIR` and reused). The command runs as a user runs it, launch to exit, in a child process:
wall time, the child's CPU and its peak resident memory (`ru_maxrss`); then the rows of the file
are counted against the journal's lines. `--lines 2000000` shows whether memory grows with the
journal (it should not: one chunk of lines is held at a time).

Run: `uv run python benchmarks/bench_export.py [--lines N] [--repeats R] [--keep DIR]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from bench_report import CHAIN_ID, ORDER_BOOK, generate_journal


def _journal(folder: Path, lines: int) -> tuple[Path, Path]:
    state = folder / "state"
    path = state / str(CHAIN_ID) / ORDER_BOOK.lower() / "actions.jsonl"
    if not path.exists() or sum(1 for _ in path.open("rb")) != lines:
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"generating {lines:,} lines ...", flush=True)
        generate_journal(path, lines)
    return state, path


def _child_peak_kb(command: list[str]) -> tuple[float, float, int]:
    """(wall s, CPU s, peak RSS KB) of `command` run in a fresh child (a wrapper process, so the
    peak is this child's alone: RUSAGE_CHILDREN keeps the largest child ever waited for)."""
    wrapper = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(time.perf_counter() - t, u.ru_utime + u.ru_stime, u.ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *command], check=True, capture_output=True, text=True
    )
    wall, cpu, peak = out.stdout.split()
    return float(wall), float(cpu), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="generate the journal here and keep it (reused if there)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ama-bench-export-") as tmp:
        folder = args.keep or Path(tmp)
        state, path = _journal(folder, args.lines)
        out = Path(tmp) / "journal.parquet"
        command = [
            sys.executable,
            "-m",
            "ama_tui",
            "export",
            "--state-dir",
            str(state),
            "--to",
            "parquet",
            str(out),
        ]
        print(
            f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}; "
            f"{path.stat().st_size / 1e6:,.0f} MB, {args.lines:,} lines"
        )
        runs = [_child_peak_kb(command) for _ in range(args.repeats)]
        walls = [w for w, _, _ in runs]
        rows = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [str(out)]).fetchone()
        print(
            f"  export to Parquet, launch to exit   best {min(walls):5.2f} s, "
            f"median {statistics.median(walls):5.2f} s "
            f"(CPU {min(c for _, c, _ in runs):.1f} s; load {os.getloadavg()[0]:.1f})"
        )
        print(f"  peak resident memory                {max(p for _, _, p in runs) / 1024:,.0f} MB")
        count = rows[0] if rows else 0
        print(f"  file {out.stat().st_size / 1e6:,.0f} MB, {count:,} rows ({args.lines:,} lines)")


if __name__ == "__main__":
    main()
