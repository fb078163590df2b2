"""The packer's two safety promises on the wall clock, counted over many real placements per preset
(issue 11): how often a placement takes liquidity (a taker fill: target 0 for PERFECT_EXECUTION and
REALISTIC, at most 1 in 10,000 for CHAOTIC) and how often a wallet's open-order margin is over its
cap, plus the churn (cancels per placed order) overall and in steady state.

Each process runs its own embedded exchange (`SimVenue(clock="wall")`: every trade sleeps the
preset's relay latency) with its own temporary state folder and a fleet of derived wallets, through
the packer's own loop (`Packer.run`). The figures come from the venue, never from the engine: the
taker fills, placements and cancels from `SimVenue.audit()`, and the cap is checked after every
cycle for every wallet against what the venue reports (open orders read twice around the collateral,
so that a fill between the reads cannot fake an excess). New placements after the first packing come
from the book following the mid (re-centring), from fills and, on CHAOTIC, from failures: nothing is
forced. Steady state is the later half of each process's wall time.

A preset with relay latency spends its time asleep, so several processes of it run side by side on
two cores; PERFECT_EXECUTION (no latency) is CPU-bound and gets one. CHAOTIC's 2 s trades and its
failures (the packer backs off) make it the slowest to reach the placements: it gets four by default.

    uv run python benchmarks/bench_safety.py [--presets PERFECT_EXECUTION,REALISTIC,CHAOTIC]
        [--placements 10000] [--wallets 100] [--processes PERFECT_EXECUTION=1,REALISTIC=1,CHAOTIC=4]
        [--seed 1] [--markets ETH-USD]
        [--max-minutes 60] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import queue
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ama_tui.engine.live_params import LiveParams
from ama_tui.engine.packer import Packer, PackerOptions
from ama_tui.engine.run_setup import StartMode, prepare_run
from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.store import StateStore, derive_wallets
from ama_tui.venues.sim import SimVenue
from ama_tui.wiring import find_market

PRESETS = ("PERFECT_EXECUTION", "REALISTIC", "CHAOTIC")
OVERRIDES: dict[str, Any] = {
    # small notional sizes (0.001-0.005 ETH at 3,000) so that the cap is not what limits the book
    "sizeMinUsd": 3,
    "sizeMaxUsd": 15,
    "minDelayMs": 100,
    "maxDelayMs": 300,
}
PROGRESS_EVERY_S = 5.0
EXAMPLES_KEPT = 5


@dataclass
class Sample:
    """Cumulative counts of one process after one cycle."""

    cycle: int
    t: float
    placements: int
    cancels: int
    taker_fills: int
    checks: int
    excesses: int


@dataclass
class WorkerResult:
    worker: int
    symbol: str
    wallets: int
    placements: int = 0
    cancels: int = 0
    taker_fills: int = 0
    self_matches: int = 0
    maker_fills: int = 0
    modifies: int = 0
    market_orders: int = 0
    relay_failures: int = 0
    rejections: int = 0
    rejections_by_code: list[tuple[str, int]] = field(default_factory=list)
    checks: int = 0
    excesses: int = 0
    rereads: int = 0
    """Wallets whose orders changed while the cap was read (a fill): read again."""
    unchecked: int = 0
    """Wallets still changing after 5 reads (not counted as checks)."""
    cycles: int = 0
    engine_placed: int = 0
    engine_cancelled: int = 0
    engine_errors: int = 0
    engine_skipped: int = 0
    wall_s: float = 0.0
    sessions_s: float = 0.0
    stop_reason: str = ""
    samples: list[Sample] = field(default_factory=list)
    excess_examples: list[str] = field(default_factory=list)
    taker_order_ids: list[int] = field(default_factory=list)


def _check_cap(
    sim: SimVenue, order_book: str, addresses: list[str], utilization_bps: int
) -> tuple[int, int, list[str], int]:
    """(wallet checks, excesses, descriptions, re-reads) of every wallet's open-order margin against its cap,
    as the venue reports it. The open orders are read before and after the collateral; a wallet
    whose orders changed between the reads (a fill) is read again."""
    excesses = rereads = 0
    examples: list[str] = []
    pending = list(addresses)
    for _attempt in range(5):
        before = sim.open_orders(order_book, pending)
        available = sim.available_collateral(pending)
        after = sim.open_orders(order_book, pending)
        retry = []
        for address in pending:
            if before.get(address) != after.get(address):
                retry.append(address)
                continue
            held = after.get(address, ())
            reserved = sum(o.margin_required6 for o in held if o.is_margin_order)
            cap = max(0, available[address] + reserved) * utilization_bps // 10_000
            if reserved > cap:
                excesses += 1
                examples.append(
                    f"{address[:10]} reserved {reserved / 1e6:.2f} > cap {cap / 1e6:.2f} USDC "
                    f"({len(held)} orders, available {available[address] / 1e6:.2f})"
                )
        pending = retry
        rereads += len(retry)
        if not pending:
            break
    return len(addresses) - len(pending), excesses, examples, rereads


def worker(
    index: int,
    preset: str,
    symbol: str,
    seed: int,
    wallets: int,
    target: int,
    overrides: dict[str, Any],
    max_s: float,
    progress: Any,
    abort: Any,
) -> WorkerResult:
    sim = SimVenue(seed, preset=preset, clock="wall")
    row, info = find_market(sim, symbol)
    fleet = list(derive_wallets(seed, wallets))
    addresses = [w.address for w in fleet]
    result = WorkerResult(worker=index, symbol=symbol, wallets=wallets)
    stop = threading.Event()
    began = time.monotonic()
    last_cycle = 0
    last_report = 0.0
    utilization_bps = 0

    def on_snapshot(snapshot: EngineSnapshot) -> None:
        nonlocal last_cycle, last_report
        if abort.is_set():
            stop.set()
        cycle = snapshot.last_cycle.cycle if snapshot.last_cycle is not None else 0
        if cycle == last_cycle:
            return  # the snapshots after the sessions and at the end: no new cycle
        if last_cycle == 0:
            result.sessions_s = time.monotonic() - began
        last_cycle = cycle
        checks, excesses, examples, rereads = _check_cap(sim, info.order_book, addresses, utilization_bps)
        result.checks += checks
        result.unchecked += len(addresses) - checks
        result.rereads += rereads
        result.excesses += excesses
        for example in examples:
            if len(result.excess_examples) < EXAMPLES_KEPT:
                result.excess_examples.append(f"cycle {cycle}: {example}")
        audit = sim.audit()
        now = time.monotonic() - began
        result.samples.append(
            Sample(
                cycle, now, audit.placements, audit.cancels, audit.taker_fills, result.checks, result.excesses
            )
        )
        if now - last_report >= 1.0 or audit.placements >= target:
            last_report = now
            progress.put((index, audit.placements, audit.cancels, audit.taker_fills, result.excesses, cycle))
        if audit.placements >= target:
            stop.set()

    with tempfile.TemporaryDirectory(prefix="bench-safety-") as tmp:
        root = Path(tmp)
        store = StateStore(root, lock_dir=root / "locks").market(info.chain_id, info.order_book)
        store.open()
        try:
            start = prepare_run(
                store,
                market=row.to_market_ref(),
                wallets=fleet,
                mode=StartMode.FRESH,
                now=sim.clock.now(),
                overrides=overrides,
            )
            params = LiveParams(start.checkpoint.config, start.checkpoint.packer_params)
            utilization_bps = params.current().packer.utilization_bps
            packer = Packer(
                venue=sim,
                store=store,
                market=info,
                wallets=fleet,
                start=start,
                params=params,
                options=PackerOptions(max_in_flight=wallets, seed=seed),
                on_snapshot=on_snapshot,
            )
            summary = packer.run(stop, duration_s=max_s)
        finally:
            store.close()
    result.wall_s = time.monotonic() - began
    audit = sim.audit()
    result.placements = audit.placements
    result.cancels = audit.cancels
    result.taker_fills = audit.taker_fills
    result.self_matches = audit.self_matches
    result.maker_fills = audit.maker_fills
    result.modifies = audit.modifies
    result.market_orders = audit.market_orders
    result.relay_failures = audit.relay_failures
    result.rejections = audit.rejections
    result.rejections_by_code = list(audit.rejections_by_code)
    result.taker_order_ids = list(audit.taker_fill_order_ids[-EXAMPLES_KEPT:])
    result.cycles = summary.cycles
    result.engine_placed = summary.placed
    result.engine_cancelled = summary.cancelled
    result.engine_errors = summary.errors
    result.engine_skipped = summary.skipped
    result.stop_reason = summary.stop_reason
    progress.put((index, audit.placements, audit.cancels, audit.taker_fills, result.excesses, summary.cycles))
    return result


def _worker_entry(args: tuple[Any, ...]) -> dict[str, Any]:
    return asdict(worker(*args))


def _steady(result: WorkerResult) -> tuple[int, int, float]:
    """(placements, cancels, seconds) over the later half of the process's wall time."""
    samples = result.samples
    if len(samples) < 2:
        return 0, 0, 0.0
    half = samples[-1].t / 2
    first = next(s for s in samples if s.t >= half)
    last = samples[-1]
    return last.placements - first.placements, last.cancels - first.cancels, last.t - first.t


