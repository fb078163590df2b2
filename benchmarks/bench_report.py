"""How long `ama-tui report` takes on a 1,000,000-line journal (issue 17: under 2 s).

The journal is generated in a temporary folder from a fixed seed, shaped like a long packer run
of ten wallets: placements (~45 %), fills of resting orders (~27 %, nine in ten as maker),
cancels (~20 %), skips, errors, and a session and run line now and then; ~550 bytes a line, as
ama-tui writes them. It is never written under the repository.

Timed: `build_report` (DuckDB reads the JSONL, every figure) parsing the whole journal (as
`ama-tui report --no-cache`), and of that the parse alone (`load_journals`: DuckDB reading the
JSON into a table; the rest is the figures), then with the cache `ama-tui report` keeps (the first
run fills it; the next ones parse only what the journal gained: nothing, then 1,000 new lines),
and rendering the terminal table and the JSON. The best of the repeats is the figure (on a shared
machine the best run is the one least disturbed); the median is printed beside it, with the CPU
time (all threads) and the machine's load average over the runs.

Run: `uv run python benchmarks/bench_report.py [--lines N] [--repeats R] [--keep DIR]`.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

from ama_tui.analytics.load import FileStats, load_journals
from ama_tui.analytics.render_json import render_json
from ama_tui.analytics.render_text import render_text
from ama_tui.analytics.report import build_report
from ama_tui.analytics.timespec import Window

RUN_ID = "8db446b2-d745-4279-a790-a9f860b62fcf"
CHAIN_ID = 1337001
ORDER_BOOK = "0x883Ab90A60713CEB9337AbB3aCe03d6898C95589"
MARKET_ID = "0x2430f68ea2e8d4151992bb7fc3a4c472087a6149bf7e0232704396162ab7c1f7"
START_MS = 1_767_225_600_000
WALLETS = [(f"0x{0xA11CE0000 + i:040x}", f"Sim{i + 1:03d}") for i in range(10)]
T = TypeVar("T")


def _head(ts: int, trader: str, nickname: str, action: str) -> str:
    return (
        f'{{"ts":{ts},"runId":"{RUN_ID}","chainId":{CHAIN_ID},"orderBook":"{ORDER_BOOK}",'
        f'"marketIdBytes32":"{MARKET_ID}","trader":"{trader}","nickname":"{nickname}","role":"MAKER",'
        f'"action":"{action}"'
    )


def generate_journal(path: Path, lines: int, seed: int = 17) -> None:
    """Write `lines` journal lines to `path` (deterministic for a seed)."""
    rng = random.Random(seed)
    ts = START_MS
    next_id = 0
    resting: list[tuple[int, int, bool, int, int]] = []  # (order id, wallet, is_buy, price6, amount18)
    out: list[str] = []
    for n in range(lines):
        ts += rng.randint(0, 60)
        wallet = rng.randrange(len(WALLETS))
        roll = rng.random()
        tx = f"0x{rng.getrandbits(256):064x}"
        if n % 50_000 == 0:
            trader, nickname = WALLETS[wallet]
            out.append(
                _head(ts, trader, nickname, "SESSION_INIT")
                + f',"params":{{"expiry":{ts // 1000 + 86_400},"sessionId":"{tx}"}},"txHash":"{tx}"}}'
            )
            continue
        if roll < 0.45 or not resting:
            next_id += 1
            is_buy = rng.random() < 0.5
            price6 = 3_000_000_000 + rng.randint(-80, 80) * 10_000
            amount18 = rng.randint(5, 25) * 10**16
            margin6 = price6 * amount18 // 10**18 // 5
            trader, nickname = WALLETS[wallet]
            resting.append((next_id, wallet, is_buy, price6, amount18))
            out.append(
                _head(ts, trader, nickname, "PLACE_LIMIT")
                + f',"params":{{"isBuy":{"true" if is_buy else "false"},"price":{price6 / 1e6!r},'
                f'"price6":"{price6}","amount":{amount18 / 1e18!r},"amount18":"{amount18}",'
                f'"estMarginRequired":{margin6 / 1e6!r},"margin6":"{margin6}","level":{rng.randint(0, 5)},'
                f'"orderId":"{next_id}"}},"txHash":"{tx}"}}'
            )
            continue
        if roll < 0.92:
            index = rng.randrange(len(resting))
            resting[index], resting[-1] = resting[-1], resting[index]
            order_id, owner, is_buy, price6, amount18 = resting.pop()
            trader, nickname = WALLETS[owner]
            if roll < 0.72:
                maker = "true" if rng.random() < 0.9 else "false"
                side = "BUY" if is_buy else "SELL"
                out.append(
                    _head(ts, trader, nickname, "FILL")
                    + f',"params":{{"isBuy":{"true" if is_buy else "false"},"side":"{side}",'
                    f'"price":{price6 / 1e6!r},"price6":"{price6}","amount":{amount18 / 1e18!r},'
                    f'"amount18":"{amount18}","fillId":"ETH-USD-{n}-maker","counterparty":"0x{"c" * 40}",'
                    f'"orderId":"{order_id}","isMaker":{maker}}},"txHash":"{tx}"}}'
                )
            else:
                out.append(
                    _head(ts, trader, nickname, "CANCEL_ORDER")
                    + f',"params":{{"orderId":"{order_id}","isBuy":{"true" if is_buy else "false"},'
                    f'"price":{price6 / 1e6!r},"price6":"{price6}","reason":"out-of-band"}},"txHash":"{tx}"}}'
                )
            continue
        trader, nickname = WALLETS[wallet]
        if roll < 0.985:
            out.append(
                _head(ts, trader, nickname, "SKIP")
                + ',"params":{"reason":"TOP_MOVED","message":"buy at 2999890000 and 2 more not sent: '
                'the top moved"}}'
            )
        else:
            out.append(
                _head(ts, trader, nickname, "ERROR")
                + f',"error":"place buy level {rng.randint(0, 5)} failed: '
                '429 Too Many Requests: rate limited"}'
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _timed(label: str, repeats: int, run: Callable[[], T]) -> T:
    walls: list[float] = []
    cpus: list[float] = []
    loads: list[float] = []
    result: T | None = None
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu_started)
        loads.append(os.getloadavg()[0])
    assert result is not None
    print(
        f"  {label:<36} best {min(walls):5.2f} s, median {statistics.median(walls):5.2f} s "
        f"(CPU {min(cpus):.2f} s; load {min(loads):.1f}-{max(loads):.1f})"
    )
    return result


def _parse_only(path: Path) -> list[FileStats]:
    with duckdb.connect() as con:
        return load_journals([path], Window(), con)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate the journal here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ama-bench-report-") as tmp:
        folder = args.keep or Path(tmp)
        path = folder / "state" / str(CHAIN_ID) / ORDER_BOOK.lower() / "actions.jsonl"
        if not path.exists():
            started = time.perf_counter()
            generate_journal(path, args.lines)
            size = path.stat().st_size / 1e6
            print(f"generated {args.lines:,} lines ({size:.0f} MB) in {time.perf_counter() - started:.1f} s")
        print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} (other jobs on the machine)")
        cache = Path(tmp) / "cache"
        print(f"report on {path.stat().st_size / 1e6:.0f} MB:")
        report = _timed("parsing the whole journal", args.repeats, lambda: build_report([path]))
        _timed("  of which the parse", args.repeats, lambda: _parse_only(path))
        shutil.rmtree(cache, ignore_errors=True)
        _timed("first report, filling the cache", 1, lambda: build_report([path], cache_dir=cache))
        _timed("again (nothing new: the cache)", args.repeats, lambda: build_report([path], cache_dir=cache))
        original = path.stat().st_size
        with open(path, "a", encoding="utf-8") as handle:
            grown = folder / "grown.jsonl"
            generate_journal(grown, 1_000, seed=18)
            handle.write(grown.read_text(encoding="utf-8"))
            grown.unlink()
        _timed("after 1,000 new lines", 1, lambda: build_report([path], cache_dir=cache))
        os.truncate(path, original)
        started = time.perf_counter()
        render_text(report)
        render_json(report)
        print(f"  rendering the table and the JSON   {(time.perf_counter() - started) * 1000:.0f} ms")
        print(
            f"  ({report.lines_read:,} lines: placements {report.orders.placements:,}, fills "
            f"{report.orders.fills:,}, fill rate {report.orders.fill_rate}, lifetime p50 "
            f"{report.lifetimes.p50_ms} ms)"
        )


if __name__ == "__main__":
    main()
