"""plan_wallet: hand-computed plans, then the packer's invariants over wild inputs."""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ama_tui.core.margin import estimate_margin6
from ama_tui.core.market import BookTop, MarketRules, OpenOrder
from ama_tui.core.models import PackerParams
from ama_tui.core.planner import (
    CancelReason,
    PlannedPlacement,
    SkipReason,
    WalletPlan,
    choose_anchor6,
    plan_wallet,
)
from ama_tui.core.pricing import buffer_ticks, distance_band, floor_to_tick, pick_non_crossing_price
from ama_tui.core.units import MAX_PRICE6

TICK = 10_000  # 0.01
SIZE_MIN = 5 * 10**16  # 0.05
SIZE_MAX = 25 * 10**16  # 0.25
BOOK_450 = BookTop(best_bid6=4_490_000, best_ask6=4_510_000)  # mid 4.50
RULES = MarketRules(tick6=TICK, margin_bps=1_000)  # buys reserve 10 %

# wallet 0 at mid 4.50, tick 0.01, distances 10..120 (see test_pricing):
#   level 0: 11 ticks -> buy 4.39 / sell 4.61, size 0.198718767500700588
#   level 1: 39 ticks -> buy 4.11 / sell 4.89, size 0.235778759930705628
SIZE_L0 = 198_718_767_500_700_588
SIZE_L1 = 235_778_759_930_705_628


def plan(
    *,
    open_orders: Sequence[OpenOrder] = (),
    available6: int = 1_000_000_000,
    book: BookTop = BOOK_450,
    rules: MarketRules = RULES,
    params: PackerParams | None = None,
    wallet_index: int = 0,
    size_min18: int | None = SIZE_MIN,
    size_max18: int | None = SIZE_MAX,
    floor_ticks: int = 0,
    **param_fields: Any,
) -> WalletPlan:
    return plan_wallet(
        wallet_index=wallet_index,
        open_orders=open_orders,
        available6=available6,
        book=book,
        rules=rules,
        params=params or PackerParams.model_validate(param_fields),
        size_min18=size_min18,
        size_max18=size_max18,
        floor_ticks=floor_ticks,
    )


def order(
    order_id: int,
    price6: int,
    *,
    is_buy: bool = True,
    timestamp: int = 0,
    margin6: int = 0,
    amount18: int = SIZE_MIN,
    is_margin_order: bool = True,
) -> OpenOrder:
    return OpenOrder(
        order_id=order_id,
        trader="0xabc",
        price6=price6,
        amount18=amount18,
        is_buy=is_buy,
        timestamp=timestamp,
        margin_required6=margin6,
        is_margin_order=is_margin_order,
    )


def sides(placements: Sequence[PlannedPlacement]) -> list[tuple[str, int, int]]:
    return [("buy" if p.is_buy else "sell", p.level, p.price6) for p in placements]


# --- hand-computed plans ---------------------------------------------------------------------


def test_full_plan_by_hand() -> None:
    result = plan(ordersPerSidePerWallet=2)
    assert result.cap6 == 200_000_000  # 1000 USDC * 0.20
    assert result.reserved6 == 0
    assert result.anchor6 == 4_500_000
    assert result.cancels == ()
    assert result.skips == ()
    assert result.placements == (
        # 0.198718767500700588 * 4.39 = 0.872375... USDC; 10 % -> 87_237
        PlannedPlacement(is_buy=True, level=0, price6=4_390_000, amount18=SIZE_L0, margin6=87_237),
        # 0.198718767500700588 * 4.61 = 0.916093... USDC; 150 % -> 1_374_139
        PlannedPlacement(is_buy=False, level=0, price6=4_610_000, amount18=SIZE_L0, margin6=1_374_139),
        # 0.235778759930705628 * 4.11 = 0.969050... -> 96_905
        PlannedPlacement(is_buy=True, level=1, price6=4_110_000, amount18=SIZE_L1, margin6=96_905),
        # 0.235778759930705628 * 4.89 = 1.152958... -> 1_729_437
        PlannedPlacement(is_buy=False, level=1, price6=4_890_000, amount18=SIZE_L1, margin6=1_729_437),
    )
    assert result.remaining6_before == 200_000_000
    assert result.remaining6_after == 200_000_000 - (87_237 + 1_374_139 + 96_905 + 1_729_437)
    assert result.planned_margin6 == 3_287_718