def _rate(numerator: float, denominator: float, scale: float = 1.0) -> str:
    return f"{numerator * scale / denominator:.3g}" if denominator else "-"


def run_preset(preset: str, args: argparse.Namespace, overrides: dict[str, Any]) -> dict[str, Any]:
    markets = [m.strip() for m in args.markets.split(",") if m.strip()]
    processes = args.processes.get(preset, args.processes.get("*", 1))
    per_process = math.ceil(args.placements / processes)
    context = mp.get_context("spawn")
    manager = context.Manager()
    progress = manager.Queue()
    abort = manager.Event()
    jobs = [
        (
            k,
            preset,
            markets[k % len(markets)],
            args.seed + 1000 * k,
            args.wallets,
            per_process,
            overrides,
            args.max_minutes * 60,
            progress,
            abort,
        )
        for k in range(processes)
    ]
    began = time.monotonic()
    latest: dict[int, tuple[int, int, int, int, int]] = {}
    print(
        f"[{preset}] {processes} process(es) x {args.wallets} wallets, {per_process} placements each",
        file=sys.stderr,
        flush=True,
    )
    with context.Pool(processes) as pool:
        pending = pool.map_async(_worker_entry, jobs)
        next_print = began + PROGRESS_EVERY_S
        try:
            while not pending.ready():
                try:
                    k, placed, cancels, takers, excesses, cycles = progress.get(timeout=0.5)
                    latest[k] = (placed, cancels, takers, excesses, cycles)
                except queue.Empty:
                    pass
                now = time.monotonic()
                if now >= next_print:
                    next_print = now + PROGRESS_EVERY_S
                    placed = sum(v[0] for v in latest.values())
                    elapsed = now - began
                    eta = (args.placements - placed) * elapsed / placed if placed else float("nan")
                    print(
                        f"[{preset}] {elapsed:6.0f} s: placements {placed}/{args.placements}, "
                        f"cancels {sum(v[1] for v in latest.values())}, "
                        f"taker fills {sum(v[2] for v in latest.values())}, "
                        f"cap excesses {sum(v[3] for v in latest.values())}, "
                        f"cycles {sum(v[4] for v in latest.values())}, ETA {eta:.0f} s",
                        file=sys.stderr,
                        flush=True,
                    )
            raw = pending.get()
        except KeyboardInterrupt:
            abort.set()
            raw = pending.get()
    wall = time.monotonic() - began
    manager.shutdown()
    results = []
    for item in raw:
        item["samples"] = [Sample(**s) for s in item["samples"]]
        results.append(WorkerResult(**item))
    return {"preset": preset, "wall_s": wall, "results": results, "processes": processes}


