"""Time to pack 50 wallets x 6 orders per side from empty, with 50 ms injected latency on every
venue call: batched and concurrent (the engine's default) side by side with `sequential` (one call
at a time, one read per wallet, like the original tool). Prints both and the ratio.

    uv run python benchmarks/bench_packer.py [--wallets 50] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ama_tui.engine.live_params import LiveParams
from ama_tui.engine.packer import Packer, PackerOptions
from ama_tui.engine.run_setup import StartMode, prepare_run
from ama_tui.engine.venue_wrappers import CountingVenue
from ama_tui.store import StateStore, derive_wallets
from ama_tui.venues.sim import SimVenue
from ama_tui.wiring import find_market

OVERRIDES = {"maxWalletUtilization": 0.9, "sizeMin": 0.01, "sizeMax": 0.02, "ordersPerSidePerWallet": 6}


def packed(sim: SimVenue, order_book: str, addresses: list[str], per_side: int) -> bool:
    orders = sim.open_orders(order_book, addresses)
    return all(
        sum(o.is_buy for o in held) >= per_side and sum(not o.is_buy for o in held) >= per_side
        for held in orders.values()
    )


def run(mode: str, wallets: int, latency_s: float) -> tuple[float, float, int, int]:
    """(seconds for sessions, seconds to pack, cycles, venue calls)."""
    sim = SimVenue(1, preset="NO_FILLS", clock="virtual")
    slow = CountingVenue(sim, latency_s=latency_s)
    row, info = find_market(sim, "ETH-USD")
    fleet = list(derive_wallets(1, wallets))
    with (
        tempfile.TemporaryDirectory() as tmp,
        StateStore(Path(tmp)).market(info.chain_id, info.order_book) as store,
    ):
        start = prepare_run(
            store,
            market=row.to_market_ref(),
            wallets=fleet,
            mode=StartMode.FRESH,
            now=sim.now(),
            overrides=OVERRIDES,
        )
        packer = Packer(
            venue=slow,  # type: ignore[arg-type]
            store=store,
            market=info,
            wallets=fleet,
            start=start,
            params=LiveParams(start.checkpoint.config, start.checkpoint.packer_params),
            options=PackerOptions(sequential=mode == "sequential", max_in_flight=8),
        )
        began = time.perf_counter()
        packer.ensure_sessions()
        sessions_s = time.perf_counter() - began
        began = time.perf_counter()
        cycles = 0
        addresses = [w.address for w in fleet]
        while True:
            stats = packer.cycle()
            cycles += 1
            if stats.placed == 0 and packed(sim, info.order_book, addresses, 6):
                break
            if cycles > 20:
                raise SystemExit(f"{mode}: not packed after 20 cycles")
        pack_s = time.perf_counter() - began
        return sessions_s, pack_s, cycles, slow.calls


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wallets", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    results = {mode: run(mode, args.wallets, latency) for mode in ("batched", "sequential")}
    for mode, (sessions_s, pack_s, cycles, calls) in results.items():
        print(
            f"{mode:>10}: sessions {sessions_s:6.2f} s | pack {args.wallets} wallets x 6/side "
            f"{pack_s:6.2f} s in {cycles} cycles | {calls} venue calls"
        )
    b, s = results["batched"], results["sequential"]
    print(
        f"speed-up (sequential / batched): pack {s[1] / b[1]:.1f}x, sessions {s[0] / b[0]:.1f}x, "
        f"sessions+pack {(s[0] + s[1]) / (b[0] + b[1]):.1f}x"
    )


if __name__ == "__main__":
    main()
