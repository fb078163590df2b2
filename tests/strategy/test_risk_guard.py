"""The engine's guard over any strategy's plan: what it refuses, and that the packer's own plans
pass it untouched."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings

from ama_tui.core.margin import estimate_margin6
from ama_tui.core.market import InFlightPlacement
from ama_tui.core.models import PackerParams
from ama_tui.core.planner import PlannedCancel, PlannedPlacement, SkipReason, WalletPlan, plan_wallet
from ama_tui.strategy import RiskPolicy, WalletSlot
from ama_tui.strategy.risk_guard import guard_plan
from tests.core.test_planner import BOOK_450, RULES, order, wallet_inputs

PARAMS = PackerParams.model_validate({"ordersPerSidePerWallet": 2, "maxWalletUtilization": 0.5})
MAKER = RiskPolicy(maker_only=True)
SIZE = 10**17


def _slot(**kwargs: Any) -> WalletSlot:
    fields: dict[str, Any] = {
        "index": 0,
        "address": "0xabc",
        "orders": (),
        "in_flight": (),
        "cancelling": frozenset(),
        "available6": 1_000_000_000,
        "position18": 0,
    }
    return WalletSlot(**{**fields, **kwargs})


def _placing(*placements: tuple[bool, int, int]) -> WalletPlan:
    return WalletPlan(
        wallet_index=0,
        cancels=(),
        placements=tuple(
            PlannedPlacement(is_buy, level, price6, SIZE, estimate_margin6(price6, SIZE, is_buy, 1_000))
            for level, (is_buy, price6, _) in enumerate(placements)
        ),
        skips=(),
        cap6=0,
        reserved6=0,
        remaining6_before=0,
        remaining6_after=0,
        anchor6=4_500_000,
    )


def _guard(plan: WalletPlan, slot: WalletSlot | None = None, policy: RiskPolicy = MAKER) -> WalletPlan:
    return guard_plan(plan, slot or _slot(), top=BOOK_450, rules=RULES, packer=PARAMS, policy=policy)


def _refusals(plan: WalletPlan) -> list[str]:
    return [s.message for s in plan.skips if s.reason is SkipReason.RISK_GUARD]


def test_a_maker_only_strategy_cannot_cross() -> None:
    # the ask is 4.51 and the bid 4.49: a buy at the ask and a sell at the bid would take
    guarded = _guard(_placing((True, 4_510_000, 0), (False, 4_490_000, 0), (True, 4_400_000, 0)))
    assert [(p.is_buy, p.price6) for p in guarded.placements] == [(True, 4_400_000)]
    assert len(_refusals(guarded)) == 2 and "would take the ask" in _refusals(guarded)[0]


def test_a_taker_strategy_may_cross_within_its_notional() -> None:
    taker = RiskPolicy(maker_only=False, max_trade_notional6=451_000)
    guarded = _guard(_placing((True, 4_510_000, 0), (True, 4_520_000, 0)), policy=taker)
    assert [p.price6 for p in guarded.placements] == [4_510_000]  # 0.451 USDC of notional; 0.452 is over
    assert "per-trade limit" in _refusals(guarded)[0]


def test_invalid_orders_are_refused() -> None:
    plan = _placing((True, 4_395_000, 0), (True, 0, 0))
    plan = replace(
        plan, placements=(*plan.placements, replace(plan.placements[0], price6=4_300_000, amount18=0))
    )
    assert _guard(plan).placements == ()
    assert len(_refusals(_guard(plan))) == 3


def test_no_side_holds_more_than_its_target_in_flight_included() -> None:
    slot = _slot(orders=(order(1, 4_390_000),), in_flight=(InFlightPlacement(True, 4_380_000, SIZE),))
    guarded = _guard(_placing((True, 4_300_000, 0), (False, 4_600_000, 0)), slot)
    assert [p.is_buy for p in guarded.placements] == [False]
    assert "already holds 2" in _refusals(guarded)[0]


def test_the_cap_holds_and_freed_margin_is_not_reused() -> None:
    # available 1.00 USDC, cap 50 %: 0.50 USDC; a buy at 4.40 of 1.0 reserves 0.44
    slot = _slot(available6=1_000_000)
    plan = replace(
        _placing((True, 4_400_000, 0), (True, 4_300_000, 0)),
        cancels=(PlannedCancel(7, True, 4_000_000, SIZE, 0, 0),),
    )
    big = tuple(
        replace(p, amount18=10**18, margin6=estimate_margin6(p.price6, 10**18, True, 1_000))
        for p in plan.placements
    )
    guarded = _guard(replace(plan, placements=big), slot)
    assert [p.price6 for p in guarded.placements] == [4_400_000]
    assert "left under the cap" in _refusals(guarded)[-1]
    assert guarded.cancels == (), "a cancel of an order the wallet does not hold is dropped"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(inputs=wallet_inputs())
def test_the_packers_plans_pass_untouched(inputs: dict[str, Any]) -> None:
    plan = plan_wallet(**inputs)
    slot = _slot(orders=tuple(inputs["open_orders"]), available6=inputs["available6"])
    guarded = guard_plan(
        plan, slot, top=inputs["book"], rules=inputs["rules"], packer=inputs["params"], policy=MAKER
    )
    assert guarded is plan
