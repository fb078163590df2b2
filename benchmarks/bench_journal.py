"""How long does reading the last 200 lines of a 1,000,000-line journal take? Target: < 50 ms.

    uv run python benchmarks/bench_journal.py [--lines N] [--tail N] [--repeat N]

Builds the journal in a temporary folder (about half a gigabyte, deleted afterwards) from lines
shaped like the original tool's PLACE_LIMIT lines, then times `read_tail` repeatedly.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ama_tui.store.journal_reader import parse_line, read_tail

TARGET_MS = 50.0
ORDER_BOOK = "0x4e5D6F497fCf4070A8d87A5Abb019f83E16c64bb"
MARKET_ID = "0x281373ed3034aa01e2bffcae26ebce2bd27bb27e669fb6aa2f4b91d5da34e9dc"
TRADERS = [
    ("0x724CbE7b515dab1CE4B0e262990d2E3C47c6CA36", "User001"),
    ("0x53aca02402062a61C871D1b5b4ded3e4232826E5", "User002"),
    ("0x89bD0aF6FE5292ed96fc026770b24f4B4F6DE7C6", "User003"),
]


def place_limit_line(index: int) -> str:
    trader, nickname = TRADERS[index % len(TRADERS)]
    price = 4.5 + (index % 97) * 0.01  # floats with binary noise, as the original wrote them
    amount = 0.05 + (index % 1013) / 5000
    tx_hash = "0x" + hashlib.sha256(index.to_bytes(8, "big")).hexdigest()
    return (
        f'{{"ts":{1771016479778 + index * 250},"runId":"d15ca95d-08a2-46ca-af87-858e25c78b9c",'
        f'"chainId":999,"orderBook":"{ORDER_BOOK}","marketIdBytes32":"{MARKET_ID}",'
        f'"trader":"{trader}","nickname":"{nickname}","role":"MAKER","action":"PLACE_LIMIT",'
        f'"params":{{"isBuy":{"true" if index % 2 else "false"},"price":{price!r},'
        f'"amount":{amount!r},"estMarginRequired":{round(price * amount * 1.1, 6)!r}}},'
        f'"txHash":"{tx_hash}"}}\n'
    )


def build_journal(path: Path, lines: int) -> None:
    batch = 20_000
    with open(path, "w", encoding="utf-8") as handle:
        for start in range(0, lines, batch):
            handle.write("".join(place_limit_line(i) for i in range(start, min(start + batch, lines))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--tail", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    assert parse_line(place_limit_line(1).encode()) is not None, "benchmark lines must be valid"
    with tempfile.TemporaryDirectory(prefix="ama-bench-") as folder:
        path = Path(folder) / "actions.jsonl"
        started = time.perf_counter()
        build_journal(path, args.lines)
        size_mb = path.stat().st_size / 1e6
        print(f"built {args.lines:,} lines ({size_mb:,.0f} MB) in {time.perf_counter() - started:.1f} s")

        timings_ms = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            tail = read_tail(path, args.tail)
            timings_ms.append((time.perf_counter() - started) * 1000)
            assert len(tail.lines) == min(args.tail, args.lines) and tail.report.skipped == 0
        best, median = min(timings_ms), statistics.median(timings_ms)
        print(
            f"read_tail({args.tail}) over {args.repeat} runs: best {best:.2f} ms, median {median:.2f} ms "
            f"(target < {TARGET_MS:.0f} ms)"
        )
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
