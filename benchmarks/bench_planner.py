"""How many wallet plans per second `plan_wallet` makes over varied, realistic inputs.

Run: `uv run python benchmarks/bench_planner.py [--inputs N] [--repeats R]`.
Inputs come from a seeded generator, so runs are comparable; the figure is plans per second
of pure planning (building the inputs is not timed).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass

from ama_tui.core.market import BookTop, MarketRules, OpenOrder
from ama_tui.core.models import PackerParams
from ama_tui.core.planner import plan_wallet


@dataclass(frozen=True, slots=True)
class Case:
    wallet_index: int
    open_orders: tuple[OpenOrder, ...]
    available6: int
    book: BookTop
    rules: MarketRules
    params: PackerParams
    size_min18: int
    size_max18: int


def _book(rng: random.Random, tick6: int) -> BookTop:
    mid = rng.randint(100, 1_000_000) * tick6
    spread = rng.randint(1, 20) * tick6
    kind = rng.choices(["two", "bid", "ask", "empty", "crossed"], weights=[80, 6, 6, 4, 4])[0]
    bid, ask = mid - spread // 2, mid + spread - spread // 2
    mark = mid + rng.randint(-5, 5) * tick6
    if kind == "bid":
        ask = 0
    elif kind == "ask":
        bid = 0
    elif kind == "empty":
        bid = ask = 0
    elif kind == "crossed":
        bid, ask = ask, bid
    return BookTop(best_bid6=max(0, bid), best_ask6=max(0, ask), mark6=max(0, mark), last_trade6=mid)


def _case(rng: random.Random) -> Case:
    tick6 = rng.choice([1, 100, 10_000, 1_000_000])
    book = _book(rng, tick6)
    params = PackerParams(
        orders_per_side=rng.choice([2, 4, 6, 6, 6, 10, 20]),
        max_wallet_utilization=rng.choice(["0.05", "0.2", "0.2", "0.5", "0.9"]),
        min_distance_ticks=rng.randint(1, 30),
        max_distance_ticks=rng.randint(31, 300),
    )
    anchor = book.mid6 or book.mark6 or 1_000_000
    size_min = rng.choice([10**15, 5 * 10**16, 10**18])
    size_max = size_min * rng.randint(1, 10)
    orders: list[OpenOrder] = []
    for is_buy in (True, False):
        # mostly a side partly filled since the last cycle, sometimes over-full (trimmed)
        target = params.orders_per_side
        held = rng.randint(0, target) if rng.random() < 0.8 else rng.randint(target, 3 * target)
        for _ in range(held):
            price = max(tick6, anchor + (-1 if is_buy else 1) * rng.randint(5, 200) * tick6)
            amount = rng.randint(size_min, size_max)
            orders.append(
                OpenOrder(
                    order_id=len(orders) + 1,
                    trader="0x0",
                    price6=price,
                    amount18=amount,
                    is_buy=is_buy,
                    timestamp=rng.randint(1_700_000_000, 1_700_100_000),
                    margin_required6=amount * price // 10**18 // 10,
                )
            )
    rng.shuffle(orders)
    return Case(
        wallet_index=rng.randint(0, 199),
        open_orders=tuple(orders),
        available6=rng.randint(0, 10**11),
        book=book,
        rules=MarketRules(tick6=tick6, margin_bps=rng.choice([1_000, 2_000, 10_000])),
        params=params,
        size_min18=size_min,
        size_max18=size_max,
    )


def _run(cases: list[Case]) -> float:
    start = time.perf_counter()
    for case in cases:
        plan_wallet(
            wallet_index=case.wallet_index,
            open_orders=case.open_orders,
            available6=case.available6,
            book=case.book,
            rules=case.rules,
            params=case.params,
            size_min18=case.size_min18,
            size_max18=case.size_max18,
        )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--inputs", type=int, default=5_000, help="distinct wallet inputs per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20260213)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    cases = [_case(rng) for _ in range(args.inputs)]
    _run(cases[: min(200, len(cases))])  # warm up
    timings = [_run(cases) for _ in range(args.repeats)]
    best = len(cases) / min(timings)
    median = len(cases) / statistics.median(timings)
    print(f"planner: {best:,.0f} wallet plans/s (best of {args.repeats}; median {median:,.0f}/s)")


if __name__ == "__main__":
    main()
