"""The sim's market catalogue and the production-like `/api/markets` listing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from eth_utils import is_checksum_address, keccak

from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import PlaceLimit, TradeRejected, UnknownMarket
from ama_tui.venues.sim import SIM_CHAIN_ID, SimVenue
from ama_tui.venues.sim.markets import CATALOGUE, REGISTRY_ADDRESS, VAULT_ADDRESS

from ._venue_support import make_sim, open_session, wallet


def test_catalogue_shape() -> None:
    by_symbol = {market.symbol: market for market in CATALOGUE}
    assert len(CATALOGUE) >= 6
    assert by_symbol["ETH-USD"].initial_price >= 1000 and by_symbol["BTC-USD"].initial_price >= 1000
    henry = by_symbol["HENRY-HUB-PRICE"]
    assert (henry.initial_price, henry.tick_size) == (Decimal("5.00"), Decimal("0.01"))
    assert any(market.tick_size == Decimal("0.0001") for market in CATALOGUE)
    assert any(not market.is_active for market in CATALOGUE)
    assert len({market.margin_bps for market in CATALOGUE}) > 1
    assert len({market.tick_size for market in CATALOGUE}) >= 3


def test_addresses_and_ids_are_deterministic() -> None:
    for market in CATALOGUE:
        assert market.market_id_bytes32 == "0x" + keccak(text=market.symbol).hex()
        assert is_checksum_address(market.order_book)
        row = market.row()
        assert row.chain_id == SIM_CHAIN_ID == 1_337_001
        assert row.market_address == market.order_book
    assert len({market.order_book for market in CATALOGUE}) == len(CATALOGUE)
    assert is_checksum_address(VAULT_ADDRESS) and is_checksum_address(REGISTRY_ADDRESS)


def test_listing_like_the_production_route() -> None:
    venue = make_sim()
    active = venue.list_markets()
    assert active.total == sum(market.is_active for market in CATALOGUE)
    everything = venue.list_markets(status=None)
    assert everything.total == len(CATALOGUE)
    assert venue.list_markets(status="").total == len(CATALOGUE)
    settled = venue.list_markets(status="settled")
    assert [row.symbol for row in settled.markets] == ["WTI-CRUDE-DEC25"]
    assert {row.symbol for row in venue.list_markets(search="usd").markets} >= {
        "ETH-USD",
        "BTC-USD",
        "DOGE-USD",
    }
    assert [row.symbol for row in venue.list_markets(search="natural gas").markets] == ["HENRY-HUB-PRICE"]
    assert [row.symbol for row in venue.list_markets(search="gold-oz-spot").markets] == ["GOLD-OZ"]
    page = venue.list_markets(status=None, limit=2, offset=4)
    assert [row.symbol for row in page.markets] == [m.symbol for m in CATALOGUE[4:6]]
    assert page.total == len(CATALOGUE)
    with pytest.raises(ValueError):
        venue.list_markets(limit=-1)


def test_market_info() -> None:
    venue = make_sim()
    gold = venue.market_info("gold-oz")
    assert gold.margin_bps == 5_000 and gold.tick6 == 100_000 and gold.vault == VAULT_ADDRESS
    assert venue.market_info(gold.order_book.lower()) == gold
    assert venue.market_info("DOGE-USD").tick6 == 100
    with pytest.raises(UnknownMarket):
        venue.market_info("SOL-USD")


def test_inactive_market_refuses_trades_and_has_an_empty_book() -> None:
    venue = make_sim()
    address, key = wallet(0)
    session = open_session(venue, address, key, symbol="WTI-CRUDE-DEC25")
    book = venue.market_info("WTI-CRUDE-DEC25").order_book
    snapshot = venue.book(book)
    assert (snapshot.top.best_bid6, snapshot.top.best_ask6) == (0, 0)
    assert (snapshot.top.mark6, snapshot.top.last_trade6) == (70_000_000, 70_000_000), "it traded before"
    before = venue.dump_state()
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, session, PlaceLimit(address, 69_000_000, 10**18, True))
    assert caught.value.code == ErrorCode.MARKET_INACTIVE
    assert venue.dump_state() == before


def test_every_active_market_gets_two_sided_depth_on_the_tick() -> None:
    venue = SimVenue(3, "REALISTIC", "virtual")
    for market in CATALOGUE:
        snapshot = venue.book(market.order_book, 25)
        if not market.is_active:
            continue
        assert snapshot.bids and snapshot.asks, market.symbol
        assert not snapshot.top.is_crossed
        assert all(level.price6 % market.tick6 == 0 for level in (*snapshot.bids, *snapshot.asks))
        mid = snapshot.top.mid6
        assert abs(mid - market.initial_price6) <= market.initial_price6 // 50 + 2 * market.tick6
        assert (snapshot.top.mark6, snapshot.top.last_trade6) == (0, 1_000_000), "quoted, never traded"