def test_tight_cap_scales_down_then_skips_below_min_size() -> None:
    # 7.5 USDC at 20 % -> cap 1.5 USDC. buy0 and sell0 fit (87_237 + 1_374_139), leaving 38_624.
    result = plan(available6=7_500_000, ordersPerSidePerWallet=2)
    assert result.cap6 == 1_500_000
    buy0, sell0, buy1 = result.placements
    assert (buy0.margin6, sell0.margin6) == (87_237, 1_374_139)
    # buy1 needs 96_905 > 38_624: amount * 38_624 * 9 // (96_905 * 10)
    assert buy1.amount18 == SIZE_L1 * 38_624 * 9 // (96_905 * 10) == 84_578_163_574_709_424
    assert buy1.margin6 == estimate_margin6(4_110_000, buy1.amount18, True, 1_000) == 34_761
    # sell1 needs 1_729_437 with 3_863 left: scaled to 0.00047... < 0.05
    (skip,) = result.skips
    assert (skip.reason, skip.is_buy, skip.level) == (SkipReason.BELOW_MIN_SIZE, False, 1)
    assert result.remaining6_after == 1_500_000 - 87_237 - 1_374_139 - 34_761 == 3_863


def test_over_cap_after_scaling_is_skipped_and_the_next_order_still_fits() -> None:
    # tick 0.000001, mark 1.000011: buy0 at 11 ticks below = 1.000000, sell0 at 1.000022.
    # size 10**12 + floor(0.7435938 * 10**12) = 1_743_593_837_503 -> notional 1 usdc6.
    # buys reserve 100x (margin_bps 1_000_000): 100 > cap 99; scaled to 1_553_542_109_215 the
    # notional still floors to 1 -> margin 100 > 99 -> OVER_CAP. The sell reserves 150 % of 1 = 1.
    result = plan(
        book=BookTop(best_bid6=0, best_ask6=0, mark6=1_000_011),
        rules=MarketRules(tick6=1, margin_bps=1_000_000),
        available6=495,
        size_min18=10**12,
        size_max18=2 * 10**12,
        ordersPerSidePerWallet=1,
    )
    assert result.cap6 == 99
    (skip,) = result.skips
    assert (skip.reason, skip.is_buy, skip.level) == (SkipReason.OVER_CAP, True, 0)
    (sell,) = result.placements
    assert (sell.is_buy, sell.price6, sell.amount18, sell.margin6) == (False, 1_000_022, 1_743_593_837_503, 1)
    assert result.remaining6_after == 98


def test_reserved_margin_counts_only_margin_orders() -> None:
    held = [
        order(1, 4_300_000, margin6=150_000_000),
        order(2, 4_700_000, is_buy=False, margin6=40_000_000),
        order(3, 4_800_000, is_buy=False, margin6=999_999_999, is_margin_order=False),
    ]
    result = plan(open_orders=held, ordersPerSidePerWallet=2)
    assert result.reserved6 == 190_000_000
    # the cap is 20 % of free + reserved collateral: (1000 + 190) * 0.2 = 238 USDC
    assert result.cap6 == 238_000_000
    assert result.remaining6_before == 48_000_000
    # one buy held -> buy level 1 only; two sells held -> none
    assert sides(result.placements) == [("buy", 1, 4_110_000)]


def test_the_cap_is_a_fraction_of_collateral_not_held_by_positions() -> None:
    # placing orders moves collateral from free to reserved: the cap does not shrink with them
    empty = plan(available6=1_000_000_000)
    held = [order(1, 4_300_000, margin6=100_000_000)]
    packed = plan(open_orders=held, available6=900_000_000)
    assert empty.cap6 == packed.cap6 == 200_000_000


def test_cap_reached_skips_every_level() -> None:
    held = [order(1, 4_300_000, margin6=250_000_000)]
    result = plan(open_orders=held, available6=1_000_000_000, ordersPerSidePerWallet=2)
    assert result.cap6 == 250_000_000  # (1000 + 250) * 0.2: the order exactly fills it
    assert result.cancels == ()
    assert result.remaining6_before == 0
    assert result.placements == ()
    assert [(s.reason, s.is_buy, s.level) for s in result.skips] == [
        (SkipReason.CAP_REACHED, False, 0),
        (SkipReason.CAP_REACHED, True, 1),
        (SkipReason.CAP_REACHED, False, 1),
    ]
    assert result.remaining6_after == 0


