"""How long does loading a 10,000-row wallets CSV take for a 10-wallet run, and for every row?

    uv run python benchmarks/bench_wallets_csv.py [--rows N] [--count N] [--repeat N]

Every row's format is checked, but only the selected rows have their address derived from
their key, so a small run should not pay for a big file; and deriving is libsecp256k1's (about
0.1 ms a row), so even a run that uses every row loads fast. Builds the CSV in a temporary folder
(keys are consecutive integers, addresses derived from them), then times `load_wallets_csv`
with `count` and with all rows. Target: both under 2 s (issue 13).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ama_tui.core.keys import PrivateKey
from ama_tui.protocol.accounts import address_of
from ama_tui.store.wallets_csv import load_wallets_csv

TARGET_S = 2.0


def build_csv(path: Path, rows: int) -> None:
    lines = ["nickname,address,privateKey\n"]
    for index in range(1, rows + 1):
        key = f"{index:064x}"
        lines.append(f"User{index:05d},{address_of(PrivateKey(key))},{key}\n")
    path.write_text("".join(lines))
    path.chmod(0o600)


def median_seconds(path: Path, count: int | None, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        loaded = load_wallets_csv(path, count=count)
        timings.append(time.perf_counter() - started)
        assert count is None or len(loaded.wallets) == count
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ama-bench-") as folder:
        path = Path(folder) / "wallets.csv"
        started = time.perf_counter()
        build_csv(path, args.rows)
        print(f"built {args.rows:,} rows in {time.perf_counter() - started:.1f} s")
        selected = median_seconds(path, args.count, args.repeat)
        print(
            f"load_wallets_csv(count={args.count}) over {args.rows:,} rows: median {selected:.3f} s "
            f"(target < {TARGET_S:.0f} s)"
        )
        everything = median_seconds(path, None, args.repeat)
        print(
            f"load_wallets_csv(all rows) over {args.rows:,} rows: median {everything:.3f} s "
            f"(target < {TARGET_S:.0f} s)"
        )
    return 0 if max(selected, everything) < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
