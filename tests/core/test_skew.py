"""Inventory skew: how a position bends one wallet's quotes, and that a skewed plan keeps every
promise of an unskewed one (no crossing, the side targets, the cap)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ama_tui.core.margin import estimate_margin6
from ama_tui.core.models import PackerParams
from ama_tui.core.planner import CancelReason, plan_wallet
from ama_tui.core.skew import BPS, MAX_SIZE_SKEW_BPS, Skew, inventory_skew
from tests.core.test_planner import BOOK_450, RULES, SIZE_MAX, SIZE_MIN, order, wallet_inputs

UNIT = 10**18


def _skew(position18: int, *, target18: int = 0, max18: int = 0) -> Skew:
    return inventory_skew(
        position18=position18,
        target18=target18,
        max_position18=max18,
        tick6=10_000,
        ticks_per_unit=20,
        max_shift_ticks=60,
        size_skew_bps=2_000,
    )


def test_a_long_wallet_quotes_lower_buys_less_and_sells_more() -> None:
    skew = _skew(UNIT // 2)  # half a unit long: 10 ticks down, sizes tilted 10 %
    assert skew == Skew(shift6=-100_000, buy_scale_bps=9_000, sell_scale_bps=11_000)
    assert _skew(-UNIT // 2) == Skew(shift6=100_000, buy_scale_bps=11_000, sell_scale_bps=9_000)
    assert _skew(0) == Skew()
    assert _skew(UNIT, target18=UNIT) == Skew(), "at its target a wallet quotes as the packer"


def test_the_shift_and_the_tilt_are_capped() -> None:
    far = _skew(100 * UNIT)
    assert far.shift6 == -60 * 10_000
    assert far.buy_scale_bps == BPS - MAX_SIZE_SKEW_BPS


def test_at_the_maximum_position_the_side_that_adds_to_it_stops() -> None:
    assert not _skew(2 * UNIT, max18=2 * UNIT).buys_allowed
    assert _skew(2 * UNIT, max18=2 * UNIT).sells_allowed
    assert not _skew(-2 * UNIT, max18=2 * UNIT).sells_allowed
    assert _skew(UNIT, max18=2 * UNIT).buys_allowed


def _plan(skew: Skew | None, **kwargs: Any) -> Any:
    return plan_wallet(
        wallet_index=0,
        available6=1_000_000_000,
        book=BOOK_450,
        rules=RULES,
        params=PackerParams.model_validate({"ordersPerSidePerWallet": 2}),
        size_min18=SIZE_MIN,
        size_max18=SIZE_MAX,
        skew=skew,
        **{"open_orders": (), **kwargs},
    )


def test_a_skewed_plan_moves_its_quotes_and_sizes() -> None:
    plain = _plan(None)
    skewed = _plan(Skew(shift6=-50_000, buy_scale_bps=8_000, sell_scale_bps=12_000))
    assert skewed.anchor6 == plain.anchor6 - 50_000
    for before, after in zip(plain.placements, skewed.placements, strict=True):
        assert after.price6 == before.price6 - 50_000
        scale = 8_000 if before.is_buy else 12_000
        assert after.amount18 == max(SIZE_MIN, before.amount18 * scale // BPS)


def test_at_the_maximum_a_wallet_cancels_its_buys_and_keeps_selling() -> None:
    buys = [order(1, 4_390_000), order(2, 4_110_000)]
    result = _plan(Skew(buys_allowed=False), open_orders=buys)
    assert {c.order_id for c in result.cancels} == {1, 2}
    assert all(c.reason is CancelReason.OVER_TARGET for c in result.cancels)
    assert [p.is_buy for p in result.placements] == [False, False]
    assert result.room == (0, 2)


SKEWS = st.builds(
    Skew,
    shift6=st.integers(-(10**9), 10**9),
    buy_scale_bps=st.integers(1, 4 * BPS),
    sell_scale_bps=st.integers(1, 4 * BPS),
    buys_allowed=st.booleans(),
    sells_allowed=st.booleans(),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(inputs=wallet_inputs())
def test_no_skew_plans_exactly_as_the_packer(inputs: dict[str, Any]) -> None:
    assert plan_wallet(**inputs, skew=Skew()) == plan_wallet(**inputs)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(inputs=wallet_inputs(), skew=SKEWS)
def test_a_skewed_plan_never_crosses_and_keeps_the_targets_and_the_cap(
    inputs: dict[str, Any], skew: Skew
) -> None:
    result = plan_wallet(**inputs, skew=skew)
    book = inputs["book"]
    target = inputs["params"].orders_per_side
    gone = {c.order_id for c in result.cancels}
    for is_buy, allowed in ((True, skew.buys_allowed), (False, skew.sells_allowed)):
        kept = [o for o in inputs["open_orders"] if o.is_buy == is_buy and o.order_id not in gone]
        placed = [p for p in result.placements if p.is_buy == is_buy]
        assert len(kept) + len(placed) <= (target if allowed else 0)
    for p in result.placements:
        if p.is_buy:
            assert book.best_ask6 == 0 or p.price6 < book.best_ask6
        else:
            assert p.price6 > book.best_bid6
        assert p.amount18 >= inputs["size_min18"]
        assert p.margin6 == estimate_margin6(p.price6, p.amount18, p.is_buy, inputs["rules"].margin_bps)
    assert result.planned_margin6 <= max(0, result.remaining6_before)