def report(outcomes: list[dict[str, Any]], args: argparse.Namespace, overrides: dict[str, Any]) -> None:
    print(
        f"bench_safety: {args.wallets} wallets a process, processes {args.processes_text}, "
        f"markets {args.markets}, "
        f"seed {args.seed}, target {args.placements} placements per preset, overrides {json.dumps(overrides)}"
    )
    header = (
        f"{'preset':<18} {'placements':>10} {'taker':>6} {'taker/10k':>9} {'cap checks':>11} "
        f"{'excesses':>8} {'exc/10k pl':>10} {'exc/check':>9} {'churn':>6} {'steady':>6} {'wall s':>7}"
    )
    print(header)
    print("-" * len(header))
    for outcome in outcomes:
        rs: list[WorkerResult] = outcome["results"]
        placements = sum(r.placements for r in rs)
        cancels = sum(r.cancels for r in rs)
        takers = sum(r.taker_fills for r in rs)
        checks = sum(r.checks for r in rs)
        excesses = sum(r.excesses for r in rs)
        steady = [_steady(r) for r in rs]
        steady_placed = sum(s[0] for s in steady)
        steady_cancels = sum(s[1] for s in steady)
        print(
            f"{outcome['preset']:<18} {placements:>10} {takers:>6} {_rate(takers, placements, 1e4):>9} "
            f"{checks:>11} {excesses:>8} {_rate(excesses, placements, 1e4):>10} "
            f"{_rate(excesses, checks):>9} {_rate(cancels, placements):>6} "
            f"{_rate(steady_cancels, steady_placed):>6} {outcome['wall_s']:>7.0f}"
        )
    print()
    for outcome in outcomes:
        rs = outcome["results"]
        placements = sum(r.placements for r in rs)
        steady = [_steady(r) for r in rs]
        steady_s = max((s[2] for s in steady), default=0.0)
        steady_placed = sum(s[0] for s in steady)
        codes: dict[str, int] = {}
        for r in rs:
            for code, count in r.rejections_by_code:
                codes[code] = codes.get(code, 0) + count
        print(
            f"{outcome['preset']}: cancels {sum(r.cancels for r in rs)}, maker fills "
            f"{sum(r.maker_fills for r in rs)}, self matches {sum(r.self_matches for r in rs)}, "
            f"modifies {sum(r.modifies for r in rs)}, market orders {sum(r.market_orders for r in rs)}, "
            f"relay failures {sum(r.relay_failures for r in rs)}, rejections {sum(r.rejections for r in rs)} "
            f"{codes or ''}"
        )
        print(
            f"  engine: cycles {sum(r.cycles for r in rs)}, placed {sum(r.engine_placed for r in rs)}, "
            f"cancelled {sum(r.engine_cancelled for r in rs)}, errors {sum(r.engine_errors for r in rs)}, "
            f"skipped {sum(r.engine_skipped for r in rs)}; sessions {max(r.sessions_s for r in rs):.1f} s; "
            f"placements/s overall {_rate(placements, outcome['wall_s'])}, steady "
            f"{_rate(steady_placed, steady_s)} over the last {steady_s:.0f} s; "
            f"cap re-reads after a fill {sum(r.rereads for r in rs)}, "
            f"left unchecked {sum(r.unchecked for r in rs)}"
        )
        for r in rs:
            print(
                f"  process {r.worker} ({r.symbol}): {r.placements} placements in {r.wall_s:.0f} s, "
                f"stop: {r.stop_reason}"
            )
            for example in r.excess_examples:
                print(f"    cap excess: {example}")
            if r.taker_order_ids:
                print(f"    taker fill order ids (latest): {r.taker_order_ids}")
            previous = 0
            for sample in r.samples:
                if sample.taker_fills > previous:
                    print(
                        f"    {sample.taker_fills - previous} taker fill(s) in cycle {sample.cycle} "
                        f"(ended at {sample.t:.0f} s, {sample.placements} placements so far)"
                    )
                    previous = sample.taker_fills