def test_over_the_cap_cancels_the_farthest_orders_until_the_rest_fits() -> None:
    # fills locked collateral in a position: free 100 USDC, reserved 60 -> cap (100 + 60) * 0.2 = 32
    held = [
        order(1, 4_390_000, margin6=10_000_000),  # 11 ticks
        order(2, 4_200_000, margin6=10_000_000),  # 30 ticks
        order(3, 4_700_000, is_buy=False, margin6=20_000_000),  # 20 ticks
        order(4, 4_900_000, is_buy=False, margin6=20_000_000),  # 40 ticks
    ]
    result = plan(open_orders=held, available6=100_000_000, ordersPerSidePerWallet=2)
    assert result.cap6 == 32_000_000
    assert [(c.order_id, c.reason) for c in result.cancels] == [
        (4, CancelReason.OVER_CAP),  # 40 ticks: 60 -> 40
        (2, CancelReason.OVER_CAP),  # 30 ticks: 40 -> 30 <= 32
    ]
    kept = sum(o.margin_required6 for o in held) - sum(c.margin_required6 for c in result.cancels)
    assert kept <= result.cap6
    assert result.placements == ()  # the freed margin is used only once the cancels are confirmed


def test_no_collateral_means_cap_reached() -> None:
    for available in (0, -5_000_000):
        result = plan(available6=available, ordersPerSidePerWallet=1)
        assert result.cap6 == 0
        assert result.placements == ()
        assert {s.reason for s in result.skips} == {SkipReason.CAP_REACHED}


def test_placement_order_alternates_and_fills_the_emptier_side_first() -> None:
    held = [order(i, 4_300_000 - i * TICK, timestamp=i) for i in range(4)]  # 4 buys, 0 sells
    result = plan(open_orders=held, ordersPerSidePerWallet=6)
    assert [("buy" if p.is_buy else "sell", p.level) for p in result.placements] == [
        ("sell", 0),
        ("sell", 1),
        ("sell", 2),
        ("sell", 3),
        ("buy", 4),
        ("sell", 4),
        ("buy", 5),
        ("sell", 5),
    ]


def test_a_side_over_its_target_loses_the_out_of_band_then_the_farthest() -> None:
    # 9 buys with target 6: the one 150 ticks out (out of band) goes, then the two farthest inside
    buys = [order(100 + i, 4_400_000 - 10 * i * TICK, timestamp=i) for i in range(8)]
    buys.append(order(199, 3_000_000, timestamp=99))
    sells = [order(200 + i, 4_600_000 + 10 * i * TICK, is_buy=False) for i in range(6)]
    result = plan(open_orders=[*reversed(buys), *sells])
    assert sorted(c.order_id for c in result.cancels) == [106, 107, 199]
    assert {c.reason for c in result.cancels} == {CancelReason.OVER_TARGET}
    assert result.placements == ()  # 6 a side kept: both sides hold the target
    assert result.skips == ()


def test_a_side_at_its_target_inside_the_band_is_left_alone() -> None:
    buys = [order(i, 4_380_000 - i * 10 * TICK, timestamp=i) for i in range(6)]
    sells = [order(10 + i, 4_620_000 + i * 10 * TICK, is_buy=False) for i in range(6)]
    result = plan(open_orders=[*buys, *sells])
    assert result.cancels == () and result.placements == ()


def test_orders_left_outside_the_band_by_a_mid_move_are_replaced() -> None:
    # the orders were placed around 4.50; the mid is now 5.50 (100 ticks up)
    buys = [order(i, 4_380_000 - i * 10 * TICK, timestamp=i) for i in range(2)]  # 112, 122 ticks
    sells = [order(10 + i, 4_620_000 + i * 10 * TICK, is_buy=False) for i in range(2)]  # on the wrong side
    moved = BookTop(best_bid6=5_490_000, best_ask6=5_510_000)
    result = plan(open_orders=[*buys, *sells], book=moved, ordersPerSidePerWallet=2)
    # buy 112 ticks away is inside 10..120 (+5): kept; 122 is inside the tolerance: kept
    assert sorted(c.order_id for c in result.cancels) == [10, 11]
    assert {c.reason for c in result.cancels} == {CancelReason.OUT_OF_BAND}
    assert [p.is_buy for p in result.placements] == [False, False]
    assert all(p.price6 > 5_500_000 for p in result.placements)


