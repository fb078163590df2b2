"""How fast the embedded exchange runs: simulated seconds per wall second.

100 session traders each keep a few resting orders a side on one market (re-placing what fills and
rotating their oldest order now and then, like the packer), while the market's providers and takers
trade around them, on the virtual clock. Session setup (signing permits) is not timed.

    uv run python benchmarks/bench_sim.py [--traders 100] [--orders 3] [--seconds 600] [--preset REALISTIC]
"""

from __future__ import annotations

import argparse
import time

from eth_utils import keccak

from ama_tui.core.keys import PrivateKey
from ama_tui.protocol.accounts import address_of
from ama_tui.protocol.permits import build_session_permit, sign_session_permit
from ama_tui.venues.base import CancelOrder, PlaceLimit, VenueError
from ama_tui.venues.sim import SimVenue


def _open_sessions(venue: SimVenue, symbol: str, count: int) -> list[tuple[str, str]]:
    info = venue.market_info(symbol)
    domain = venue.session_domain()
    traders = []
    for index in range(count):
        key = PrivateKey("0x" + keccak(text=f"ama-tui bench trader {index}").hex())
        address = address_of(key)
        for _ in range(20):
            permit = build_session_permit(
                trader=address,
                relayer_set_root=venue.relayer_set_root(),
                expiry=int(venue.clock.now()) + 30 * 86_400,
                nonce=venue.session_nonce(address),
                allowed_markets=[info.market_id_bytes32],
            )
            signature = sign_session_permit(key, domain.chain_id, domain.registry, permit)
            try:
                traders.append((address, venue.create_session(info.order_book, permit, signature).session_id))
                break
            except VenueError:
                continue
    return traders


def run(traders: int, orders: int, seconds: int, preset: str, symbol: str, seed: int) -> dict[str, float]:
    venue = SimVenue(seed, preset, "virtual")
    info = venue.market_info(symbol)
    book = info.order_book
    sessions = _open_sessions(venue, symbol, traders)
    addresses = [address for address, _ in sessions]
    submits = failures = 0
    started = time.perf_counter()
    for second in range(seconds):
        top = venue.book(book, 10).top
        open_orders = venue.open_orders(book, addresses)
        for index, (address, session) in enumerate(sessions):
            mine = open_orders[address]
            requests: list[PlaceLimit | CancelOrder] = []
            for is_buy in (True, False):
                side = [order for order in mine if order.is_buy is is_buy]
                for level in range(len(side), orders):
                    distance = (5 + (index * 7 + level * 13) % 40) * info.tick6
                    if is_buy and top.best_bid6:
                        price = top.best_bid6 - distance
                    elif not is_buy and top.best_ask6:
                        price = top.best_ask6 + distance
                    else:
                        continue
                    if price > 0:
                        requests.append(PlaceLimit(address, price, 10**17, is_buy))
            if mine and (second + index) % 30 == 0:
                requests.append(CancelOrder(address, mine[0].order_id))
            for request in requests:
                submits += 1
                try:
                    venue.submit(book, session, request)
                except VenueError:
                    failures += 1
        venue.advance(1)
    elapsed = time.perf_counter() - started
    audit = venue.audit()
    return {
        "sim_seconds": seconds,
        "wall_seconds": elapsed,
        "sim_per_wall": seconds / elapsed,
        "submits": submits,
        "failures": failures,
        "trades": audit.trades,
        "maker_fills": audit.maker_fills,
        "taker_fills": audit.taker_fills,
        "events": venue.event_count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traders", type=int, default=100)
    parser.add_argument("--orders", type=int, default=3, help="resting orders per side per trader")
    parser.add_argument("--seconds", type=int, default=600, help="simulated seconds to run")
    parser.add_argument("--preset", default="REALISTIC")
    parser.add_argument("--symbol", default="HENRY-HUB-PRICE")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    market_only = run(0, 0, args.seconds, args.preset, args.symbol, args.seed)
    result = run(args.traders, args.orders, args.seconds, args.preset, args.symbol, args.seed)
    print(f"market only ({args.symbol}, {args.preset}): {market_only['sim_per_wall']:.0f} sim s / wall s")
    print(
        f"{args.traders} traders x {args.orders} orders a side: {result['sim_per_wall']:.1f} sim s / wall s"
        f" ({result['sim_seconds']} sim s in {result['wall_seconds']:.2f} wall s;"
        f" {result['submits']} submissions, {result['failures']} relay failures, {result['trades']} trades,"
        f" {result['maker_fills']} maker fills, {result['taker_fills']} taker fills,"
        f" {result['events']} events)"
    )


if __name__ == "__main__":
    main()