def parse_processes(text: str) -> dict[str, int]:
    if "=" not in text:
        return {"*": max(1, int(text))}
    counts = {}
    for item in text.split(","):
        name, _, count = item.partition("=")
        counts[name.strip().upper()] = max(1, int(count))
    return counts


def parse_set(values: list[str]) -> dict[str, Any]:
    overrides = dict(OVERRIDES)
    for item in values:
        key, _, raw = item.partition("=")
        try:
            overrides[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            overrides[key.strip()] = raw
    return overrides


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--presets", default=",".join(PRESETS))
    parser.add_argument("--placements", type=int, default=10_000, help="per preset, over all processes")
    parser.add_argument("--wallets", type=int, default=100, help="per process")
    parser.add_argument(
        "--processes",
        default="PERFECT_EXECUTION=1,REALISTIC=1,CHAOTIC=4",
        help="N for every preset, or PRESET=N,... (others: 1)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--markets", default="ETH-USD", help="comma-separated, assigned to processes in turn")
    parser.add_argument("--max-minutes", type=float, default=60.0, help="per preset and process")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a run parameter")
    args = parser.parse_args()
    overrides = parse_set(args.set)
    args.processes_text = args.processes
    args.processes = parse_processes(args.processes)
    began = time.monotonic()
    outcomes = [run_preset(p.strip().upper(), args, overrides) for p in args.presets.split(",") if p.strip()]
    report(outcomes, args, overrides)
    print(f"total wall time {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