def test_band_tolerance_and_the_replace_limit_keep_churn_low() -> None:
    # 3 ticks past the band edge (inside the 5-tick tolerance): kept; 6 ticks past: replaced
    near = order(1, 4_500_000 - 123 * TICK)
    far = order(2, 4_500_000 - 126 * TICK)
    result = plan(open_orders=[near, far], ordersPerSidePerWallet=2)
    assert [c.order_id for c in result.cancels] == [2]
    # with many orders out of band, at most maxReplacePerCycle go per cycle (the farthest first)
    wrong = [order(i, 4_500_000 - (200 + i) * TICK) for i in range(6)]
    limited = plan(open_orders=wrong, maxReplacePerCycle=2)
    assert [c.order_id for c in limited.cancels] == [5, 4]


def test_the_safety_floor_pushes_the_band_out() -> None:
    result = plan(ordersPerSidePerWallet=3, floor_ticks=200)
    assert result.band == (200, 310)  # the band keeps its width (110 ticks) beyond the floor
    for p in result.placements:
        assert abs(p.price6 - result.anchor6) >= 200 * TICK
    # orders near the mid that were fine before are now inside the floor: replaced
    close = plan(open_orders=[order(1, 4_390_000)], ordersPerSidePerWallet=1, floor_ticks=200)
    assert [(c.order_id, c.reason) for c in close.cancels] == [(1, CancelReason.OUT_OF_BAND)]


def test_no_size_without_a_price_skips_every_placement() -> None:
    result = plan(size_min18=None, size_max18=None, ordersPerSidePerWallet=1)
    assert result.placements == ()
    assert [s.reason for s in result.skips] == [SkipReason.NO_SIZE]


def test_cancels_happen_on_a_crossed_book_but_placements_do_not() -> None:
    sells = [order(i, 5_000_000 + i * TICK, is_buy=False, timestamp=10 - i) for i in range(5)]
    crossed = BookTop(best_bid6=4_520_000, best_ask6=4_510_000, mark6=4_500_000)
    result = plan(open_orders=sells, book=crossed, ordersPerSidePerWallet=2)
    # oldest first: timestamps 6 (id 4), 7 (id 3), 8 (id 2)
    assert [c.order_id for c in result.cancels] == [4, 3, 2]
    assert result.placements == ()
    (skip,) = result.skips
    assert skip.reason is SkipReason.CROSSED_BOOK
    assert "2 placements" in skip.message  # buys 0 and 1


def test_locked_book_is_crossed() -> None:
    result = plan(book=BookTop(best_bid6=4_500_000, best_ask6=4_500_000), ordersPerSidePerWallet=1)
    assert result.placements == ()
    assert [s.reason for s in result.skips] == [SkipReason.CROSSED_BOOK]


def test_no_anchor_skips_placements() -> None:
    result = plan(book=BookTop(best_bid6=0, best_ask6=0), ordersPerSidePerWallet=1)
    assert result.anchor6 == 0
    assert result.placements == ()
    assert [s.reason for s in result.skips] == [SkipReason.NO_ANCHOR]


def test_anchor_is_the_mid_then_the_mark_never_the_fresh_markets_placeholder() -> None:
    assert choose_anchor6(BookTop(4_490_000, 4_510_000, mark6=9, last_trade6=8)) == 4_500_000
    assert choose_anchor6(BookTop(4_490_000, 0, mark6=4_600_000, last_trade6=8)) == 4_600_000
    # a market that never traded: mark 0 and the 1.000000 placeholder as its "last trade"
    placeholder = 1_000_000
    assert choose_anchor6(BookTop(1_450_000_000, 0, mark6=0, last_trade6=placeholder)) == 1_450_000_000
    assert choose_anchor6(BookTop(0, 1_460_000_000, mark6=0, last_trade6=placeholder)) == 1_460_000_000
    assert choose_anchor6(BookTop(0, 0, mark6=0, last_trade6=placeholder)) == 0
    assert choose_anchor6(BookTop(0, 0, mark6=0, last_trade6=placeholder), 1_450_000_000) == 1_450_000_000
    # a crossed book on a fresh market: no side to trust
    assert choose_anchor6(BookTop(4_510_000, 4_490_000, mark6=0, last_trade6=4_700_000)) == 0
    assert choose_anchor6(BookTop(0, 0)) == 0


