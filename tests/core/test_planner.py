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
    PlannedPlacement,
    SkipReason,
    WalletPlan,
    choose_anchor6,
    plan_wallet,
)
from ama_tui.core.pricing import buffer_ticks, floor_to_tick, pick_non_crossing_price
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
    size_min18: int = SIZE_MIN,
    size_max18: int = SIZE_MAX,
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
    assert result.remaining6_before == 10_000_000
    # one buy held -> buy level 1 only; two sells held -> none
    assert sides(result.placements) == [("buy", 1, 4_110_000)]


def test_cap_reached_skips_every_level() -> None:
    held = [order(1, 4_300_000, margin6=250_000_000)]
    result = plan(open_orders=held, ordersPerSidePerWallet=2)
    assert result.remaining6_before == -50_000_000
    assert result.placements == ()
    assert [(s.reason, s.is_buy, s.level) for s in result.skips] == [
        (SkipReason.CAP_REACHED, False, 0),
        (SkipReason.CAP_REACHED, True, 1),
        (SkipReason.CAP_REACHED, False, 1),
    ]
    assert result.remaining6_after == -50_000_000


def test_no_collateral_means_cap_reached() -> None:
    for available in (0, -5_000_000):
        result = plan(available6=available, ordersPerSidePerWallet=1)
        assert result.cap6 == 0
        assert result.placements == ()
        assert {s.reason for s in result.skips} == {SkipReason.CAP_REACHED}


def test_placement_order_alternates_and_fills_the_emptier_side_first() -> None:
    held = [order(i, 3_000_000 - i * TICK, timestamp=i) for i in range(4)]  # 4 buys, 0 sells
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


def test_cancels_oldest_when_a_side_holds_more_than_twice_the_target() -> None:
    # 13 buys with target 6 (> 12): the 7 oldest go; timestamp ties broken by order id
    buys = [order(100 + i, 4_000_000 - i * TICK, timestamp=i // 2) for i in range(13)]
    sells = [order(200 + i, 5_000_000 + i * TICK, is_buy=False, timestamp=0) for i in range(12)]
    result = plan(open_orders=[*reversed(buys), *sells])
    assert [c.order_id for c in result.cancels] == [100, 101, 102, 103, 104, 105, 106]
    assert all(c.is_buy for c in result.cancels)
    assert result.placements == ()  # 6 buys kept, 12 sells: both sides hold the target
    assert result.skips == ()


def test_exactly_twice_the_target_is_left_alone() -> None:
    buys = [order(i, 4_000_000 - i * TICK, timestamp=i) for i in range(12)]
    assert plan(open_orders=buys).cancels == ()


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
    result = plan(book=BookTop(best_bid6=4_490_000, best_ask6=0), ordersPerSidePerWallet=1)
    assert result.anchor6 == 0
    assert result.placements == ()
    assert [s.reason for s in result.skips] == [SkipReason.NO_ANCHOR]


def test_anchor_falls_back_to_mark_then_last_trade() -> None:
    assert choose_anchor6(BookTop(4_490_000, 4_510_000, mark6=9, last_trade6=8)) == 4_500_000
    assert choose_anchor6(BookTop(4_490_000, 0, mark6=4_600_000, last_trade6=8)) == 4_600_000
    assert choose_anchor6(BookTop(0, 0, mark6=0, last_trade6=4_700_000)) == 4_700_000
    assert choose_anchor6(BookTop(4_510_000, 4_490_000, mark6=0, last_trade6=4_700_000)) == 4_700_000
    assert choose_anchor6(BookTop(0, 0)) == 0

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


def test_deep_levels_collide_at_the_lowest_price_and_are_skipped() -> None:
    # mid 0.05: every buy level is clamped to 0.01, so only the first gets it
    result = plan(book=BookTop(best_bid6=40_000, best_ask6=60_000), ordersPerSidePerWallet=3)
    buys = [p for p in result.placements if p.is_buy]
    assert [(p.level, p.price6) for p in buys] == [(0, 10_000)]
    assert [(s.reason, s.level) for s in result.skips if s.is_buy] == [
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
    buffer = buffer_ticks(params.min_distance_ticks) * tick

    # the cap and the margin already reserved
    assert result.cap6 == max(0, inputs["available6"]) * params.utilization_bps // 10_000
    assert result.reserved6 == sum(o.margin_required6 for o in orders if o.is_margin_order)
    assert result.remaining6_before == result.cap6 - result.reserved6
    assert result.anchor6 == choose_anchor6(book)

    # every placement is safe
    for p in result.placements:
        assert p.price6 % tick == 0
        assert 0 < p.price6 <= MAX_PRICE6
        assert inputs["size_min18"] <= p.amount18 <= inputs["size_max18"]
        assert p.margin6 == estimate_margin6(p.price6, p.amount18, p.is_buy, rules.margin_bps)
        assert 0 <= p.level < target
        if p.is_buy:
            assert p.price6 < result.anchor6
            if book.best_ask6 > 0:
                assert p.price6 <= book.best_ask6 - buffer
        else:
            assert p.price6 > result.anchor6
            if book.best_bid6 > 0:
                assert p.price6 >= book.best_bid6 + buffer
    if book.is_crossed or result.anchor6 == 0:
        assert result.placements == ()

    # each price is the pricing rule's, or moved one tick at a time away from the anchor past
    # prices already taken on that side (by kept orders or earlier placements)
    kept_prices = {o.price6 for o in orders if o.order_id not in {c.order_id for c in result.cancels}}
    taken: dict[bool, set[int]] = {
        side: {o.price6 for o in orders if o.is_buy == side} & kept_prices for side in (True, False)
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
            min_distance_ticks=params.min_distance_ticks,
            max_distance_ticks=params.max_distance_ticks,
        )
        assert rule is not None
        step = -tick if p.is_buy else tick
        assert all(rule + k * step in taken[p.is_buy] for k in range((p.price6 - rule) // step))
        assert p.price6 not in taken[p.is_buy]
        taken[p.is_buy].add(p.price6)

    # the collateral cap
    assert result.planned_margin6 <= max(0, result.remaining6_before)
    assert result.remaining6_after == result.remaining6_before - result.planned_margin6
    if any(s.reason is SkipReason.CAP_REACHED for s in result.skips):
        assert result.remaining6_after <= 0

    # placement order: level by level, buy before sell
    keys = [(p.level, not p.is_buy) for p in result.placements]
    assert keys == sorted(keys) and len(keys) == len(set(keys))

    cancelled = {c.order_id for c in result.cancels}
    assert len(cancelled) == len(result.cancels)
    for is_buy in (True, False):
        side = [o for o in orders if o.is_buy == is_buy]
        gone = [o for o in side if o.order_id in cancelled]
        kept = [o for o in side if o.order_id not in cancelled]
        placed = [p for p in result.placements if p.is_buy == is_buy]
        # trimming: only an over-full side, back to the target, oldest first
        if len(side) > 2 * target:
            assert len(kept) == target
            assert max((o.timestamp, o.order_id) for o in gone) < min((o.timestamp, o.order_id) for o in kept)
        else:
            assert gone == []
        assert len(kept) + len(placed) <= 2 * target
        assert len(kept) + len(placed) <= max(target, len(side))
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
