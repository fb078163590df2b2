"""The measures behind the safety floor: the mid's volatility, the relay's latency, the top read
again before a placement, and the floor itself (cold start, rise at once, slow decay)."""

from __future__ import annotations

import math
import threading
import time

import pytest

from ama_tui.core.market import BookTop, OpenOrder
from ama_tui.engine.market_risk import (
    FreshTop,
    LatencyTracker,
    MidVolatility,
    outside_top,
    sigma6_from_trades,
)
from ama_tui.engine.safety_floor import (
    COLD_START_FACTOR,
    COLD_START_S,
    FLOOR_STEP_DOWN,
    PLAN_HEADROOM,
    SafetyFloor,
)
from ama_tui.venues.base import BookSnapshot, DepthLevel, PublicTrade, VenueUnavailable, WallClock


def test_the_market_mid_leaves_our_own_quotes_out() -> None:
    book = BookSnapshot(
        BookTop(1_000, 1_010),
        bids=(DepthLevel(1_000, 5), DepthLevel(990, 7)),
        asks=(DepthLevel(1_010, 5), DepthLevel(1_030, 9)),
    )
    ours = [
        OpenOrder(1, "0xabc", 1_000, 5, True, 0, 0),  # the whole best bid is ours
        OpenOrder(2, "0xabc", 1_010, 2, False, 0, 0),  # part of the best ask
    ]
    assert outside_top(book, ours) == BookTop(990, 1_010)
    assert outside_top(book, []) == BookTop(1_000, 1_010)
    every_bid = [*ours, OpenOrder(3, "0xabc", 990, 7, True, 0, 0)]
    assert outside_top(book, every_bid).best_bid6 == 0  # nothing of the market's as far as was read


def test_volatility_is_the_root_of_squared_moves_over_time() -> None:
    vol = MidVolatility(window_s=100)
    for t, mid in [(0, 1_000), (1, 1_300), (2, 1_000), (3, 1_300)]:
        vol.add(float(t), mid)
    assert vol.sigma6() == pytest.approx(300.0)  # sqrt(3 * 300^2 / 3 s)
    vol.add(3.0, 9_999)  # the same instant again: no information
    vol.add(2.5, 9_999)  # out of order: ignored
    assert vol.sigma6() == pytest.approx(300.0)
    vol.add(200.0, 1_300)  # the window drops what is older than 100 s
    assert vol.span_s() == 0.0 and vol.sigma6() is None


def test_too_few_samples_say_nothing() -> None:
    vol = MidVolatility()
    for t in range(3):
        vol.add(float(t), 1_000 + t)
    assert vol.sigma6() is None
    assert sigma6_from_trades(()) is None
    trades = tuple(PublicTrade(float(t), 1_000 + 100 * (t % 2), 1) for t in range(5))
    assert sigma6_from_trades(trades) == pytest.approx(math.sqrt(4 * 100**2 / 4))


def test_latency_is_a_high_quantile_after_a_prior() -> None:
    tracker = LatencyTracker(prior_s=2.0)
    assert tracker.estimate_s() == 2.0
    tracker.add(3.5)
    assert tracker.estimate_s() == 3.5  # few samples: never below the prior or what was seen
    for seconds in [0.1] * 9 + [1.0]:
        tracker.add(seconds)
    assert tracker.estimate_s() == 1.0  # the 90th percentile of 11 samples


def test_fresh_top_is_shared_by_wallets_sending_at_once_and_none_when_unreadable() -> None:
    reads: list[float] = []
    fail = threading.Event()

    def read() -> BookTop:
        if fail.is_set():
            raise VenueUnavailable("down")
        reads.append(time.monotonic())
        return BookTop(100, 110)

    fresh = FreshTop(read, max_age_s=10.0)
    assert [fresh.get() for _ in range(5)] == [BookTop(100, 110)] * 5
    assert len(reads) == 1
    every = FreshTop(read, max_age_s=0.0)
    for _ in range(3):
        every.get()
    assert len(reads) == 4
    fail.set()
    assert every.get() is None


def _floor() -> SafetyFloor:
    clock_now = [0.0]

    class Clock:
        def now(self) -> float:
            return clock_now[0]

        def wait(self, stop: threading.Event, seconds: float) -> bool:
            clock_now[0] += seconds
            return False

    floor = SafetyFloor(
        read_top=lambda: BookTop(0, 0),
        read_book=lambda: BookSnapshot(BookTop(0, 0)),
        clock=Clock(),
        tick6=10_000,
        latency_prior_s=1.0,
        top_max_age_s=0.0,
    )
    floor._clock_now = clock_now  # type: ignore[attr-defined]
    return floor


def _walk(floor: SafetyFloor, start: float, step6: int, seconds: int) -> None:
    for t in range(seconds):
        floor.volatility.add(start + t, 3_000_000_000 + (step6 if t % 2 else 0))


