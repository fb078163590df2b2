"""plan_wallet with trades that may still land: placements sent but not seen on the book (a relay
answer of `pending`, or a lost answer) and orders whose cancel is not mined yet. What may still
land counts as held, so the side never holds more than its target on chain and the cap holds
whichever trade is mined first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ama_tui.core.margin import estimate_margin6, reserved_margin6
from ama_tui.core.market import InFlightPlacement, OpenOrder
from ama_tui.core.models import PackerParams
from ama_tui.core.planner import CancelReason, WalletPlan, plan_wallet
from tests.core.test_planner import (
    BOOK_450,
    RULES,
    SIZE_L0,
    SIZE_L1,
    SIZE_MAX,
    SIZE_MIN,
    order,
    wallet_inputs,
)


def test_a_placement_in_flight_takes_its_level_price_and_margin() -> None:
    # level 0 of each side was sent (pending): only level 1 is left, and its margin is counted
    flying = (InFlightPlacement(True, 4_390_000, SIZE_L0), InFlightPlacement(False, 4_610_000, SIZE_L0))
    result = _plan(target=2, in_flight=flying)
    assert [(p.is_buy, p.level, p.price6) for p in result.placements] == [
        (True, 1, 4_110_000),
        (False, 1, 4_890_000),
    ]
    assert result.reserved6 == 87_237 + 1_374_139  # what the two in flight will reserve
    assert result.remaining6_before == result.cap6 - result.reserved6
    assert result.room == (1, 1)


def test_a_full_side_in_flight_places_nothing_even_after_the_mid_moved() -> None:
    # three buys in flight at the old prices; the mid moved, so the level-0 price is a new one:
    # without counting them, three more buys would go out and six could land
    flying = tuple(InFlightPlacement(True, 4_300_000 - i * 10_000, SIZE_L0) for i in range(3))
    result = _plan(target=3, in_flight=flying)
    assert [p for p in result.placements if p.is_buy] == []
    assert len([p for p in result.placements if not p.is_buy]) == 3
    assert result.room == (0, 3)


def test_a_price_in_flight_is_not_taken_twice() -> None:
    # a sell at the level-0 price is in flight on a side with room: the new level-1 sell moves on
    flying = (InFlightPlacement(False, 4_890_000, SIZE_L1),)
    result = _plan(target=2, in_flight=flying)
    sells = [p.price6 for p in result.placements if not p.is_buy]
    assert 4_890_000 not in sells


def test_an_order_being_cancelled_is_not_cancelled_again_and_still_counts() -> None:
    far = order(7, 3_000_000, margin6=50_000)  # far outside the band: would be replaced
    first = _plan(target=1, open_orders=(far,))
    assert [(c.order_id, c.reason) for c in first.cancels] == [(7, CancelReason.OUT_OF_BAND)]
    # its cancel is sent, not mined: the order rests, so the buy side has no room yet
    second = _plan(target=1, open_orders=(far,), cancelling=[7])
    assert second.cancels == ()
    assert [p for p in second.placements if p.is_buy] == []
    assert second.room == (0, 1)
    assert second.reserved6 == 50_000  # its margin is held until the cancel is mined


def test_over_target_cancels_skip_the_orders_already_leaving() -> None:
    orders = [order(i, 4_390_000 - i * 10_000, timestamp=i) for i in range(4)]
    result = _plan(target=2, open_orders=orders, cancelling=[0])
    # three stay (order 0 leaving): one over target, the farthest of them; 0 is not chosen again
    assert [c.order_id for c in result.cancels if c.reason is CancelReason.OVER_TARGET] == [3]
    assert 0 not in {c.order_id for c in result.cancels}


@st.composite
def with_trades_in_flight(draw: st.DrawFn) -> dict[str, Any]:
    inputs = draw(wallet_inputs())
    orders: list[OpenOrder] = inputs["open_orders"]
    cancelling = [o.order_id for o in orders if draw(st.booleans())] if orders else []
    flying = [
        InFlightPlacement(
            is_buy=draw(st.booleans()),
            price6=draw(st.integers(1, 10**10)),
            amount18=draw(st.integers(0, 10**20)),
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    return {**inputs, "in_flight": flying, "cancelling": cancelling}


@given(with_trades_in_flight())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_what_may_land_never_takes_a_side_past_its_target_or_the_cap(inputs: dict[str, Any]) -> None:
    result = plan_wallet(**inputs)
    orders: list[OpenOrder] = inputs["open_orders"]
    flying: list[InFlightPlacement] = inputs["in_flight"]
    cancelling = set(inputs["cancelling"])
    target = inputs["params"].orders_per_side
    gone = {c.order_id for c in result.cancels}
    assert not gone & cancelling, "an order already being cancelled was cancelled again"
    for is_buy, room in ((True, result.room[0]), (False, result.room[1])):
        may_rest = sum(1 for o in orders if o.is_buy == is_buy and o.order_id not in gone) + sum(
            1 for p in flying if p.is_buy == is_buy
        )
        placed = sum(1 for p in result.placements if p.is_buy == is_buy)
        assert room == max(0, target - may_rest)
        assert placed <= room
        # every price on the side is held once at most, whatever lands
        new = Counter(p.price6 for p in result.placements if p.is_buy == is_buy)
        held = {p.price6 for p in flying if p.is_buy == is_buy} | {
            o.price6 for o in orders if o.is_buy == is_buy and o.order_id not in gone
        }
        assert all(count == 1 for count in new.values()) and not set(new) & held
    flying6 = sum(
        estimate_margin6(p.price6, p.amount18, p.is_buy, inputs["rules"].margin_bps) for p in flying
    )
    assert result.reserved6 == reserved_margin6(orders) + flying6
    # what is placed fits under the cap with everything that may still land
    assert result.planned_margin6 <= max(0, result.cap6 - result.reserved6)


def _plan(
    *,
    target: int,
    open_orders: Sequence[OpenOrder] = (),
    in_flight: Sequence[InFlightPlacement] = (),
    cancelling: Collection[int] = (),
) -> WalletPlan:
    return plan_wallet(
        wallet_index=0,
        open_orders=open_orders,
        available6=1_000_000_000,
        book=BOOK_450,
        rules=RULES,
        params=PackerParams.model_validate({"ordersPerSidePerWallet": target}),
        size_min18=SIZE_MIN,
        size_max18=SIZE_MAX,
        in_flight=in_flight,
        cancelling=cancelling,
    )
