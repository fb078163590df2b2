"""The spread rule: hand-computed examples, then properties over wild books and ticks."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from ama_tui.core.pricing import (
    buffer_ticks,
    ceil_to_tick,
    distance_ticks,
    floor_to_tick,
    jitter,
    max_price6_on_grid,
    pick_non_crossing_price,
    size_for_level,
    wobble,
)
from ama_tui.core.units import MAX_PRICE6

TICK = 10_000  # 0.01


def price(
    *,
    mid6: int,
    is_buy: bool,
    best_bid6: int = 0,
    best_ask6: int = 0,
    tick6: int = TICK,
    wallet_seed: int = 0,
    level: int = 0,
    min_distance_ticks: int = 10,
    max_distance_ticks: int = 120,
) -> int | None:
    return pick_non_crossing_price(
        mid6=mid6,
        is_buy=is_buy,
        wallet_seed=wallet_seed,
        level=level,
        best_bid6=best_bid6,
        best_ask6=best_ask6,
        tick6=tick6,
        min_distance_ticks=min_distance_ticks,
        max_distance_ticks=max_distance_ticks,
    )


# --- the pieces ------------------------------------------------------------------------------


def test_wobble_and_distance_by_hand() -> None:
    # wallet 0, level 0: sin(1*999 + 1*1337) = sin(2336) = -0.97460141471...
    assert wobble(0, 0) == pytest.approx((-0.9746014147126847 + 1) / 2, abs=1e-12)
    # span 120 - 10 = 110; floor(0.0126993 * 110) = floor(1.397) = 1 -> 11 ticks
    assert distance_ticks(0, 0, 10, 120) == 11
    # wallet 0, level 1: sin(999 + 2674) = sin(3673) = -0.46017...; floor(0.26991 * 110) = 29 -> 39
    assert distance_ticks(0, 1, 10, 120) == 39
    # wallet 2, level 0: wobble 0.0074580 -> floor(0.82) = 0 -> exactly the minimum
    assert distance_ticks(2, 0, 10, 120) == 10
    # wallet 0, level 3: wobble 0.91604 -> floor(100.76) = 100 -> 110
    assert distance_ticks(0, 3, 10, 120) == 110
    # a degenerate range still spans one tick: max(1, 10 - 10) = 1
    assert distance_ticks(0, 3, 10, 10) == 10 + math.floor(wobble(0, 3) * 1)


@given(st.integers(0, 100_000), st.integers(0, 1_000), st.integers(1, 10**6), st.integers(1, 10**6))
@settings(max_examples=300)
def test_distance_stays_in_range(seed: int, level: int, low: int, width: int) -> None:
    assert 0.0 <= wobble(seed, level) <= 1.0
    assert 0.0 <= jitter(seed, level) <= 1.0
    assert low <= distance_ticks(seed, level, low, low + width) <= low + width


def test_buffer_ticks() -> None:
    assert buffer_ticks(1) == 2
    assert buffer_ticks(10) == 2
    assert buffer_ticks(12) == 3
    assert buffer_ticks(40) == 10
    assert buffer_ticks(1_000_000) == 250_000


def test_tick_rounding_helpers() -> None:
    assert floor_to_tick(4_395_000, TICK) == 4_390_000
    assert ceil_to_tick(4_395_000, TICK) == 4_400_000
    assert floor_to_tick(4_390_000, TICK) == ceil_to_tick(4_390_000, TICK) == 4_390_000
    assert floor_to_tick(-5, TICK) == -TICK
    assert ceil_to_tick(-5, TICK) == 0
    assert max_price6_on_grid(10**9) == MAX_PRICE6
    assert max_price6_on_grid(3 * 10**8) == 999_999_999_900_000_000
    assert max_price6_on_grid(10**18 + 1) == 0


# --- prices by hand --------------------------------------------------------------------------


def test_two_sided_book_mid_450() -> None:
    # bid 4.49 / ask 4.51, mid 4.50, wallet 0 level 0: 11 ticks -> 4.39 and 4.61
    book = {"best_bid6": 4_490_000, "best_ask6": 4_510_000}
    assert price(mid6=4_500_000, is_buy=True, **book) == 4_390_000
    assert price(mid6=4_500_000, is_buy=False, **book) == 4_610_000
    # level 1: 39 ticks -> 4.11 and 4.89
    assert price(mid6=4_500_000, is_buy=True, level=1, **book) == 4_110_000
    assert price(mid6=4_500_000, is_buy=False, level=1, **book) == 4_890_000


def test_off_grid_mid_rounds_away_from_the_mid() -> None:
    # mid 4.505 (between 4.50 and 4.51); 11 ticks = 0.11
    # buy: 4.395 rounds DOWN to 4.39 (11.5 ticks away); sell: 4.615 rounds UP to 4.62
    book = {"best_bid6": 4_500_000, "best_ask6": 4_510_000}
    assert price(mid6=4_505_000, is_buy=True, **book) == 4_390_000
    assert price(mid6=4_505_000, is_buy=False, **book) == 4_620_000


def test_buffer_holds_a_buy_off_the_ask_and_a_sell_off_the_bid() -> None:
    # anchored on a mark of 5.00 with only an ask at 4.00: the buy (4.89) is held at 4.00 - 2 ticks
    assert price(mid6=5_000_000, is_buy=True, best_ask6=4_000_000) == 3_980_000
    # anchored on a mark of 4.00 with only a bid at 5.00: the sell (4.11) is held at 5.00 + 2 ticks
    assert price(mid6=4_000_000, is_buy=False, best_bid6=5_000_000) == 5_020_000
    # min distance 40 -> buffer 10 ticks: the buy is held at 4.00 - 0.10
    assert price(mid6=5_000_000, is_buy=True, best_ask6=4_000_000, min_distance_ticks=40) == 3_900_000


def test_buffer_limits_stay_on_the_grid_with_off_grid_book_prices() -> None:
    # ask 4.512345 (bad data, off the grid): 4.492345 -> floored to 4.49
    assert price(mid6=5_000_000, is_buy=True, best_ask6=4_512_345) == 4_490_000
    # bid 5.003 (off the grid): 5.023 -> ceiled to 5.03
    assert price(mid6=4_000_000, is_buy=False, best_bid6=5_003_000) == 5_030_000


def test_deep_buy_clamps_to_one_tick() -> None:
    # mid 0.05, 11 ticks down would be -0.06: the buy is clamped to the lowest price, 0.01
    assert price(mid6=50_000, is_buy=True) == 10_000
    # ... still allowed under an ask at 0.03 (0.01 <= 0.03 - 2 ticks)
    assert price(mid6=50_000, is_buy=True, best_ask6=30_000) == 10_000
    # ... but not under an ask at 0.02: no price is 2 ticks below it
    assert price(mid6=50_000, is_buy=True, best_ask6=20_000) is None
    # a mid at or below one tick leaves no buy strictly below it
    assert price(mid6=10_000, is_buy=True) is None
    assert price(mid6=5_000, is_buy=True) is None


def test_high_sell_clamps_to_the_max_price_on_the_grid() -> None:
    tick = 3 * 10**8  # 300 per tick; 10**18 is not a multiple
    highest = max_price6_on_grid(tick)
    mid = highest - 5 * tick
    assert price(mid6=mid, is_buy=False, tick6=tick) == highest
    assert price(mid6=mid, is_buy=True, tick6=tick) == mid - 11 * tick
    # a mid at the top leaves no sell strictly above it
    assert price(mid6=highest, is_buy=False, tick6=tick) is None
    # a mid above the range: the buy is clamped down to the top, still below the mid
    assert price(mid6=MAX_PRICE6 + 10**12, is_buy=True, tick6=tick) == highest
    assert price(mid6=MAX_PRICE6 + 10**12, is_buy=False, tick6=tick) is None


@pytest.mark.parametrize("is_buy", [True, False])
@pytest.mark.parametrize(
    ("bid", "ask"),
    [(4_510_000, 4_500_000), (4_500_000, 4_500_000), (10**18, 1)],
)
def test_crossed_or_locked_book_gives_no_price(is_buy: bool, bid: int, ask: int) -> None:
    assert price(mid6=4_500_000, is_buy=is_buy, best_bid6=bid, best_ask6=ask) is None


@pytest.mark.parametrize("is_buy", [True, False])
@pytest.mark.parametrize(
    "kwargs",
    [
        {"mid6": 0},
        {"mid6": -4_500_000},
        {"mid6": 4_500_000, "tick6": 0},
        {"mid6": 4_500_000, "tick6": -10_000},
        {"mid6": 4_500_000, "tick6": MAX_PRICE6 + 1},
        {"mid6": 4_500_000, "best_bid6": -1},
        {"mid6": 4_500_000, "best_ask6": -1},
    ],
)
def test_bad_inputs_give_no_price(is_buy: bool, kwargs: dict[str, int]) -> None:
    assert price(is_buy=is_buy, **kwargs) is None


def test_empty_book_and_one_sided_books_still_quote() -> None:
    assert price(mid6=4_500_000, is_buy=True) == 4_390_000
    assert price(mid6=4_500_000, is_buy=False) == 4_610_000
    assert price(mid6=4_500_000, is_buy=True, best_bid6=4_490_000) == 4_390_000
    assert price(mid6=4_500_000, is_buy=False, best_ask6=4_510_000) == 4_610_000


def test_a_tight_book_pushes_the_sell_out_but_never_crosses() -> None:
    # bid 4.60 / ask 4.61, mid 4.605, min distance 10: buy 4.605-0.11=4.495 -> 4.49; sell 4.715 -> 4.72
    book = {"best_bid6": 4_600_000, "best_ask6": 4_610_000}
    assert price(mid6=4_605_000, is_buy=True, **book) == 4_490_000
    assert price(mid6=4_605_000, is_buy=False, **book) == 4_720_000


# --- sizes -----------------------------------------------------------------------------------


def test_size_by_hand() -> None:
    size_min, size_max = 5 * 10**16, 25 * 10**16  # 0.05 .. 0.25
    # wallet 0, level 0: cos(123 + 77) = cos(200) = 0.48718767500700...; jitter 0.74359383750350
    # 0.05 + floor(0.7435938375035029 * 0.2) -> 0.198718767500700588 (the float's exact value)
    size = size_for_level(0, 0, size_min, size_max)
    assert size == 198_718_767_500_700_588
    assert (
        abs(Decimal(size) - (Decimal("0.05") + Decimal("0.7435938375035029") * Decimal("0.2")) * 10**18) < 100
    )
    # wallet 0, level 1: cos(123 + 154) = cos(277) = 0.85778759930705...
    assert size_for_level(0, 1, size_min, size_max) == 235_778_759_930_705_628
    # a fixed size is that size
    assert size_for_level(7, 3, size_min, size_min) == size_min


def test_size_is_exact_for_huge_ranges() -> None:
    # float * huge int would be off by many units; the exact ratio is not
    size_min, size_max = 1, 10**40
    size = size_for_level(0, 0, size_min, size_max)
    numerator, denominator = jitter(0, 0).as_integer_ratio()
    assert size == 1 + (10**40 - 1) * numerator // denominator
    assert size != 1 + int(jitter(0, 0) * (10**40 - 1))


@pytest.mark.parametrize(("low", "high"), [(0, 10), (-1, 10), (10, 9)])
def test_size_rejects_bad_ranges(low: int, high: int) -> None:
    with pytest.raises(ValueError):
        size_for_level(0, 0, low, high)


@given(
    st.integers(0, 10_000),
    st.integers(0, 200),
    st.integers(1, 10**30),
    st.integers(0, 10**30),
)
@settings(max_examples=400)
def test_size_always_within_bounds(wallet: int, level: int, low: int, width: int) -> None:
    size = size_for_level(wallet, level, low, low + width)
    assert low <= size <= low + width
    assert size == size_for_level(wallet, level, low, low + width)  # deterministic


def test_sizes_spread_across_the_range() -> None:
    sizes = {size_for_level(w, level, 10**17, 10**18) for w in range(10) for level in range(10)}
    assert len(sizes) == 100
    assert min(sizes) < 2 * 10**17 and max(sizes) > 9 * 10**17


# --- properties over wild inputs -------------------------------------------------------------

PRICE = st.integers(min_value=1, max_value=MAX_PRICE6)
SMALL_PRICE = st.integers(min_value=1, max_value=10**9)
SIDE = st.one_of(st.just(0), PRICE, SMALL_PRICE)
TICKS = st.one_of(st.sampled_from([1, 10, 10_000, 1_000_000, 10**9]), st.integers(1, 10**9))


@st.composite
def distances(draw: st.DrawFn) -> tuple[int, int]:
    low = draw(st.integers(1, 10**6 - 1))
    high = draw(st.integers(low + 1, 10**6))
    return low, high


@given(
    mid=st.one_of(PRICE, SMALL_PRICE),
    is_buy=st.booleans(),
    bid=SIDE,
    ask=SIDE,
    tick=TICKS,
    seed=st.integers(0, 10_000),
    level=st.integers(0, 60),
    dist=distances(),
)
@settings(max_examples=500)
@example(mid=4_500_000, is_buy=True, bid=4_490_000, ask=4_510_000, tick=TICK, seed=0, level=0, dist=(10, 120))
@example(
    mid=4_500_000, is_buy=False, bid=4_500_000, ask=4_500_000, tick=TICK, seed=0, level=0, dist=(10, 120)
)
def test_price_is_safe(
    mid: int, is_buy: bool, bid: int, ask: int, tick: int, seed: int, level: int, dist: tuple[int, int]
) -> None:
    low, high = dist
    result = price(
        mid6=mid,
        is_buy=is_buy,
        best_bid6=bid,
        best_ask6=ask,
        tick6=tick,
        wallet_seed=seed,
        level=level,
        min_distance_ticks=low,
        max_distance_ticks=high,
    )
    if bid > 0 and ask > 0 and bid >= ask:
        assert result is None
        return
    if result is None:
        return
    buffer = buffer_ticks(low) * tick
    distance = distance_ticks(seed, level, low, high) * tick
    assert result % tick == 0
    assert 0 < result <= MAX_PRICE6
    if is_buy:
        assert result < mid
        if ask > 0:
            assert result <= ask - buffer < ask
        # never closer to the mid than the distance, unless clamped up to the lowest price
        assert (
            result <= mid - distance
            or result == tick
            or (ask > 0 and result == floor_to_tick(ask - buffer, tick))
        )
    else:
        assert result > mid
        if bid > 0:
            assert result >= bid + buffer > bid
        assert result >= mid + distance or result == max_price6_on_grid(tick)


@given(mid=st.one_of(PRICE, SMALL_PRICE), tick=TICKS, seed=st.integers(0, 10_000), level=st.integers(0, 60))
@settings(max_examples=300)
def test_empty_book_quotes_whenever_the_grid_allows(mid: int, tick: int, seed: int, level: int) -> None:
    """With no book to avoid, the only reason for None is that no grid price lies on that side."""
    buy = price(mid6=mid, is_buy=True, tick6=tick, wallet_seed=seed, level=level)
    sell = price(mid6=mid, is_buy=False, tick6=tick, wallet_seed=seed, level=level)
    assert (buy is None) == (tick >= mid)
    assert (sell is None) == (max_price6_on_grid(tick) <= mid)
    if buy is not None and sell is not None:
        assert buy < mid < sell


@given(
    bid=PRICE,
    gap_ticks=st.integers(1, 1_000),
    tick=st.sampled_from([1, 10_000, 1_000_000]),
    seed=st.integers(0, 100),
    level=st.integers(0, 20),
)
@settings(max_examples=300)
def test_two_sided_book_buys_stay_under_the_ask_and_sells_over_the_bid(
    bid: int, gap_ticks: int, tick: int, seed: int, level: int
) -> None:
    bid = floor_to_tick(bid, tick)
    assume(bid > 0)
    ask = bid + gap_ticks * tick
    assume(ask <= MAX_PRICE6)
    mid = (bid + ask) // 2
    buy = price(
        mid6=mid, is_buy=True, best_bid6=bid, best_ask6=ask, tick6=tick, wallet_seed=seed, level=level
    )
    sell = price(
        mid6=mid, is_buy=False, best_bid6=bid, best_ask6=ask, tick6=tick, wallet_seed=seed, level=level
    )
    if buy is not None:
        assert buy <= ask - 2 * tick
    if sell is not None:
        assert sell >= bid + 2 * tick
    # 11+ ticks from the mid: with a wide-enough grid below, a buy always exists
    if bid > 200 * tick:
        assert buy is not None
        assert buy <= mid - 10 * tick


def test_safety_floor_covers_the_move_over_one_round_trip() -> None:
    from ama_tui.core.pricing import safety_floor_ticks

    # sigma 0.30 USDC per sqrt(s), latency 1 s, 4 sigmas, tick 0.01: 1.20 USDC = 120 ticks
    assert safety_floor_ticks(300_000.0, 1.0, 4.0, 10_000) == 120
    # four times the latency doubles it; rounded up to the next tick
    assert safety_floor_ticks(300_000.0, 4.0, 4.0, 10_000) == 240
    assert safety_floor_ticks(300_001.0, 1.0, 4.0, 10_000) == 121
    # unknown or still markets, no latency or k = 0: no floor
    for sigma, latency, k in ((None, 1.0, 4.0), (0.0, 1.0, 4.0), (1e5, 0.0, 4.0), (1e5, 1.0, 0.0)):
        assert safety_floor_ticks(sigma, latency, k, 10_000) == 0


def test_distance_band_moves_out_as_a_whole_past_the_floor() -> None:
    from ama_tui.core.pricing import distance_band

    assert distance_band(10, 120, 0) == (10, 120)
    assert distance_band(10, 120, 10) == (10, 120)
    assert distance_band(10, 120, 50) == (50, 160)
    assert distance_band(10, 11, 500) == (500, 501)