def test_a_one_sided_fresh_market_is_quoted_off_its_side_without_crossing() -> None:
    result = plan(book=BookTop(best_bid6=4_490_000, best_ask6=0), ordersPerSidePerWallet=1)
    assert result.anchor6 == 4_490_000
    buy, sell = result.placements
    assert buy.price6 < 4_490_000 and sell.price6 >= 4_490_000 + buffer_ticks(10) * TICK


def test_an_empty_fresh_market_is_refused_unless_a_reference_price_is_given() -> None:
    fresh = BookTop(best_bid6=0, best_ask6=0, mark6=0, last_trade6=1_000_000)
    refused = plan(book=fresh, ordersPerSidePerWallet=1)
    assert refused.placements == ()
    (skip,) = refused.skips
    assert skip.reason is SkipReason.NO_ANCHOR and "referencePrice" in skip.message
    given = plan(book=fresh, ordersPerSidePerWallet=1, referencePrice="1450")
    assert given.anchor6 == 1_450_000_000
    assert [p.price6 for p in given.placements] == [1_449_890_000, 1_450_110_000]

    # one-sided book anchored on the mark 4.60 with an ask at 4.55: the buy (11 ticks below the
    # mark, 4.49) is under the 4.53 limit; the sell is 11 ticks above the mark. With the ask at
    # 4.50 the buy is held at 4.50 - 2 ticks.
    result = plan(book=BookTop(best_bid6=0, best_ask6=4_550_000, mark6=4_600_000), ordersPerSidePerWallet=1)
    assert result.anchor6 == 4_600_000
    assert sides(result.placements) == [("buy", 0, 4_490_000), ("sell", 0, 4_710_000)]
    tight = plan(book=BookTop(best_bid6=0, best_ask6=4_500_000, mark6=4_600_000), ordersPerSidePerWallet=1)
    assert sides(tight.placements) == [("buy", 0, 4_480_000), ("sell", 0, 4_710_000)]


def test_price_collision_moves_one_tick_further_from_the_anchor() -> None:
    # one buy held exactly where level 1 would go (4.11), one sell where level 1 would go (4.89)
    held = [order(1, 4_110_000, timestamp=1), order(2, 4_890_000, is_buy=False, timestamp=1)]
    result = plan(open_orders=held, ordersPerSidePerWallet=2)
    assert sides(result.placements) == [("buy", 1, 4_100_000), ("sell", 1, 4_880_000 + 2 * TICK)]


def test_collision_walks_past_several_taken_prices() -> None:
    # three buys held -> the next is level 3: 110 ticks below 4.50 = 3.40, but 3.40, 3.39 and 3.38
    # are taken, so it walks down to 3.37
    held = [order(1, 3_400_000), order(2, 3_390_000), order(3, 3_380_000)]
    result = plan(open_orders=held, ordersPerSidePerWallet=4)
    buys = [p for p in result.placements if p.is_buy]
    assert [(p.level, p.price6) for p in buys] == [(3, 3_370_000)]
    # the sells fill levels 0..3 and never land on one another
    sells = [p.price6 for p in result.placements if not p.is_buy]
    assert len(sells) == len(set(sells)) == 4


def test_levels_that_cannot_lie_inside_the_band_are_skipped() -> None:
    # mid 0.05: every buy level would be clamped to 0.01, 4 ticks from the mid, under the band's
    # 10 ticks (less the 5-tick tolerance): no buy at all, rather than one cancelled next cycle
    result = plan(book=BookTop(best_bid6=40_000, best_ask6=60_000), ordersPerSidePerWallet=3)
    assert [p for p in result.placements if p.is_buy] == []
    assert [(s.reason, s.level) for s in result.skips if s.is_buy] == [
        (SkipReason.NO_SAFE_PRICE, 0),
        (SkipReason.NO_SAFE_PRICE, 1),
        (SkipReason.NO_SAFE_PRICE, 2),
    ]


def test_plan_is_deterministic_and_immutable() -> None:
    first = plan()
    assert first == plan()
    with pytest.raises(AttributeError):
        first.cap6 = 0  # type: ignore[misc]
    assert isinstance(first.placements, tuple)


def test_wallets_get_different_prices_and_sizes() -> None:
    a = plan(wallet_index=0, ordersPerSidePerWallet=3)
    b = plan(wallet_index=1, ordersPerSidePerWallet=3)
    assert [p.price6 for p in a.placements] != [p.price6 for p in b.placements]
    assert [p.amount18 for p in a.placements] != [p.amount18 for p in b.placements]


