"""Contract: the market catalogue and one market's static facts."""

from __future__ import annotations

import re

import pytest

from ama_tui.venues.base import MarketRow, UnknownMarket, VenueKind

from .harness import VenueHarness

BYTES32 = re.compile(r"^0x[0-9a-f]{64}$")


def test_kind_and_clock(harness: VenueHarness) -> None:
    assert isinstance(harness.venue.kind, VenueKind)
    assert harness.venue.clock.now() > 1_600_000_000


def test_default_listing_is_active_markets(harness: VenueHarness) -> None:
    page = harness.venue.list_markets()
    assert page.markets, "an active market must be listed"
    assert all(isinstance(row, MarketRow) and row.is_active for row in page.markets)
    assert page.total >= len(page.markets)
    assert any(row.market_address.lower() == harness.order_book.lower() for row in page.markets)


def test_rows_carry_the_reference_fields(harness: VenueHarness) -> None:
    chain_id = harness.info.chain_id
    for row in harness.venue.list_markets(status=None, limit=100).markets:
        assert row.symbol and row.name and row.market_identifier
        if not row.market_address:  # not deployed yet: the API's address and id are null (reference §7)
            assert not row.is_active and not row.market_id_bytes32
            continue
        assert re.fullmatch(r"0x[0-9a-fA-F]{40}", row.market_address)
        assert BYTES32.match(row.market_id_bytes32.lower())
        assert row.chain_id == chain_id
        assert row.tick_size > 0 and row.tick6 > 0
        assert isinstance(row.decimals, int)
        assert row.market_status


def test_paging_counts_matches_before_the_page(harness: VenueHarness) -> None:
    everything = harness.venue.list_markets(status=None, limit=100)
    if everything.total < 2:
        pytest.skip("paging needs two markets")
    first = harness.venue.list_markets(status=None, limit=1, offset=0)
    second = harness.venue.list_markets(status=None, limit=1, offset=1)
    assert first.total == second.total == everything.total
    assert len(first.markets) == len(second.markets) == 1
    assert first.markets[0].symbol != second.markets[0].symbol
    assert first.has_more
    beyond = harness.venue.list_markets(status=None, limit=10, offset=everything.total)
    assert beyond.markets == () and beyond.total == everything.total and not beyond.has_more


def test_search_is_case_insensitive(harness: VenueHarness) -> None:
    symbol = harness.info.symbol
    for needle in (symbol.lower(), symbol.upper(), symbol[1:-1].swapcase()):
        page = harness.venue.list_markets(search=needle, status=None)
        assert symbol in {row.symbol for row in page.markets}
        assert page.total == len(page.markets)
    nothing = harness.venue.list_markets(search="no market is called this 7f3e", status=None)
    assert nothing.markets == () and nothing.total == 0


def test_status_filter(harness: VenueHarness) -> None:
    every = harness.venue.list_markets(status=None, limit=100).markets
    for status in {row.market_status for row in every}:
        page = harness.venue.list_markets(status=status, limit=100)
        assert page.markets and all(row.market_status.upper() == status.upper() for row in page.markets)


def test_market_info_by_symbol_or_address(harness: VenueHarness) -> None:
    info = harness.info
    assert info.order_book.lower() == harness.order_book.lower()
    assert BYTES32.match(info.market_id_bytes32.lower())
    assert info.chain_id > 0
    assert info.tick6 > 0 and info.margin_bps > 0
    assert re.fullmatch(r"0x[0-9a-fA-F]{40}", info.vault)
    upper_address = "0x" + harness.order_book[2:].upper()
    for key in (info.symbol, info.symbol.lower(), harness.order_book.lower(), upper_address):
        assert harness.venue.market_info(key) == info
    row = next(
        r for r in harness.venue.list_markets(status=None, limit=100).markets if r.symbol == info.symbol
    )
    assert row.market_id_bytes32.lower() == info.market_id_bytes32.lower()
    assert row.tick6 == info.tick6


@pytest.mark.parametrize("key", ["NOPE-USD", "0x" + "12" * 20, "", "not an address"])
def test_unknown_market(harness: VenueHarness, key: str) -> None:
    with pytest.raises(UnknownMarket):
        harness.venue.market_info(key)
    with pytest.raises(UnknownMarket):
        harness.venue.book(key)
