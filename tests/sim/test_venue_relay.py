"""The relay as the presets shape it: latency, and failures the way production fails."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import CancelOrder, PlaceLimit, RateLimited, VenueError, VenueUnavailable
from ama_tui.venues.sim import PRESETS, SimVenue

from ._venue_support import HENRY, open_session, wallet

ONE = 10**18


def _chaotic_outcomes(venue: SimVenue, trader: str, session: str, count: int) -> list[str]:
    book = venue.market_info(HENRY).order_book
    outcomes = []
    for index in range(count):
        price = 3_000_000 + 10_000 * (index % 50)
        try:
            receipt = venue.submit(book, session, PlaceLimit(trader, price, ONE, True))
            outcomes.append(f"ok:{price}")
            venue.submit(book, session, CancelOrder(trader, receipt.order_id or 0))
        except RateLimited as exc:
            assert exc.retry_after is not None and 0.5 <= exc.retry_after <= 3.0
            outcomes.append("429")
        except VenueUnavailable as exc:
            outcomes.append(f"5xx:{exc.code}")
    return outcomes


def _chaotic_venue(seed: int = 5) -> tuple[SimVenue, list[tuple[str, str]]]:
    venue = SimVenue(seed, "CHAOTIC", "virtual", participants=False)
    pairs = []
    for index in range(2):
        address, key = wallet(index)
        for _ in range(20):
            try:
                session = open_session(venue, address, key, symbol=HENRY)
                break
            except VenueError:
                continue
        pairs.append((address, session))
    return venue, pairs


def test_chaotic_failures_look_like_production() -> None:
    venue, [(trader, session), _] = _chaotic_venue()
    outcomes = _chaotic_outcomes(venue, trader, session, 150)
    kinds = Counter(outcome.split(":")[0] for outcome in outcomes)
    assert kinds["429"] > 0 and kinds["5xx"] > 0 and kinds["ok"] > 0
    codes = {outcome for outcome in outcomes if outcome.startswith("5xx")}
    assert f"5xx:{ErrorCode.REPLACEMENT_FEE_TOO_LOW}" in codes and f"5xx:{ErrorCode.UNAVAILABLE}" in codes
    audit = venue.audit()
    assert audit.relay_failures >= kinds["429"] + kinds["5xx"]
    assert audit.landed_failures > 0
    assert audit.relay_latency_s > 0, "latency is recorded on the virtual clock"


def test_some_failed_submissions_landed() -> None:
    """A 5xx can come back after the trade landed: the order is on the book although submit raised."""
    venue, [(trader, session), _] = _chaotic_venue()
    book = venue.market_info(HENRY).order_book
    landed = 0
    for index in range(200):
        before = {order.order_id for order in venue.open_orders(book, [trader])[trader]}
        try:
            venue.submit(
                book, session, PlaceLimit(trader, 3_000_000 + 10_000 * (index % 90), ONE // 10, True)
            )
        except VenueUnavailable:
            after = {order.order_id for order in venue.open_orders(book, [trader])[trader]}
            landed += len(after - before)
        except RateLimited:
            pass
    assert landed == venue.audit().landed_failures > 0


def test_draws_do_not_depend_on_the_interleaving_of_traders() -> None:
    """Each trader's outcomes depend on the seed and its own calls only, not on other threads."""
    venue_a, [(alice, sa), (bob, _)] = _chaotic_venue(seed=11)
    alone = _chaotic_outcomes(venue_a, alice, sa, 60)

    venue_b, [(alice_b, sa_b), (bob_b, sb_b)] = _chaotic_venue(seed=11)
    assert (alice_b, bob_b) == (alice, bob)
    _chaotic_outcomes(venue_b, bob_b, sb_b, 37)  # bob's calls first
    with ThreadPoolExecutor(max_workers=2) as pool:
        theirs = pool.submit(_chaotic_outcomes, venue_b, bob_b, sb_b, 60)
        ours = pool.submit(_chaotic_outcomes, venue_b, alice_b, sa_b, 60)
        together = ours.result()
        theirs.result()
    assert [o.split(":")[0] + (o.split(":")[1] if o.startswith("5xx") else "") for o in together] == [
        o.split(":")[0] + (o.split(":")[1] if o.startswith("5xx") else "") for o in alone
    ]


def test_perfect_execution_never_fails() -> None:
    venue = SimVenue(5, "PERFECT_EXECUTION", "virtual", participants=False)
    address, key = wallet(0)
    session = open_session(venue, address, key, symbol=HENRY)
    outcomes = _chaotic_outcomes(venue, address, session, 100)
    assert all(outcome.startswith("ok") for outcome in outcomes)
    assert venue.audit().relay_latency_s == 0


def test_preset_table() -> None:
    assert set(PRESETS) == {"PERFECT_EXECUTION", "REALISTIC", "CHAOTIC", "GRADUAL_FILLS", "NO_FILLS"}
    assert PRESETS["NO_FILLS"].taker_rate == 0
    assert (
        PRESETS["PERFECT_EXECUTION"].failure_rate == 0 and PRESETS["PERFECT_EXECUTION"].relay_latency_s == 0
    )
    assert PRESETS["CHAOTIC"].failure_rate == 0.2 and PRESETS["REALISTIC"].failure_rate == 0.02
    with pytest.raises(ValueError, match="unknown sim preset"):
        SimVenue(1, "FAST", "virtual")


def test_wall_clock_sleeps_outside_the_lock() -> None:
    """On the wall clock a submission sleeps its latency, and other callers are not blocked by it."""
    venue = SimVenue(9, "GRADUAL_FILLS", "wall", participants=False)
    address, key = wallet(0)
    for _ in range(20):
        try:
            session = open_session(venue, address, key, symbol=HENRY)
            break
        except VenueError:
            continue
    book = venue.market_info(HENRY).order_book
    done = threading.Event()
    read_times: list[float] = []

    def submit() -> None:
        with contextlib.suppress(VenueError):
            venue.submit(book, session, PlaceLimit(address, 4_000_000, ONE, True))
        done.set()

    started = time.monotonic()
    worker = threading.Thread(target=submit)
    worker.start()
    while not done.is_set():
        t0 = time.monotonic()
        venue.book(book, 1)
        read_times.append(time.monotonic() - t0)
        time.sleep(0.01)
    worker.join()
    assert time.monotonic() - started >= 0.2, "latency 0.25..0.75 s is slept"
    assert max(read_times) < 0.2, "reads do not wait for a sleeping submission"
