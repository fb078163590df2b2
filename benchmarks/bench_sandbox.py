"""Cost of running a strategy in the sandbox: start-up, one `analyze` round trip, ticks per second.

- start: spawn, confine (namespaces, pivot into the scratch folder), load the file, `initialize`.
- round trip: one `on_tick` of a strategy whose `analyze` does nothing: encode the tick, the
  pipe both ways, decode, the `done` check. Each call is timed alone; median and p95 printed
  (target: median under 1 ms).
- ticks per second: a strategy doing a little work per tick (two Decimal EMAs, a position query
  every 20 ticks, a market order on each cross, answered by an in-memory market).
- on the sim: the engine running the `ema-cross` example file sandboxed on the embedded exchange
  (virtual clock, 2 wallets), against the built-in packer in-process on the same run: engine
  ticks (cycles) per second for each, and their ratio (`--cycles N`).

Figures are printed, never asserted. Run: `uv run python benchmarks/bench_sandbox.py [--ticks N]`.
The first line times a plain loop so the figures can be judged on a shared or throttled machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from ama_tui.kit import CallArgs, MarketData, Method, OrderRequest, Position
from ama_tui.sandbox import Limits, SandboxedStrategy

IDLE = """
from ama_tui.kit import Trading

class Idle(Trading):
    def analyze(self, data):
        pass
"""

WORKING = """
from decimal import Decimal
from ama_tui.kit import Trading

class Working(Trading):
    def on_initialize(self):
        self.fast = self.slow = None
        self.above = None
        self.ticks = 0

    def analyze(self, data):
        self.ticks += 1
        price = data.mid
        if self.fast is None:
            self.fast = self.slow = price
        self.fast += Decimal("0.2") * (price - self.fast)
        self.slow += Decimal("0.05") * (price - self.slow)
        if self.ticks % 20 == 0:
            self.size = self.get_position(self.market).size
        above = self.fast > self.slow
        if self.above is not None and above != self.above:
            (self.buy if above else self.sell)(self.market, "0.1")
        self.above = above
"""


class Market:
    def __init__(self) -> None:
        self.size = Decimal(0)
        self.orders = 0

    def answer(self, method: Method, args: CallArgs) -> object:
        if isinstance(args, OrderRequest):
            self.orders += 1
            self.size += args.amount if args.side == "buy" else -args.amount
            return f"o{self.orders}"
        return Position("ETH-USD", self.size)


def _ticks(count: int) -> list[MarketData]:
    """A price that swings, so the EMAs cross now and then."""
    ticks = []
    for index in range(count):
        mid = Decimal(100) + Decimal((index // 50) % 2 * 2 - 1) * Decimal(index % 50) / 10
        ticks.append(MarketData(index, mid - Decimal("0.05"), mid + Decimal("0.05"), mid, mid))
    return ticks


def calibration_seconds() -> float:
    began = time.perf_counter()
    total = 0
    for index in range(5_000_000):
        total += index
    return time.perf_counter() - began


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--ticks", type=int, default=5_000)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--cycles", type=int, default=400)
    options = parser.parse_args()
    print(f"calibration: 5M-iteration loop in {calibration_seconds():.3f}s (idle modern core: ~0.25s)")
    limits = Limits(call_timeout=10.0)
    ticks = _ticks(options.ticks)
    market = Market()
    with tempfile.TemporaryDirectory() as folder:
        idle = Path(folder) / "idle.py"
        idle.write_text(IDLE)
        working = Path(folder) / "working.py"
        working.write_text(WORKING)

        starts = []
        for _ in range(options.starts):
            with SandboxedStrategy(limits) as sandbox:
                began = time.perf_counter()
                sandbox.start("ETH-USD", {}, idle)
                starts.append(time.perf_counter() - began)
                confined = sandbox.confined
        start_ms = statistics.median(starts) * 1000
        print(f"start: median {start_ms:.1f} ms over {len(starts)} (confined: {confined})")

        with SandboxedStrategy(limits) as sandbox:
            sandbox.start("ETH-USD", {}, idle)
            for data in ticks[:200]:
                sandbox.on_tick(data, market.answer)
            samples = []
            for data in ticks:
                began = time.perf_counter()
                sandbox.on_tick(data, market.answer)
                samples.append(time.perf_counter() - began)
        median, p95 = statistics.median(samples) * 1e6, _percentile(samples, 0.95) * 1e6
        print(f"analyze round trip: median {median:.0f} µs, p95 {p95:.0f} µs over {len(samples):,} ticks")

        with SandboxedStrategy(limits) as sandbox:
            sandbox.start("ETH-USD", {}, working)
            began = time.perf_counter()
            for data in ticks:
                sandbox.on_tick(data, market.answer)
            elapsed = time.perf_counter() - began
        print(
            f"working strategy: {len(ticks) / elapsed:,.0f} ticks/s over {len(ticks):,} ticks "
            f"({len(ticks) // 20:,} position queries, {market.orders:,} orders)"
        )

    on_sim = {name: _engine_ticks_per_s(name, options.cycles) for name in ("packer", "ema-cross")}
    print(
        f"on the sim ({options.cycles} engine ticks, 2 wallets, virtual clock): packer "
        f"{on_sim['packer']:,.0f} ticks/s, ema-cross sandboxed {on_sim['ema-cross']:,.0f} ticks/s "
        f"(ratio ema-cross / packer {on_sim['ema-cross'] / on_sim['packer']:.2f}; the packer trades far more "
        "each tick, so this bounds the sandbox's cost rather than isolating it)"
    )


def _engine_ticks_per_s(strategy: str, cycles: int) -> float:
    """Engine ticks per second of a headless run of `strategy` on the embedded exchange."""
    from io import StringIO

    from ama_tui.headless import HeadlessArgs, run_headless
    from ama_tui.wiring import VenueChoice

    with tempfile.TemporaryDirectory() as folder:
        args = HeadlessArgs(
            market="ETH-USD",
            venue=VenueChoice.SIM,
            wallets=2,
            state_dir=Path(folder),
            cycles=cycles,
            virtual_time=True,
            strategy=strategy,
            set=("fast=3", "slow=8") if strategy == "ema-cross" else (),
        )
        began = time.perf_counter()
        code = run_headless(args, out=StringIO(), err=StringIO())
        elapsed = time.perf_counter() - began
    if code != 0:
        raise SystemExit(f"the {strategy} run failed (exit {code})")
    return cycles / elapsed


if __name__ == "__main__":
    main()
