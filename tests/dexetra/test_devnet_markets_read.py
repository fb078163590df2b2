"""Several markets read at once on the devnet (`DexetraVenue.read_markets`): the same books,
orders and free collateral as each market's own reads, in two chain round trips whatever the
number of markets (each market alone: three), and the fills read on the way are kept for
`fills_since`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ama_tui.devnet.stack import DevnetStack
from ama_tui.venues.base import MarketReadRequest, VenueKind
from ama_tui.venues.dexetra import DexetraVenue

from ..venue_contract.devnet_harness import settings_of
from .devnet_tools import CountingProxy, place_direct_orders

pytestmark = pytest.mark.devnet

WALLETS = 4
SYMBOLS = ("ETH-USD", "BTC-USD")


@pytest.fixture(scope="module")
def fleet(node_modules: Path) -> Iterator[tuple[DevnetStack, list[str]]]:
    with DevnetStack(wallets=WALLETS) as stack:
        traders = [wallet.address for wallet in stack.wallets.wallets]
        place_direct_orders(stack, traders, 2, symbol="ETH-USD")
        place_direct_orders(stack, traders[:2], 3, symbol="BTC-USD", amount18=10**15)
        yield stack, traders


def _venue(stack: DevnetStack, url: str) -> DexetraVenue:
    settings = settings_of(stack)
    settings = type(settings)(url, settings.session_registry, settings.chain_id, settings.app_url)
    return DexetraVenue(settings, kind=VenueKind.DEVNET, max_batch=1000)


def test_markets_read_together_answer_what_each_reads_alone(fleet: tuple[DevnetStack, list[str]]) -> None:
    stack, traders = fleet
    with CountingProxy(stack.rpc_url) as proxy:
        venue = _venue(stack, proxy.url)
        try:
            books = [venue.market_info(symbol).order_book for symbol in SYMBOLS]
            for book in books:
                venue.fills_cursor(book)
            requests = [MarketReadRequest(book, tuple(traders), 5) for book in books]
            before = proxy.count()
            together = venue.read_markets(requests)
            together_trips = proxy.count() - before

            before = proxy.count()
            alone = {
                book: (
                    venue.book(book, 5),
                    venue.open_orders(book, traders),
                    venue.available_collateral(traders),
                )
                for book in books
            }
            alone_trips = proxy.count() - before
        finally:
            venue.close()
    assert set(together) == set(books)
    for book in books:
        read = together[book]
        snapshot, orders, available = alone[book]
        assert read.book.top == snapshot.top
        assert (read.book.bids, read.book.asks) == (snapshot.bids, snapshot.asks)
        assert read.orders == orders
        assert read.available == available
    eth, btc = (together[book].orders for book in books)
    assert all(len(eth[t]) == 4 for t in traders)
    assert [len(btc[t]) for t in traders] == [6, 6, 0, 0]
    assert together_trips == 2
    assert alone_trips == 3 * len(books)


def test_fills_read_on_the_way_are_kept_for_fills_since(fleet: tuple[DevnetStack, list[str]]) -> None:
    stack, traders = fleet
    with CountingProxy(stack.rpc_url) as proxy:
        venue = _venue(stack, proxy.url)
        try:
            books = [venue.market_info(symbol).order_book for symbol in SYMBOLS]
            cursors = {book: venue.fills_cursor(book) for book in books}
            venue.read_markets([MarketReadRequest(book, tuple(traders)) for book in books])
            before = proxy.count()
            pages = {book: venue.fills_since(book, traders, cursors[book]) for book in books}
            assert proxy.count() == before, "the fills were read with the markets"
        finally:
            venue.close()
    assert all(int(page.cursor) >= int(cursors[book]) for book, page in pages.items())
