"""taker-flow's decisions on hand-made ticks: who takes, at what pace, at what limit (never one
that reaches another wallet of ours), and the engine's per-minute window."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from ama_tui.core.market import BookTop, InFlightPlacement
from ama_tui.core.models import PackerParams
from ama_tui.core.planner import PlannedTake
from ama_tui.engine.planning import TakerWindow
from ama_tui.strategies.taker_flow import TakerFlowParams, TakerFlowStrategy, taker_count
from ama_tui.strategy import TickView, WalletSlot
from ama_tui.strategy.risk_guard import guard_plan
from tests.core.test_planner import RULES, order

TOP = BookTop(best_bid6=4_490_000, best_ask6=4_510_000)
PARAMS = TakerFlowParams.model_validate(
    {"takerShare": 0.5, "takerVolumePerMinute": 6, "takeSize": 0.1, "maxSlippageTicks": 3}
)


def _slot(index: int, **kwargs: Any) -> WalletSlot:
    fields: dict[str, Any] = {
        "address": f"0x{index}",
        "orders": (),
        "in_flight": (),
        "cancelling": frozenset(),
        "available6": 1_000_000_000,
        "position18": 0,
    }
    return WalletSlot(index=index, **{**fields, **kwargs})


def _view(now_s: float, *slots: WalletSlot, top: BookTop = TOP) -> TickView:
    return TickView(
        now_s=now_s,
        top=top,
        rules=RULES,
        packer=PackerParams.model_validate({"ordersPerSidePerWallet": 2}),
        params=PARAMS,
        sizes18=(5 * 10**16, 25 * 10**16),
        floor_ticks=0,
        wallets=slots or (_slot(0), _slot(1)),
    )


def test_the_last_share_of_the_wallets_take_and_one_always_packs() -> None:
    assert [taker_count(n, Decimal("0.25")) for n in (1, 2, 4, 5, 8)] == [0, 1, 1, 2, 2]
    assert taker_count(3, Decimal(1)) == 2
    assert taker_count(10, Decimal(0)) == 0


def test_takes_follow_the_pace_and_cross_by_the_slippage() -> None:
    strategy = TakerFlowStrategy()
    assert strategy.decide(_view(0.0))[1].takes == ()  # no time has passed: nothing earned yet
    assert strategy.decide(_view(0.5))[1].takes == ()  # 6 a minute: 0.05 earned, a take is 0.1
    takes = strategy.decide(_view(1.0))[1].takes
    assert takes == (PlannedTake(True, 10**17, 4_510_000 + 3 * 10_000),)
    assert strategy.decide(_view(1.1))[1].takes == ()  # the credit was spent
    packer = strategy.decide(_view(1.2))[0]
    assert packer.placements and not packer.takes, "the other wallet packs"


def test_a_long_taker_sells_and_clears_what_rests() -> None:
    strategy = TakerFlowStrategy()
    left = order(9, 4_520_000, is_buy=True)
    taker = _slot(1, position18=10**17, orders=(left,))
    strategy.decide(_view(0.0, _slot(0), taker))
    plan = strategy.decide(_view(2.0, _slot(0), taker))[1]
    assert [c.order_id for c in plan.cancels] == [9]
    assert plan.takes == (PlannedTake(False, 10**17, 4_490_000 - 3 * 10_000),)


def test_a_take_stops_a_tick_short_of_our_own_orders_and_waits_when_ours_are_best() -> None:
    strategy = TakerFlowStrategy()
    ours = _slot(0, orders=(order(1, 4_520_000, is_buy=False),))
    strategy.decide(_view(0.0, ours, _slot(1)))
    (take,) = strategy.decide(_view(2.0, ours, _slot(1)))[1].takes
    assert take.limit6 == 4_510_000  # the ask; our sell at 4.52 is a tick further
    # now our own sell (in flight) is the best ask: nothing to take without meeting it
    best = _slot(0, in_flight=(InFlightPlacement(False, 4_510_000, 10**17),))
    strategy.decide(_view(3.0, best, _slot(1)))
    assert strategy.decide(_view(4.0, best, _slot(1)))[1].takes == ()


def test_the_guard_holds_takes_to_the_fleet_the_notional_and_the_minute() -> None:
    strategy = TakerFlowStrategy()
    policy = strategy.risk_for(
        TakerFlowParams.model_validate({"maxTradeNotional": 1, "maxMinuteNotional": 1})
    )
    view = _view(0.0)
    strategy.decide(view)
    plan = strategy.decide(_view(2.0))[1]
    kwargs: dict[str, Any] = {"top": TOP, "rules": RULES, "packer": view.packer, "policy": policy}
    assert guard_plan(plan, view.wallets[1], **kwargs).takes == plan.takes  # 0.454 USDC
    reached = guard_plan(plan, view.wallets[1], others=[(False, 4_520_000)], **kwargs)
    assert reached.takes == () and "fleet's own orders" in reached.skips[-1].message
    spent = guard_plan(plan, view.wallets[1], minute_left6=400_000, **kwargs)
    assert spent.takes == () and "left this minute" in spent.skips[-1].message

    window = TakerWindow()
    assert window.left6(0, 0.0) is None
    window.spend(700_000, 10.0)
    assert window.left6(1_000_000, 30.0) == 300_000
    assert window.left6(1_000_000, 70.0) == 1_000_000, "a minute later the notional is free again"


def test_a_market_order_is_refused_while_the_fleet_rests_on_the_other_side() -> None:
    strategy = TakerFlowStrategy()
    view = _view(0.0)
    plan = strategy.decide(view)[1]
    market = replace(plan, takes=(PlannedTake(True, 10**16),))
    kwargs: dict[str, Any] = {
        "top": TOP,
        "rules": RULES,
        "packer": view.packer,
        "policy": strategy.risk_for(None),
    }
    assert guard_plan(market, view.wallets[1], **kwargs).takes == market.takes
    refused = guard_plan(market, view.wallets[1], others=[(False, 4_600_000)], **kwargs)
    assert refused.takes == () and "market buy" in refused.skips[-1].message