# --- properties over wild inputs -------------------------------------------------------------

# Strategies are built once, here: building them inside a composite draw is what makes
# hypothesis slow, not the planner (a plan takes well under a millisecond).
PRICE = st.integers(min_value=1, max_value=MAX_PRICE6)
TICKS = st.one_of(st.sampled_from([1, 10_000, 1_000_000, 10**9]), st.integers(1, 10**9))
CENTERS = st.one_of(PRICE, st.integers(1, 10**8), st.just(4_500_000))
CENTER_TICKS = st.one_of(st.integers(1, 10**6), st.integers(2_000, 10**6))
CENTER_ON_GRID = st.booleans()
BOOK_KIND = st.sampled_from(["two", "two", "two", "bid", "ask", "empty", "crossed", "locked", "wild"])
BOOK_GAP = st.integers(0, 300)  # ticks from the center
WILD_SIDE = st.one_of(st.just(0), PRICE)
MARKS = st.sampled_from(["none", "center", "wild"])
LAST_TRADES = st.one_of(st.just(0), PRICE)
LOW_DISTANCE = st.one_of(st.integers(1, 200), st.integers(1, 10**6 - 1))
WIDTH = st.one_of(st.integers(1, 300), st.integers(1, 10**6))
UTIL_BPS = st.integers(200, 9_000)
TARGETS = st.one_of(st.integers(1, 8), st.integers(1, 50))
SIZE_MINS = st.one_of(st.integers(1, 10**18), st.just(SIZE_MIN), st.integers(1, 10**20))
SIZE_WIDTHS = st.integers(0, 10**20)
AVAILABLE = st.one_of(st.integers(10**6, 10**16), st.integers(10**9, 10**16), st.integers(-(10**6), 10**13))
TIGHT_CAP = st.booleans()
MARGIN_SCALES = st.sampled_from([0, 10**4, 10**7, 10**10])  # the largest reserved margin per order
MARGIN_BPS = st.one_of(st.integers(0, 20_000), st.just(1_000))
ORDER_FIELDS = st.tuples(
    st.booleans(),  # near the anchor (True) or anywhere (False)
    st.integers(-150, 150),  # ticks from the anchor when near
    PRICE,
    st.integers(1, 10**20),  # amount18
    st.integers(0, 20),  # timestamp: few values, so ties are common
    st.integers(0, 10**10),  # margin_required6, before the example's scale
    st.booleans(),  # is_margin_order
)


@st.composite
def books(draw: st.DrawFn, tick: int) -> BookTop:
    """Empty, one-sided, two-sided, crossed and locked books, near one price or anywhere."""
    # half the time a price a sensible number of ticks up the grid, else anything
    center = draw(CENTER_TICKS) * tick if draw(CENTER_ON_GRID) else draw(CENTERS)
    center = min(center, MAX_PRICE6)
    below = max(0, center - draw(BOOK_GAP) * tick)
    above = center + draw(BOOK_GAP) * tick
    kind = draw(BOOK_KIND)
    bid, ask = {
        "two": (below, above),
        "bid": (below, 0),
        "ask": (0, above),
        "empty": (0, 0),
        "crossed": (above, below),
        "locked": (center, center),
        "wild": (draw(WILD_SIDE), draw(WILD_SIDE)),
    }[kind]
    mark_kind = draw(MARKS)
    mark = 0 if mark_kind == "none" else center if mark_kind == "center" else draw(PRICE)
    return BookTop(best_bid6=bid, best_ask6=ask, mark6=mark, last_trade6=draw(LAST_TRADES))


@st.composite
def packer_params(draw: st.DrawFn) -> PackerParams:
    low = draw(LOW_DISTANCE)
    high = min(10**6, low + draw(WIDTH))
    return PackerParams(
        orders_per_side=draw(TARGETS),
        max_wallet_utilization=Decimal(draw(UTIL_BPS)) / 10_000,
        min_distance_ticks=low,
        max_distance_ticks=high,
        band_tolerance_ticks=draw(st.integers(0, 20)),
        max_replace_per_cycle=draw(st.integers(1, 12)),
    )


