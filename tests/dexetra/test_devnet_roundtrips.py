"""Round trips of one packer cycle's reads (book + open orders + collateral + fills) for 50 wallets
on the devnet, counted by a proxy in front of the node: the batched venue against one eth_call per
read. Both figures are printed (`pytest -s` shows them)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ama_tui.devnet.stack import DevnetStack
from ama_tui.venues.base import VenueKind
from ama_tui.venues.dexetra import DexetraVenue

from ..venue_contract.devnet_harness import settings_of
from .devnet_tools import CountingProxy, NaiveReader, place_direct_orders

pytestmark = pytest.mark.devnet

WALLETS = 50
PER_SIDE = 6


@pytest.fixture(scope="module")
def fleet(node_modules: Path) -> Iterator[tuple[DevnetStack, list[str]]]:
    with DevnetStack(wallets=WALLETS) as stack:
        traders = [wallet.address for wallet in stack.wallets.wallets]
        place_direct_orders(stack, traders, PER_SIDE)
        yield stack, traders


@pytest.mark.parametrize("multicall", [True, False])
def test_a_cycle_of_reads_for_fifty_wallets_is_three_round_trips(
    fleet: tuple[DevnetStack, list[str]], multicall: bool
) -> None:
    stack, traders = fleet
    with CountingProxy(stack.rpc_url) as proxy:
        settings = settings_of(stack)
        settings = type(settings)(proxy.url, settings.session_registry, settings.chain_id, settings.app_url)
        venue = DexetraVenue(settings, kind=VenueKind.DEVNET, multicall=multicall, max_batch=1000)
        try:
            info = venue.market_info("ETH-USD")
            cursor = venue.fills_cursor(info.order_book)
            before, started = proxy.count(), time.perf_counter()
            book = venue.book(info.order_book, 25)
            orders = venue.open_orders(info.order_book, traders)
            collateral = venue.available_collateral(traders)
            page = venue.fills_since(info.order_book, traders, cursor)
            batched, batched_s = proxy.count() - before, time.perf_counter() - started
        finally:
            venue.close()

        naive = NaiveReader(proxy.url, info.order_book, info.vault, bytes.fromhex(info.market_id_bytes32[2:]))
        try:
            before, started = proxy.count(), time.perf_counter()
            seen, _ = naive.cycle(traders, int(cursor))
            one_per_read, naive_s = proxy.count() - before, time.perf_counter() - started
        finally:
            naive.close()

    held = sum(len(o) for o in orders.values())
    mode = "Multicall3" if multicall else "JSON-RPC batch"
    print(
        f"\none cycle's reads, {WALLETS} wallets x {PER_SIDE} orders a side ({held} orders), {mode}: "
        f"{batched} JSON-RPC round trips (+1 API depth call) in {batched_s * 1000:.0f} ms vs "
        f"{one_per_read} in {naive_s * 1000:.0f} ms with one eth_call per read"
    )
    assert held == seen == WALLETS * 2 * PER_SIDE
    assert all(len(o) == 2 * PER_SIDE for o in orders.values())
    assert len(collateral) == WALLETS and all(v > 0 for v in collateral.values())
    assert book.top.best_bid6 > 0 and page.fills == ()
    assert batched <= 3
    assert one_per_read >= WALLETS * (2 * PER_SIDE + 2)
