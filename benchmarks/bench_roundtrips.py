"""JSON-RPC round trips (and time) of one packer cycle's reads — book, every wallet's open orders,
collateral and new fills — on a local devnet it starts: the Dexetra venue (Multicall3, and plain
JSON-RPC batches) side by side with one eth_call per read, as the original tool read the chain.
A counting proxy in front of the node counts the HTTP round trips.

    uv run python benchmarks/bench_roundtrips.py [--wallets 50] [--per-side 6] [--cycles 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ama_tui.devnet.stack import DevnetStack
from ama_tui.settings import LiveSettings
from ama_tui.venues.base import VenueKind
from ama_tui.venues.dexetra import DexetraVenue
from tests.dexetra.devnet_tools import CountingProxy, NaiveReader, place_direct_orders


def venue_cycle(venue: DexetraVenue, order_book: str, traders: list[str], cursor: str) -> tuple[str, int]:
    venue.book(order_book, 25)
    orders = venue.open_orders(order_book, traders)
    venue.available_collateral(traders)
    page = venue.fills_since(order_book, traders, cursor)
    return page.cursor, sum(len(held) for held in orders.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wallets", type=int, default=50)
    parser.add_argument("--per-side", type=int, default=6)
    parser.add_argument("--cycles", type=int, default=5, help="cycles measured per reader (median shown)")
    args = parser.parse_args()

    print(f"starting a devnet with {args.wallets} wallets ...", flush=True)
    with DevnetStack(wallets=args.wallets) as stack:
        traders = [wallet.address for wallet in stack.wallets.wallets]
        placed = place_direct_orders(stack, traders, args.per_side)
        print(f"{placed} resting orders ({args.per_side} a side per wallet)\n", flush=True)
        env = stack.env()
        with CountingProxy(stack.rpc_url) as proxy:
            settings = LiveSettings(
                proxy.url, env["SESSION_REGISTRY_ADDRESS"], int(env["CHAIN_ID"]), env["APP_URL"]
            )
            rows: list[tuple[str, int, float]] = []
            info = None
            for label, multicall in (("venue, Multicall3", True), ("venue, JSON-RPC batches", False)):
                venue = DexetraVenue(settings, kind=VenueKind.DEVNET, multicall=multicall, max_batch=1000)
                try:
                    info = venue.market_info("ETH-USD")
                    cursor = venue.fills_cursor(info.order_book)
                    venue_cycle(venue, info.order_book, traders, cursor)  # warm-up
                    counts, times = [], []
                    for _ in range(args.cycles):
                        before, started = proxy.count(), time.perf_counter()
                        cursor, seen = venue_cycle(venue, info.order_book, traders, cursor)
                        times.append(time.perf_counter() - started)
                        counts.append(proxy.count() - before)
                    assert seen == placed, f"{label} saw {seen} orders, {placed} rest"
                    rows.append((label, max(counts), statistics.median(times)))
                finally:
                    venue.close()
            assert info is not None
            naive = NaiveReader(
                proxy.url, info.order_book, info.vault, bytes.fromhex(info.market_id_bytes32[2:])
            )
            try:
                block = int(cursor)
                counts, times = [], []
                for _ in range(args.cycles):
                    before, started = proxy.count(), time.perf_counter()
                    seen, block = naive.cycle(traders, block)
                    times.append(time.perf_counter() - started)
                    counts.append(proxy.count() - before)
                rows.append(("one eth_call per read", max(counts), statistics.median(times)))
            finally:
                naive.close()

    print(f"one cycle's reads for {args.wallets} wallets, {placed} orders (the venue adds 1 API depth call):")
    width = max(len(label) for label, _, _ in rows)
    for label, trips, seconds in rows:
        print(f"  {label:<{width}}  {trips:>5} JSON-RPC round trips  {seconds * 1000:>8.1f} ms")
    baseline = rows[-1]
    print(
        f"\nround trips: {baseline[1] / rows[0][1]:.0f}x fewer; time: {baseline[2] / rows[0][2]:.1f}x faster"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