def test_the_floor_is_doubled_until_a_minute_of_mids_rises_at_once_and_falls_in_clear_steps() -> None:
    floor = _floor()
    _walk(floor, 0.0, 100_000, 10)  # 0.10 a second: sigma 100_000 price6 per sqrt(s)
    book = BookSnapshot(BookTop(0, 0))
    floor.update(book, (), 4.0)
    cold = floor.guard_ticks
    assert cold == math.ceil(COLD_START_FACTOR * 4 * floor.volatility.sigma6() / 10_000)  # type: ignore[operator]
    assert floor.floor_ticks == math.ceil(cold * PLAN_HEADROOM)
    _walk(floor, 10.0, 100_000, int(COLD_START_S) + 5)
    floor.update(book, (), 4.0)
    warm = math.ceil(4 * floor.volatility.sigma6() / 10_000)  # type: ignore[operator]
    assert warm < cold * FLOOR_STEP_DOWN and floor.guard_ticks == warm  # clearly lower: one step down
    _walk(floor, 75.0, 80_000, 4)  # a little calmer: within the step, the floor stays
    floor.update(book, (), 4.0)
    assert floor.guard_ticks == warm
    _walk(floor, 80.0, 2_000_000, 5)  # a burst
    floor.update(book, (), 4.0)
    assert floor.guard_ticks > cold  # rises at once
    assert floor.guard6(10, 120) == floor.guard_ticks * 10_000


def test_a_tape_that_shows_the_market_moving_spares_the_watch() -> None:
    from ama_tui.core.market import BookTop
    from ama_tui.engine.safety_floor import tape_tells
    from ama_tui.venues.base import BookSnapshot, PublicTrade

    def book(trades: list[tuple[float, int]]) -> BookSnapshot:
        return BookSnapshot(
            top=BookTop(2_999_000_000, 3_001_000_000),
            bids=(),
            asks=(),
            recent_trades=tuple(PublicTrade(at, price, 10**16) for at, price in trades),
            timestamp=100.0,
        )

    moving = [(0.0, 3_000_000_000), (3.0, 3_001_000_000), (6.0, 2_999_000_000), (9.0, 3_002_000_000)]
    assert tape_tells(book(moving))
    assert not tape_tells(book(moving[:3]))  # two moves over 6 s: not enough to go on
    assert not tape_tells(book([(t, 3_000_000_000) for t, _ in moving]))  # trades, no moves
    assert not tape_tells(book([]))


def _two_sided(mid6: int) -> BookSnapshot:
    return BookSnapshot(BookTop(mid6 - 500_000, mid6 + 500_000))


def test_an_unmeasured_market_is_quoted_wide_at_once_and_tightened_once_measured() -> None:
    from ama_tui.engine.safety_floor import PRIOR_SIGMA_REL

    floor = _floor()
    book = _two_sided(3_000_000_000)
    floor.update(book, (), 4.0)  # nothing seen yet: no wait, the prior's floor
    prior = math.ceil(4 * PRIOR_SIGMA_REL * 3_000_000_000 * 1.0 / 10_000)
    assert floor.on_prior and floor.guard_ticks == prior
    assert floor.floor_ticks == math.ceil(prior * PLAN_HEADROOM)
    _walk(floor, 0.0, 100_000, 10)  # moves over 10 s: measured (doubled while cold)
    floor.update(book, (), 4.0)
    measured = math.ceil(COLD_START_FACTOR * 4 * floor.volatility.sigma6() / 10_000)  # type: ignore[operator]
    assert not floor.on_prior and floor.guard_ticks == measured < prior  # in the first minute too


def test_a_still_market_leaves_the_prior_after_a_quiet_span() -> None:
    from ama_tui.engine.safety_floor import MIN_SPAN_S

    floor = _floor()
    for t in range(int(MIN_SPAN_S) + 1):
        floor.volatility.add(float(t), 3_000_000_000)  # not one move
    floor.update(_two_sided(3_000_000_000), (), 4.0)
    assert not floor.on_prior and floor.guard_ticks == 0  # what its (absent) trades say


def test_on_a_clock_that_is_not_realtime_nothing_moves_during_a_call() -> None:
    floor = SafetyFloor(
        read_top=lambda: BookTop(0, 0),
        read_book=lambda: BookSnapshot(BookTop(0, 0)),
        clock=_floor()._clock,
        tick6=10_000,
        latency_prior_s=0.0,
        top_max_age_s=0.0,
    )
    floor.update(_two_sided(3_000_000_000), (), 4.0)
    assert floor.guard_ticks == 0