@st.composite
def wallet_inputs(draw: st.DrawFn) -> dict[str, Any]:
    tick = draw(TICKS)
    book = draw(books(tick))
    params = draw(packer_params())
    size_min = draw(SIZE_MINS)
    size_max = size_min + draw(SIZE_WIDTHS)
    anchor = choose_anchor6(book) or 4_500_000
    orders: list[OpenOrder] = []
    base_id = draw(st.integers(0, 1_000))
    margin_scale = draw(MARGIN_SCALES)
    for is_buy in (True, False):
        # up to 3x the target (+1) so over-full sides get trimmed; capped to keep examples quick
        most = min(3 * params.orders_per_side + 1, 36)
        count = draw(st.one_of(st.integers(0, min(params.orders_per_side, most)), st.integers(0, most)))
        for _ in range(count):
            is_near, offset, wild, amount, timestamp, margin, is_margin = draw(ORDER_FIELDS)
            near = max(tick, floor_to_tick(anchor + offset * tick, tick))
            orders.append(
                OpenOrder(
                    order_id=base_id + len(orders),
                    trader="0xabc",
                    price6=near if is_near else wild,
                    amount18=amount,
                    is_buy=is_buy,
                    timestamp=timestamp,
                    margin_required6=margin * margin_scale // 10**10,
                    is_margin_order=is_margin,
                )
            )
    random.Random(draw(st.integers(0, 2**32))).shuffle(orders)  # sides interleaved, ids unordered
    utilization_bps = params.utilization_bps
    if draw(TIGHT_CAP):
        # a cap just above what is reserved, within a few orders' margin: scaling and skips
        reserved = sum(o.margin_required6 for o in orders if o.is_margin_order)
        one_order = anchor * size_max // 10**18 * 2 + 1
        extra = draw(st.integers(1, 4 * one_order))
        available = -(-(reserved + extra) * 10_000 // utilization_bps)
    else:
        available = draw(AVAILABLE)
    return {
        "wallet_index": draw(st.integers(0, 500)),
        "open_orders": orders,
        "available6": available,
        "book": book,
        "rules": MarketRules(tick6=tick, margin_bps=draw(MARGIN_BPS)),
        "params": params,
        "size_min18": size_min,
        "size_max18": size_max,
        "floor_ticks": draw(st.one_of(st.just(0), st.integers(0, 400))),
    }


@given(wallet_inputs())
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_plan_invariants(inputs: dict[str, Any]) -> None:
    result = plan_wallet(**inputs)
    book: BookTop = inputs["book"]
    rules: MarketRules = inputs["rules"]
    params: PackerParams = inputs["params"]
    orders: list[OpenOrder] = inputs["open_orders"]
    target = params.orders_per_side
    tick = rules.tick6
    low, high = distance_band(params.min_distance_ticks, params.max_distance_ticks, inputs["floor_ticks"])
    assert result.band == (low, high)
    buffer = max(buffer_ticks(low), inputs["floor_ticks"]) * tick
    tolerance = params.band_tolerance_ticks * tick

    # the cap: a fraction of the collateral positions do not hold (free + reserved by our orders)
    reserved = sum(o.margin_required6 for o in orders if o.is_margin_order)
    assert result.reserved6 == reserved
    assert result.cap6 == max(0, inputs["available6"] + reserved) * params.utilization_bps // 10_000
    assert result.remaining6_before == result.cap6 - result.reserved6
    assert result.anchor6 == choose_anchor6(book)
    sound = result.anchor6 > 0 and not book.is_crossed

    def outside(price6: int, is_buy: bool) -> int:
        distance = result.anchor6 - price6 if is_buy else price6 - result.anchor6
        return max(0, low * tick - tolerance - distance, distance - high * tick - tolerance)

    # every placement is safe and inside the band
    for p in result.placements:
        assert p.price6 % tick == 0
        assert 0 < p.price6 <= MAX_PRICE6
        assert inputs["size_min18"] <= p.amount18 <= inputs["size_max18"]
        assert p.margin6 == estimate_margin6(p.price6, p.amount18, p.is_buy, rules.margin_bps)
        assert 0 <= p.level < target
        assert outside(p.price6, p.is_buy) == 0
        if p.is_buy:
            assert p.price6 < result.anchor6
            if book.best_ask6 > 0:
                assert p.price6 <= book.best_ask6 - buffer
        else:
            assert p.price6 > result.anchor6
            if book.best_bid6 > 0:
                assert p.price6 >= book.best_bid6 + buffer
    if not sound:
        assert result.placements == ()

    # each price is the pricing rule's, or moved one tick at a time away from the anchor past
    # prices already taken on that side (by kept orders or earlier placements)
    cancelled = {c.order_id for c in result.cancels}
    assert len(cancelled) == len(result.cancels)
    kept_orders = [o for o in orders if o.order_id not in cancelled]
    taken: dict[bool, set[int]] = {
        side: {o.price6 for o in kept_orders if o.is_buy == side} for side in (True, False)
    }
    for p in result.placements:
        rule = pick_non_crossing_price(
            mid6=result.anchor6,
            is_buy=p.is_buy,
            wallet_seed=inputs["wallet_index"],
            level=p.level,
            best_bid6=book.best_bid6,
            best_ask6=book.best_ask6,
            tick6=tick,
            min_distance_ticks=low,
            max_distance_ticks=high,
            min_buffer_ticks=inputs["floor_ticks"],
        )
        assert rule is not None
        step = -tick if p.is_buy else tick
        assert all(rule + k * step in taken[p.is_buy] for k in range((p.price6 - rule) // step))
        assert p.price6 not in taken[p.is_buy]
        taken[p.is_buy].add(p.price6)

    # the collateral cap: what is kept fits; new margin only from what was left before the cancels
    assert sum(o.margin_required6 for o in kept_orders if o.is_margin_order) <= result.cap6
    assert result.planned_margin6 <= max(0, result.remaining6_before)
    assert result.remaining6_after == result.remaining6_before - result.planned_margin6
    if any(s.reason is SkipReason.CAP_REACHED for s in result.skips):
        assert result.remaining6_after <= 0

    # placement order: level by level, buy before sell
    keys = [(p.level, not p.is_buy) for p in result.placements]
    assert keys == sorted(keys) and len(keys) == len(set(keys))

    # out-of-band replacements: only orders really outside, at most the limit, and none left
    # outside unless the limit was reached
    drifted = [c for c in result.cancels if c.reason is CancelReason.OUT_OF_BAND]
    assert len(drifted) <= params.max_replace_per_cycle
    for c in drifted:
        assert sound and outside(c.price6, c.is_buy) > 0
    if sound and len(drifted) < params.max_replace_per_cycle:
        assert all(outside(o.price6, o.is_buy) == 0 for o in kept_orders)
    for is_buy in (True, False):
        side = [o for o in orders if o.is_buy == is_buy]
        kept = [o for o in kept_orders if o.is_buy == is_buy]
        placed = [p for p in result.placements if p.is_buy == is_buy]
        over = [c for c in result.cancels if c.is_buy == is_buy and c.reason is CancelReason.OVER_TARGET]
        # a side over its target is trimmed to it at once, and never goes over it
        assert len(over) == max(0, len(side) - target)
        assert len(kept) + len(placed) <= target
        # never two orders at the same price on a side
        prices = [p.price6 for p in placed]
        assert len(prices) == len(set(prices))
        assert not set(prices) & {o.price6 for o in kept}
        # every missing level is either placed or accounted for by a skip
        wanted = set(range(len(kept), target))
        per_level = {s.level for s in result.skips if s.is_buy == is_buy}
        plan_wide = any(s.is_buy is None for s in result.skips)
        assert {p.level for p in placed} | per_level == (set() if plan_wide else wanted)
        assert not {p.level for p in placed} & per_level

    assert plan_wallet(**inputs) == result  # pure: same inputs, same plan


@given(wallet_inputs())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_crossed_book_never_places(inputs: dict[str, Any]) -> None:
    book: BookTop = inputs["book"]
    bid = max(book.best_bid6, book.best_ask6, 2)
    crossed = BookTop(best_bid6=bid, best_ask6=bid - 1 if bid % 2 else bid, mark6=book.mark6)
    result = plan_wallet(**{**inputs, "book": crossed})
    assert result.placements == ()
    assert result.planned_margin6 == 0
    assert result.remaining6_after == result.remaining6_before


def test_a_fresh_markets_placeholder_is_no_traded_price() -> None:
    fresh = BookTop(0, 0, mark6=0, last_trade6=1_000_000)
    assert fresh.traded6 == 0
    assert BookTop(0, 0, mark6=1_450_000_000, last_trade6=1_449_000_000).traded6 == 1_449_000_000
