"""The relayer-set root read from a web app is remembered (in the user's cache, beside the market
rows) and offered at the next launch as a hint while the live set is read again."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx

from ama_tui.venues.base import RelayerRootHinter, StartWarmer, VenueKind
from ama_tui.venues.market_cache import FILE_NAME, MarketCache, RelayerRoots
from ama_tui.wiring import VenueSetup, find_market, warm_start
from tests.dexetra.fakes import APP_URL, SETTINGS, FakeApp, make_venue

RELAYER_SET = "/api/gasless/session/relayer-set"
LIVE = "0x" + "ab" * 32  # what the fake app answers
OLD = "0x" + "cd" * 32


def _eventually_remembered(cache: MarketCache, app_url: str = APP_URL) -> str | None:
    """The root the cache holds once the venue's read has remembered it (the read remembers it
    as it completes, on the venue's own thread)."""
    for _ in range(500):
        if cache.relayer_root(app_url) == LIVE:
            break
        threading.Event().wait(0.01)
    return cache.relayer_root(app_url)


def test_roots_are_kept_per_web_app_beside_the_market_rows(tmp_path: Path) -> None:
    cache = MarketCache(tmp_path)
    assert cache.relayer_root(APP_URL) is None
    venue, _, _ = make_venue()
    try:
        find_market(venue, "ETH-USD", app_url=APP_URL, cache=cache)  # remembers a row
    finally:
        venue.close()
    cache.put_relayer_root(APP_URL + "/", LIVE.upper().replace("0X", "0x"))
    cache.put_relayer_root("http://other.example", OLD)
    assert cache.relayer_root(APP_URL) == LIVE  # one key per app, trailing slash or not
    assert cache.relayer_root("http://other.example") == OLD
    assert cache.get(APP_URL, "eth-usd") is not None, "the row survives the roots"
    venue, _, _ = make_venue()
    try:
        find_market(venue, "ETH-USD", app_url=APP_URL, cache=cache)
    finally:
        venue.close()
    assert cache.relayer_root(APP_URL) == LIVE, "the root survives a row written again"


def test_a_malformed_root_is_neither_written_nor_read(tmp_path: Path) -> None:
    cache = MarketCache(tmp_path)
    cache.put_relayer_root(APP_URL, "0x1234")
    assert not (tmp_path / FILE_NAME).exists()
    (tmp_path / FILE_NAME).write_text(
        json.dumps({"version": 1, "rows": {}, "relayerRoots": {APP_URL: "not a root"}}), encoding="utf-8"
    )
    assert cache.relayer_root(APP_URL) is None
    (tmp_path / FILE_NAME).write_text(json.dumps({"version": 1, "rows": {}}), encoding="utf-8")
    assert cache.relayer_root(APP_URL) is None  # a file written before roots were kept


def test_the_same_root_is_not_written_again(tmp_path: Path) -> None:
    cache = MarketCache(tmp_path)
    cache.put_relayer_root(APP_URL, LIVE)
    path = tmp_path / FILE_NAME
    before = path.stat().st_mtime_ns, path.read_bytes()
    path.chmod(0o444)
    try:
        cache.put_relayer_root(APP_URL, LIVE)  # no write attempted: nothing to log either
    finally:
        path.chmod(0o644)
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before


def test_the_remembered_root_is_a_hint_once_while_the_live_read_is_held(tmp_path: Path) -> None:
    cache = MarketCache(tmp_path)
    cache.put_relayer_root(APP_URL, OLD)
    release = threading.Event()
    app = FakeApp()

    def held(request: httpx.Request) -> httpx.Response:
        release.wait(5.0)
        return FakeApp().handle(request)

    app.routes[RELAYER_SET] = held
    venue, _, _ = make_venue(app=app)
    try:
        assert isinstance(venue, StartWarmer) and isinstance(venue, RelayerRootHinter)
        venue.warm_start(RelayerRoots(cache, APP_URL))
        assert venue.relayer_root_hint() == OLD
        assert venue.relayer_root_hint() is None  # once
        release.set()
        assert venue.relayer_set_root() == LIVE  # the check reads the live set
        assert _eventually_remembered(cache) == LIVE  # for the next launch
    finally:
        release.set()
        venue.close()


def test_no_hint_once_the_live_read_has_answered(tmp_path: Path) -> None:
    cache = MarketCache(tmp_path)
    cache.put_relayer_root(APP_URL, OLD)
    venue, _, app = make_venue()
    try:
        venue.warm_start(RelayerRoots(cache, APP_URL))
        assert _eventually_remembered(cache) == LIVE  # remembered once the read is done
        assert venue.relayer_root_hint() is None  # the live root is at hand: no guessing
        assert venue.relayer_set_root() == LIVE
        assert sum(1 for r in app.seen if r.url.path == RELAYER_SET) == 1
    finally:
        venue.close()


def test_a_venue_started_without_a_memory_offers_no_hint() -> None:
    venue, _, _ = make_venue()
    try:
        venue.warm_start()
        assert venue.relayer_root_hint() is None
        assert venue.relayer_set_root() == LIVE
    finally:
        venue.close()


def test_warm_start_remembers_the_root_in_the_users_cache() -> None:
    """What the headless run and the dashboard call once the venue is open."""
    venue, _, _ = make_venue()
    try:
        warm_start(VenueSetup(venue=venue, kind=VenueKind.DEVNET, description="fake", settings=SETTINGS))
        assert venue.relayer_set_root() == LIVE
        assert _eventually_remembered(MarketCache(), SETTINGS.app_url) == LIVE  # the test's own cache
    finally:
        venue.close()
