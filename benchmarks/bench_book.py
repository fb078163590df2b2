"""Throughput of the sim's order book on one core.

Two mixes, each scripted in advance from a fixed seed so that only the book is timed. Every repeat
builds a fresh book, plays an untimed warm-up (to reach a steady state), then times the measured
segment; the best repeat is the figure (as `timeit` does: on a shared machine the best run is the one
least disturbed), the median is printed beside it.

- add+cancel: a packer-like book of ~5,000 resting orders over 200 price levels a side around a mid;
  every step either adds a non-crossing limit order or cancels a random live one. Each call is one op.
- matching: limit orders whose prices straddle the mid (most cross and take one or more makers),
  market orders, and cancels of random recent ids (skipped when the order is gone). Each call is one op.

Run: `uv run python benchmarks/bench_book.py [--ops N] [--repeats R]`. The first line times a plain loop
so the figures can be judged on a shared or throttled machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from ama_tui.venues.sim.book import OrderBook

MID6 = 100_000_000  # 100.00
TICK6 = 10_000  # 0.01
LEVELS = 200
UNIT18 = 10**18
MARGIN_BPS = 10_000
TIMESTAMP = 1_700_000_000
TRADERS = [f"0x{index:040x}" for index in range(1, 41)]
LIVE_ORDERS = 5_000

Op = tuple[int, str, int, int, bool, int]
"""(kind, trader, price6, amount18, is_buy, order_id); kinds: 0 limit, 1 market, 2 cancel."""


def script_add_cancel(ops: int, seed: int) -> tuple[list[Op], list[Op]]:
    """(warm-up, measured): non-crossing adds and cancels of random live orders. Every add rests, so
    the ids are known in advance. The warm-up fills the book to LIVE_ORDERS."""
    rng = random.Random(seed)
    live: list[int] = []
    next_id = 1
    warmup: list[Op] = []
    measured: list[Op] = []
    while len(measured) < ops:
        warming = not measured and len(live) < LIVE_ORDERS
        script = warmup if warming else measured
        if warming or not live or rng.random() < 0.5:
            is_buy = rng.random() < 0.5
            distance = int(rng.expovariate(1 / 40)) % LEVELS + 1
            price6 = MID6 - distance * TICK6 if is_buy else MID6 + (distance - 1) * TICK6
            amount18 = rng.randint(1, 1_000) * UNIT18 // 100
            script.append((0, rng.choice(TRADERS), price6, amount18, is_buy, next_id))
            live.append(next_id)
            next_id += 1
        else:
            index = rng.randrange(len(live))
            live[index], live[-1] = live[-1], live[index]
            script.append((2, "", 0, 0, False, live.pop()))
    return warmup, measured


def script_matching(ops: int, seed: int) -> tuple[list[Op], list[Op]]:
    """(warm-up, measured): prices ~ N(mid, 8 ticks) on both sides, 10 % market orders, 25 % cancels."""
    rng = random.Random(seed)
    script: list[Op] = []
    issued = 0
    warmup_ops = 5_000
    for _ in range(warmup_ops + ops):
        roll = rng.random()
        is_buy = rng.random() < 0.5
        trader = rng.choice(TRADERS)
        amount18 = rng.randint(1, 1_000) * UNIT18 // 100
        if roll < 0.65:
            offset = int(rng.gauss(0, 8)) * TICK6
            script.append((0, trader, max(TICK6, MID6 + offset), amount18, is_buy, 0))
            issued += 1
        elif roll < 0.75:
            script.append((1, trader, 0, amount18 * 3, is_buy, 0))
            issued += 1
        else:
            script.append((2, "", 0, 0, False, rng.randint(max(1, issued - 500), issued + 1)))
    return script[:warmup_ops], script[warmup_ops:]


def play(book: OrderBook, script: list[Op]) -> int:
    """Run a script against the book; returns the number of trades."""
    place, market, cancel = book.place_limit, book.place_market, book.cancel
    trades = 0
    for kind, trader, price6, amount18, is_buy, order_id in script:
        if kind == 0:
            trades += len(place(trader, price6, amount18, is_buy, TIMESTAMP).trades)
        elif kind == 1:
            if book.best_ask6 if is_buy else book.best_bid6:
                trades += len(market(trader, amount18, is_buy, TIMESTAMP).trades)
        elif order_id in book:
            cancel(order_id)
    return trades


def measure(repeats: int, warmup: list[Op], measured: list[Op]) -> tuple[list[float], int]:
    """Seconds of each repeat's measured segment, and the trades it made."""
    times: list[float] = []
    trades = 0
    for _ in range(repeats):
        book = OrderBook(margin_bps=MARGIN_BPS)
        play(book, warmup)
        start = time.perf_counter()
        trades = play(book, measured)
        times.append(time.perf_counter() - start)
    return times, trades


def calibration_seconds() -> float:
    """A fixed pure-Python loop, to read the figures against: ~0.2-0.3 s on an idle modern core.
    Shared or throttled machines (CI, VMs) can be several times slower; scale accordingly."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for index in range(5_000_000):
            total += index
        best = min(best, time.perf_counter() - start)
    return best


def report(name: str, ops: int, times: list[float], trades: int) -> None:
    best, median = min(times), statistics.median(times)
    line = f"{name:<11} {ops:,} ops: best {ops / best:,.0f} ops/s, median {ops / median:,.0f} ops/s"
    if trades:
        line += f"; {trades:,} trades ({trades / best:,.0f} trades/s at best)"
    print(line)


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--ops", type=int, default=50_000, help="measured ops per repeat")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    print(f"calibration: 5M-iteration loop in {calibration_seconds():.3f}s (idle modern core: ~0.25s)")

    warmup, measured = script_add_cancel(args.ops, seed=1)
    times, _ = measure(args.repeats, warmup, measured)
    adds = sum(1 for op in measured if op[0] == 0)
    print(f"add+cancel: {len(warmup):,} warm-up adds to {LIVE_ORDERS:,} live orders, then {adds:,} adds")
    report("add+cancel", len(measured), times, 0)

    warmup, measured = script_matching(args.ops, seed=2)
    times, trades = measure(args.repeats, warmup, measured)
    report("matching", len(measured), times, trades)


if __name__ == "__main__":
    main()
