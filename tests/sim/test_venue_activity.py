"""The rest of the market: providers keep depth, takers fill resting orders, the reference walks."""

from __future__ import annotations

import threading

import pytest

from ama_tui.venues.base import PlaceLimit
from ama_tui.venues.sim import STEP_MS, SimVenue

from ._venue_support import ETH, HENRY, open_session, wallet

ONE = 10**18


def test_providers_keep_two_sided_uncrossed_depth_on_the_tick() -> None:
    venue = SimVenue(21, "CHAOTIC", "virtual")
    book = venue.market_info(HENRY).order_book
    tick6 = venue.market_info(HENRY).tick6
    for _ in range(40):
        venue.advance(15)
        snapshot = venue.book(book, 25)
        assert snapshot.bids and snapshot.asks
        assert not snapshot.top.is_crossed
        assert len(snapshot.bids) >= 3 and len(snapshot.asks) >= 3
        assert all(level.price6 % tick6 == 0 for level in (*snapshot.bids, *snapshot.asks))


def test_takers_fill_a_resting_order_at_the_front() -> None:
    venue = SimVenue(4, "PERFECT_EXECUTION", "virtual")
    book = venue.market_info(ETH).order_book
    address, key = wallet(0)
    session = open_session(venue, address, key)
    top = venue.book(book).top
    cursor = venue.fills_cursor(book)
    venue.submit(book, session, PlaceLimit(address, top.best_bid6 + 10_000, 10**17, True))
    venue.submit(book, session, PlaceLimit(address, top.best_ask6 - 10_000, 10**17, False))
    venue.advance(60)
    fills = venue.fills_since(book, [address], cursor).fills
    assert fills and all(fill.is_maker for fill in fills)
    audit = venue.audit()
    assert audit.maker_fills > 0 and audit.taker_fills == 0 and audit.self_matches == 0


def test_the_mark_comes_with_the_first_trade() -> None:
    """Providers quote around a reference from the start, but the exchange has no price until a
    trade: mark 0 and the 1.000000 placeholder as last trade, then the trades' prices."""
    venue = SimVenue(4, "PERFECT_EXECUTION", "virtual")
    book = venue.market_info(ETH).order_book
    top = venue.book(book).top
    assert top.mid6 > 2_000_000_000 and (top.mark6, top.last_trade6) == (0, 1_000_000)
    assert venue.reference_price6(book) > 2_000_000_000
    for _ in range(600):
        if venue.audit().trades:
            break
        venue.advance(1)
    snapshot = venue.book(book)
    top = snapshot.top
    assert top.last_trade6 == snapshot.recent_trades[0].price6
    assert top.mark6 == min(max(top.last_trade6, top.best_bid6), top.best_ask6)


def test_no_fills_preset_has_no_takers() -> None:
    venue = SimVenue(4, "NO_FILLS", "virtual")
    book = venue.market_info(ETH).order_book
    address, key = wallet(0)
    session = open_session(venue, address, key)
    top = venue.book(book).top
    venue.submit(book, session, PlaceLimit(address, top.best_bid6 + 10_000, 10**17, True))
    venue.advance(600)
    assert venue.audit().trades == 0
    assert len(venue.open_orders(book, [address])[address]) == 1


def test_gradual_fills_fill_in_parts() -> None:
    venue = SimVenue(8, "GRADUAL_FILLS", "virtual")
    book = venue.market_info(ETH).order_book
    sizes = [
        trade.amount18 for _ in range(20) for trade in (venue.advance(3) or venue.book(book).recent_trades)
    ]
    assert sizes
    level = 2_000 * 10**6 * ONE // venue.reference_price6(book)
    assert max(sizes) <= level


@pytest.mark.parametrize(("mode", "sign"), [("UP", 1), ("DOWN", -1)])
def test_trend_modes_drift(mode: str, sign: int) -> None:
    venue = SimVenue(13, "PERFECT_EXECUTION", "virtual", price_mode=mode, participants=False)
    book = venue.market_info(HENRY).order_book
    start = venue.reference_price6(book)
    venue.advance(3600)
    moved = venue.reference_price6(book) - start
    assert sign * moved > start * 0.05


def test_mean_mode_reverts() -> None:
    venue = SimVenue(13, "REALISTIC", "virtual", participants=False)
    book = venue.market_info(HENRY).order_book
    start = venue.reference_price6(book)
    for _ in range(6):
        venue.advance(1200)
        assert abs(venue.reference_price6(book) - start) < start * 0.15


def test_virtual_clock_wait_advances_and_honours_stop() -> None:
    venue = SimVenue(1, "PERFECT_EXECUTION", "virtual", start_time=1_800_000_000)
    assert venue.clock.now() == 1_800_000_000
    stop = threading.Event()
    assert venue.clock.wait(stop, 2.5) is False
    assert venue.clock.now() == 1_800_000_002.5
    stop.set()
    assert venue.clock.wait(stop, 100) is True
    assert venue.clock.now() == 1_800_000_002.5
    with pytest.raises(ValueError):
        venue.advance(-1)


def test_steps_run_on_step_boundaries() -> None:
    a = SimVenue(2, "REALISTIC", "virtual")
    b = SimVenue(2, "REALISTIC", "virtual")
    for venue in (a, b):
        venue.book(venue.market_info(ETH).order_book)
    for _ in range(40):
        a.advance(STEP_MS / 1000 / 4)
    b.advance(STEP_MS / 1000 * 10)
    assert a.event_log_hash() == b.event_log_hash()


def test_wall_clock_catches_up_without_a_thread() -> None:
    venue = SimVenue(3, "PERFECT_EXECUTION", "wall")
    book = venue.market_info(ETH).order_book
    before_threads = threading.active_count()
    first = venue.book(book).timestamp
    threading.Event().wait(0.6)
    second = venue.book(book).timestamp
    assert second - first >= 0.5
    assert threading.active_count() == before_threads
    with pytest.raises(RuntimeError):
        venue.advance(1)


def test_closed_venue_refuses_calls() -> None:
    from ama_tui.venues.base import VenueUnavailable

    venue = SimVenue(3, "PERFECT_EXECUTION", "virtual")
    venue.close()
    with pytest.raises(VenueUnavailable):
        venue.book(venue.market_info(ETH).order_book)
