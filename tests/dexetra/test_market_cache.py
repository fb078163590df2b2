"""A market found once is found again without the relay's listing (a round trip of seconds on
production), but only when the chain confirms it; the listing is read again in the background."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from ama_tui.venues.market_cache import FILE_NAME, MarketCache
from ama_tui.wiring import find_market
from tests.dexetra.fakes import APP_URL, BOOK, MARKET_ID, FakeApp, FakeChain, make_venue

MARKETS = "/api/markets"


def listings(app: FakeApp) -> int:
    return sum(1 for request in app.seen if request.url.path == MARKETS)


def test_a_market_found_once_is_taken_from_the_cache_while_the_listing_is_read_again(tmp_path: Path) -> None:
    cache = MarketCache(tmp_path)
    first, _, app = make_venue()
    try:
        row, info = find_market(first, "ETH-USD", app_url=APP_URL, cache=cache)
    finally:
        first.close()
    assert listings(app) == 1
    assert cache.get(APP_URL, "eth-usd") == replace(row, extra={})
    assert cache.get(APP_URL, BOOK) is not None  # by its order book too

    answered, release = threading.Event(), threading.Event()
    slow = FakeApp()

    def slow_listing(request: httpx.Request) -> httpx.Response:
        release.wait(5.0)
        answered.set()
        return FakeApp().handle(request)

    slow.routes[MARKETS] = slow_listing
    chain = FakeChain()
    second, _, _ = make_venue(chain=chain, app=slow)
    try:
        again, again_info = find_market(second, "ETH-USD", app_url=APP_URL, cache=cache)
        assert not answered.is_set()  # found while the listing was still held back
        assert again_info == info and again.market_address == row.market_address
        assert any("eth_call" in method for method in chain.methods)  # confirmed on the chain
        release.set()
        assert answered.wait(5.0)  # the background refresh
    finally:
        release.set()
        second.close()


def test_a_remembered_row_the_chain_contradicts_is_looked_up_again(tmp_path: Path) -> None:
    cache = MarketCache(tmp_path)
    venue, _, app = make_venue()
    try:
        row, _ = find_market(venue, "ETH-USD", app_url=APP_URL, cache=cache)
    finally:
        venue.close()
    wrong = replace(row, market_id_bytes32="0x" + "77" * 32)  # another market now at that address
    cache.put(APP_URL, wrong)
    venue, _, app = make_venue()
    try:
        found, info = find_market(venue, "ETH-USD", app_url=APP_URL, cache=cache)
    finally:
        venue.close()
    assert listings(app) == 1  # looked up, as on a first launch
    assert info.market_id_bytes32 == "0x" + MARKET_ID.hex()
    assert cache.get(APP_URL, "ETH-USD") == replace(found, extra={})  # and remembered right


def test_a_remembered_market_no_longer_active_is_looked_up_again(tmp_path: Path) -> None:
    cache = MarketCache(tmp_path)
    venue, _, _ = make_venue()
    try:
        row, _ = find_market(venue, "ETH-USD", app_url=APP_URL, cache=cache)
    finally:
        venue.close()
    cache.put(APP_URL, replace(row, market_status="SETTLED"))
    venue, _, app = make_venue()
    try:
        find_market(venue, "ETH-USD", app_url=APP_URL, cache=cache)
    finally:
        venue.close()
    assert listings(app) == 1


def test_rows_are_kept_per_exchange(tmp_path: Path) -> None:
    cache = MarketCache(tmp_path)
    venue, _, _ = make_venue()
    try:
        find_market(venue, "ETH-USD", app_url=APP_URL, cache=cache)
    finally:
        venue.close()
    assert cache.get("https://another.exchange", "ETH-USD") is None
    assert cache.get(APP_URL + "/", "ETH-USD") is not None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"[]",
        b'{"version": 99, "rows": {}}',
        b'{"version": 1, "rows": {"x": 1}}',
        b"\xff\xfe",
    ],
)
def test_a_malformed_cache_file_is_an_empty_cache_and_is_replaced(tmp_path: Path, content: bytes) -> None:
    (tmp_path / FILE_NAME).write_bytes(content)
    cache = MarketCache(tmp_path)
    assert cache.get(APP_URL, "ETH-USD") is None
    venue, _, app = make_venue()
    try:
        find_market(venue, "ETH-USD", app_url=APP_URL, cache=cache)
    finally:
        venue.close()
    assert listings(app) == 1
    assert json.loads((tmp_path / FILE_NAME).read_text())["version"] == 1
    assert cache.get(APP_URL, "ETH-USD") is not None


def test_a_cache_that_cannot_be_written_does_not_stop_the_run(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    cache = MarketCache(blocked)  # its folder is a file
    venue, _, _ = make_venue()
    try:
        row, info = find_market(venue, "ETH-USD", app_url=APP_URL, cache=cache)
    finally:
        venue.close()
    assert info.order_book.lower() == BOOK.lower() and row.symbol == "ETH-USD"
    assert cache.get(APP_URL, "ETH-USD") is None


def test_the_default_cache_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMA_TUI_CACHE_DIR", str(tmp_path / "mine"))
    venue, _, _ = make_venue()
    try:
        find_market(venue, "ETH-USD", app_url=APP_URL)
    finally:
        venue.close()
    assert (tmp_path / "mine" / FILE_NAME).is_file()
