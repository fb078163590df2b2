"""Throughput of the sim's order book on one core.

Two mixes, each scripted in advance from a fixed seed (so only the book is timed) and run a few times,
best run reported:

- add+cancel: a packer-like book of ~5,000 resting orders over 200 price levels a side around a mid;
  every step either adds a non-crossing limit order or cancels a random live one. Each call is one op.
- matching: limit orders whose prices straddle the mid (about half cross and take one or more makers),
  market orders, and cancels of random earlier ids (skipped when the order is gone). Each call is one op.

Run: `uv run python benchmarks/bench_book.py [--ops N] [--repeats R]`.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from ama_tui.venues.sim.book import OrderBook

MID6 = 100_000_000  # 100.00
TICK6 = 10_000  # 0.01
LEVELS = 200
UNIT18 = 10**18
MARGIN_BPS = 10_000
TRADERS = [f"0x{index:040x}" for index in range(1, 41)]

AddCancelOp = tuple[int, str, int, int, bool, int]
"""(kind 0=add 1=cancel, trader, price6, amount18, is_buy, order_id)"""


def script_add_cancel(ops: int, target_live: int, seed: int) -> list[AddCancelOp]:
    """Non-crossing adds and random cancels; ids are known in advance because every add rests."""
    rng = random.Random(seed)
    live: list[int] = []
    next_id = 1
    script: list[AddCancelOp] = []
    for _ in range(ops):
        add = not live or (rng.random() < 0.5 if len(live) >= target_live else rng.random() < 0.8)
        if add:
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
            script.append((1, "", 0, 0, False, live.pop()))
    return script


def run_add_cancel(script: list[AddCancelOp]) -> int:
    book = OrderBook(margin_bps=MARGIN_BPS)
    place, cancel = book.place_limit, book.cancel
    for kind, trader, price6, amount18, is_buy, order_id in script:
        if kind == 0:
            place(trader, price6, amount18, is_buy, 1_700_000_000)
        else:
            cancel(order_id)
    return len(script)


MatchOp = tuple[int, str, int, int, bool, int]
"""(kind 0=limit 1=market 2=cancel, trader, price6, amount18, is_buy, order_id)"""


def script_matching(ops: int, seed: int) -> list[MatchOp]:
    rng = random.Random(seed)
    script: list[MatchOp] = []
    issued = 0
    for _ in range(ops):
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
    return script


def run_matching(script: list[MatchOp]) -> int:
    book = OrderBook(margin_bps=MARGIN_BPS)
    place, market, cancel = book.place_limit, book.place_market, book.cancel
    trades = 0
    for kind, trader, price6, amount18, is_buy, order_id in script:
        if kind == 0:
            trades += len(place(trader, price6, amount18, is_buy, 1_700_000_000).trades)
        elif kind == 1:
            if book.best_ask6 if is_buy else book.best_bid6:
                trades += len(market(trader, amount18, is_buy, 1_700_000_000).trades)
        elif order_id in book:
            cancel(order_id)
    return trades


def best_of(repeats: int, run: Callable[[], int]) -> tuple[float, int]:
    best = float("inf")
    result = 0
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--ops", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    script = script_add_cancel(args.ops, target_live=5_000, seed=1)
    adds = sum(1 for op in script if op[0] == 0)
    seconds, _ = best_of(args.repeats, lambda: run_add_cancel(script))
    print(
        f"add+cancel: {len(script):,} ops ({adds:,} adds, {len(script) - adds:,} cancels) "
        f"in {seconds:.3f}s = {len(script) / seconds:,.0f} ops/s"
    )

    match_script = script_matching(args.ops, seed=2)
    seconds, trades = best_of(args.repeats, lambda: run_matching(match_script))
    print(
        f"matching:   {len(match_script):,} ops ({trades:,} trades) "
        f"in {seconds:.3f}s = {len(match_script) / seconds:,.0f} ops/s, {trades / seconds:,.0f} trades/s"
    )


if __name__ == "__main__":
    main()
