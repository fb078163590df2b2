"""How long `ama-tui report` takes on a 1,000,000-line journal (issue 17: under 2 s).

The journal is generated in a temporary folder from a fixed seed, shaped like a long packer run
of ten wallets: placements (~45 %), fills of resting orders (~27 %, nine in ten as maker),
cancels (~20 %), skips, errors, and a session and run line now and then; ~550 bytes a line, as
ama-tui writes them. It is never written under the repository.

Timed: `build_report` (DuckDB reads the JSONL, every figure) parsing the whole journal (as
`ama-tui report --no-cache`), and of that the parse alone (`load_journals`: DuckDB reading the
JSON into a table; the rest is the figures), then with the cache `ama-tui report` keeps (the first
run fills it; the next ones parse only what the journal gained: nothing, then 1,000 new lines),
and rendering the terminal table and the JSON; then the command as a user runs it, launch to exit
(`python -m ama_tui report`: the interpreter and the imports come on top). The best of the repeats
is the figure (on a shared machine the best run is the one least disturbed); the median is printed
beside it, with the CPU time (all threads) and the machine's load average over the runs.

Then the path a run's journal takes (`analytics.cache_keeper`): the run's child process refreshes
the cache every 5 minutes, so a report after the run finds all but the last minutes' lines parsed
(`--tail` lines: 10,000 is five minutes of this journal, whose lines are ~30 ms apart). Timed: the
child's refresh of the whole journal less that tail (a journal from before the run: once), the
report after the run, and the child's refresh of the tail (its cost every 5 minutes, beside the
run); the child's CPU is counted apart (it runs at the lowest priority with one DuckDB thread).

Run: `uv run python benchmarks/bench_report.py [--lines N] [--repeats R] [--tail N] [--keep DIR]`.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

from ama_tui.analytics.cache_dir import CACHE_DIR_ENV
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


def _timed(label: str, repeats: int, run: Callable[[], T], before: Callable[[], None] | None = None) -> T:
    """`run` `repeats` times (each after `before`, untimed); prints the best and median."""
    walls: list[float] = []
    cpus: list[float] = []
    loads: list[float] = []
    result: T | None = None
    for _ in range(repeats):
        if before is not None:
            before()
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


def _command(label: str, repeats: int, state: Path, *extra: str, env: dict[str, str] | None = None) -> None:
    """`ama-tui report` as a user runs it, launch to exit (the interpreter, the imports, the
    report, the table printed): best and median of `repeats`, with the child's CPU."""
    command = [sys.executable, "-m", "ama_tui", "report", "--state-dir", str(state), *extra]
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})})
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    print(
        f"  {label:<36} best {min(walls):5.2f} s, median {statistics.median(walls):5.2f} s "
        f"(CPU {min(cpus):.2f} s; load {os.getloadavg()[0]:.1f})"
    )


def _parse_only(path: Path) -> list[FileStats]:
    with duckdb.connect() as con:
        return load_journals([path], Window(), con)


def _child_refresh(path: Path, cache: Path) -> tuple[float, float]:
    """The run's keeper refreshing `path`'s table: (wall, the child's CPU) in seconds."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ama_tui.analytics.cache_keeper", "--cache-dir", str(cache), str(path)],
        check=True,
    )
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return wall, cpu


def _line_offset(path: Path, lines_from_end: int) -> int:
    """The byte offset where the last `lines_from_end` lines start."""
    data = path.read_bytes()
    end = len(data)
    for _ in range(lines_from_end + 1):
        end = data.rfind(b"\n", 0, end)
    return end + 1


def _kept_by_a_run(path: Path, folder: Path, tail: int, repeats: int) -> None:
    """The report after a run whose keeper refreshed the cache up to `tail` lines from the end."""
    print(f"a run keeping the cache (the last {tail:,} lines written after its last refresh):")
    kept, snapshot = folder / "kept-cache", folder / "kept-cache-snapshot"
    shutil.rmtree(kept, ignore_errors=True)
    head_end = _line_offset(path, tail)
    with open(path, "rb") as handle:
        handle.seek(head_end)
        tail_bytes = handle.read()
    os.truncate(path, head_end)  # the same file (the cache knows it by path and inode)
    try:
        wall, cpu = _child_refresh(path, kept)
        print(f"  {'the first refresh (the whole journal)':<36} {wall:5.2f} s (the child's CPU {cpu:.2f} s)")
    finally:
        with open(path, "ab") as handle:
            handle.write(tail_bytes)
    shutil.copytree(kept, snapshot)

    def as_the_run_left_it() -> None:
        shutil.rmtree(kept)
        shutil.copytree(snapshot, kept)

    _timed(
        "the report after the run", repeats, lambda: build_report([path], cache_dir=kept), as_the_run_left_it
    )
    refreshes = []
    for _ in range(repeats):
        as_the_run_left_it()
        refreshes.append(_child_refresh(path, kept))
    best = min(refreshes)
    print(f"  {f'a refresh of {tail:,} new lines':<36} {best[0]:5.2f} s (the child's CPU {best[1]:.2f} s)")
    shutil.rmtree(snapshot, ignore_errors=True)
    shutil.rmtree(kept, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate the journal here and keep it")
    parser.add_argument(
        "--tail", type=int, default=10_000, help="lines a run wrote after its keeper's last refresh"
    )
    parser.add_argument("--only-kept", action="store_true", help="time only the path a run's journal takes")
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
        if args.only_kept:
            _kept_by_a_run(path, Path(tmp), args.tail, args.repeats)
            return
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
        print("the command, launch to exit (`python -m ama_tui report`, the table printed):")
        state = folder / "state"
        _command("cold (--no-cache)", args.repeats, state, "--no-cache")
        own_cache = {CACHE_DIR_ENV: str(Path(tmp) / "command-cache")}
        _command("the first, filling the cache", 1, state, env=own_cache)
        _command("again, from the cache", args.repeats, state, env=own_cache)
        _kept_by_a_run(path, Path(tmp), args.tail, args.repeats)
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