def test_the_watchs_last_book_starts_the_first_cycle_once_and_only_while_recent() -> None:
    clock_now = [0.0]
    done = threading.Event()
    reads: list[BookSnapshot] = []

    def read_book() -> BookSnapshot:
        clock_now[0] += 1.0  # a read takes a second
        reads.append(_two_sided(3_000_000_000 + len(reads) * 100_000))
        if len(reads) == 2:
            done.set()  # the sessions are open while the second read is in flight
        return reads[-1]

    class Clock:
        def now(self) -> float:
            return clock_now[0]

        def wait(self, stop: threading.Event, seconds: float) -> bool:
            clock_now[0] += seconds
            return stop.is_set()

    def watch() -> SafetyFloor:
        return SafetyFloor(
            read_top=lambda: BookTop(0, 0),
            read_book=read_book,
            clock=Clock(),
            tick6=10_000,
            latency_prior_s=1.0,
            top_max_age_s=0.0,
        )

    floor = watch()
    floor.prewarm(done, lambda: ())
    assert len(reads) == 2 and floor.volatility.moves() == 1
    assert floor.watched_book(1.5) is reads[-1]  # began 1 s ago
    assert floor.watched_book(1.5) is None  # once
    floor.update(reads[-1], (), 4.0)
    assert floor.volatility.moves() == 1  # not sampled twice
    stale = watch()
    done.clear()
    reads.clear()
    stale.prewarm(done, lambda: ())
    clock_now[0] += 2.0  # the sessions took two more seconds
    assert stale.watched_book(1.5) is None


def test_a_recent_watched_book_is_taken_without_waiting_for_the_read_in_flight() -> None:
    """The sessions open while the watch has a read in flight (a relay round trip): the first
    cycle takes the last book at once, and the read that lands afterwards is dropped, never
    sampled beside the cycles (a wall clock; the read in flight is held by an event)."""
    in_flight, release = threading.Event(), threading.Event()
    reads: list[BookSnapshot] = []

    def read_book() -> BookSnapshot:
        reads.append(_two_sided(3_000_000_000 + len(reads) * 100_000))
        if len(reads) == 2:
            in_flight.set()
            release.wait(5.0)
        return reads[-1]

    floor = SafetyFloor(
        read_top=lambda: BookTop(0, 0),
        read_book=read_book,
        clock=WallClock(),
        tick6=10_000,
        latency_prior_s=1.0,
        top_max_age_s=0.0,
    )
    done = threading.Event()
    watch = threading.Thread(target=floor.prewarm, args=(done, lambda: ()), daemon=True)
    watch.start()
    assert in_flight.wait(5.0)
    done.set()  # the sessions are open
    started = time.monotonic()
    assert floor.fresh_watched_book(5.0) is reads[0]
    assert time.monotonic() - started < 0.5  # not the round trip in flight
    assert floor.fresh_watched_book(5.0) is None  # once
    release.set()
    watch.join(5.0)
    assert not watch.is_alive()
    assert floor.volatility.moves() == 0  # the second read was dropped, not sampled
    assert floor.watched_book(5.0) is None


def test_a_stale_watched_book_is_not_taken_and_the_watch_goes_on() -> None:
    clock_now = [0.0]

    class Clock:
        def now(self) -> float:
            return clock_now[0]

        def wait(self, stop: threading.Event, seconds: float) -> bool:
            return True  # one read, then the watch ends

    floor = SafetyFloor(
        read_top=lambda: BookTop(0, 0),
        read_book=lambda: _two_sided(3_000_000_000),
        clock=Clock(),
        tick6=10_000,
        latency_prior_s=1.0,
        top_max_age_s=0.0,
    )
    floor.prewarm(threading.Event(), lambda: ())
    clock_now[0] = 3.0
    assert floor.fresh_watched_book(2.5) is None  # began 3 s ago
    clock_now[0] = 2.0
    assert floor.fresh_watched_book(2.5) is not None


def test_on_the_prior_the_floor_only_rises_as_the_latency_estimate_settles() -> None:
    floor = _floor()
    book = _two_sided(3_000_000_000)
    for seconds in (2.0, 2.0, 2.0):
        floor.latency.add(seconds)
    floor.update(book, (), 4.0)
    wide = floor.guard_ticks
    for _ in range(50):
        floor.latency.add(0.05)  # the relay turns out fast
    floor.update(book, (), 4.0)
    assert floor.on_prior and floor.guard_ticks == wide  # no band pulled in while unmeasured


def test_while_the_first_pack_lands_a_settling_latency_does_not_move_the_prior_floor() -> None:
    """The relay slows under the pack itself: re-sizing the prior's floor on that would re-quote the
    whole pack while it lands. Held, it stays; released, it follows the latency again."""
    floor = _floor()
    book = _two_sided(3_000_000_000)
    floor.update(book, (), 4.0)
    planned = floor.floor_ticks
    for _ in range(20):
        floor.latency.add(9.0)  # round trips of 9 s
    floor.update(book, (), 4.0, hold_prior=True)
    assert floor.on_prior and floor.floor_ticks == planned
    floor.update(book, (), 4.0)
    assert floor.on_prior and floor.floor_ticks > planned


def test_while_held_a_market_that_moves_more_than_the_prior_still_widens_the_floor() -> None:
    floor = _floor()
    book = _two_sided(3_000_000_000)
    floor.update(book, (), 4.0)
    planned = floor.floor_ticks
    _walk(floor, 0.0, 150_000_000, 10)  # 5 % moves a second: far beyond the prior's 0.8 %
    floor.update(book, (), 4.0, hold_prior=True)
    assert floor.floor_ticks > planned
