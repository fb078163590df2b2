"""The guard the engine applies to every strategy's plan before any of it is sent.

A strategy is trusted with nothing: whatever it answers, a plan that leaves here cancels only the
wallet's own orders and places only valid orders (on the tick grid, in the price range, not dust)
that keep each side within `ordersPerSidePerWallet` and the wallet's margin within its cap
(counting what may still land and never reusing margin a cancel of this same plan frees); a
maker-only strategy's placements must also rest against the tick's top (the executor re-checks a
fresh top right before sending). What it drops becomes a `RISK_GUARD` skip naming why. The packer's
own plans always pass untouched (its planner already keeps every one of these rules).

Takes (orders meant to trade at once) are refused outright for a maker-only strategy. For a taker
strategy each must fit under the cap with the placements (its margin at its limit, or at the best
price for a market order), the notional per trade and what is left of the notional per minute, and
must never be able to trade with another wallet of the fleet: a crossing limit must stop short of
the fleet's best order on the other side, and a market order is refused while the fleet has any
order there (the exchange itself keeps a wallet from trading with its own orders).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ama_tui.core.margin import estimate_margin6, reserved_margin6
from ama_tui.core.market import BookTop, MarketRules
from ama_tui.core.models import PackerParams
from ama_tui.core.planner import PlannedPlacement, PlannedTake, Skip, SkipReason, WalletPlan, wallet_cap6
from ama_tui.core.pricing import max_price6_on_grid
from ama_tui.strategy.base import RiskPolicy
from ama_tui.strategy.view import WalletSlot


def _refusal(placement: PlannedPlacement, top: BookTop, rules: MarketRules, policy: RiskPolicy) -> str | None:
    side = "buy" if placement.is_buy else "sell"
    tick6 = rules.tick6
    if placement.amount18 <= 0:
        return f"{side} of size {placement.amount18}: not an order"
    if (
        tick6 <= 0
        or placement.price6 <= 0
        or placement.price6 % tick6
        or placement.price6 > max_price6_on_grid(tick6)
    ):
        return f"{side} at {placement.price6}: not a price on the market's tick grid"
    if policy.maker_only:
        if placement.is_buy and top.best_ask6 > 0 and placement.price6 >= top.best_ask6:
            return f"buy at {placement.price6} would take the ask {top.best_ask6} (maker-only)"
        if not placement.is_buy and top.best_bid6 > 0 and placement.price6 <= top.best_bid6:
            return f"sell at {placement.price6} would take the bid {top.best_bid6} (maker-only)"
    if policy.max_trade_notional6 > 0:
        notional6 = placement.price6 * placement.amount18 // 10**18
        if notional6 > policy.max_trade_notional6:
            return f"{side} notional {notional6} over the per-trade limit {policy.max_trade_notional6}"
    return None


def take_notional6(take: PlannedTake, top: BookTop) -> int:
    """What a take may trade, in usdc6: its amount at its limit, or (a market order) at the best
    price on the other side; 0 when a market order has nothing to trade against."""
    price6 = take.limit6 or (top.best_ask6 if take.is_buy else top.best_bid6)
    return max(0, price6) * take.amount18 // 10**18


def _take_refusal(
    take: PlannedTake,
    top: BookTop,
    rules: MarketRules,
    policy: RiskPolicy,
    others: Sequence[tuple[bool, int]],
    minute_left6: int | None,
) -> str | None:
    side = "buy" if take.is_buy else "sell"
    if policy.maker_only:
        return f"{side} to take {take.amount18}: the strategy is maker-only"
    if take.amount18 <= 0:
        return f"{side} to take of size {take.amount18}: not an order"
    if take.limit6 and (take.limit6 % rules.tick6 or take.limit6 > max_price6_on_grid(rules.tick6)):
        return f"{side} to take up to {take.limit6}: not a price on the market's tick grid"
    opposite = [price6 for is_buy, price6 in others if is_buy != take.is_buy]
    if not take.limit6:
        if not (top.best_ask6 if take.is_buy else top.best_bid6):
            return f"market {side}: nothing on the other side to trade with"
        if opposite:
            return f"market {side}: the fleet's own orders rest on the other side (use a limit short of them)"
    elif opposite:
        reach = take.limit6 >= min(opposite) if take.is_buy else take.limit6 <= max(opposite)
        if reach:
            return f"{side} to take up to {take.limit6} would trade with the fleet's own orders"
    notional6 = take_notional6(take, top)
    if policy.max_trade_notional6 > 0 and notional6 > policy.max_trade_notional6:
        return f"{side} to take: notional {notional6} over the per-trade limit {policy.max_trade_notional6}"
    if minute_left6 is not None and notional6 > minute_left6:
        return f"{side} to take: notional {notional6} over the {max(0, minute_left6)} left this minute"
    return None


def guard_plan(
    plan: WalletPlan,
    slot: WalletSlot,
    *,
    top: BookTop,
    rules: MarketRules,
    packer: PackerParams,
    policy: RiskPolicy,
    others: Sequence[tuple[bool, int]] = (),
    minute_left6: int | None = None,
) -> WalletPlan:
    """`plan` with everything the rules above refuse taken out (and a skip for each). `others`:
    (is_buy, price6) of every order of the other wallets that rests, may land, or is placed this
    tick; `minute_left6`: what the per-minute notional leaves (None:
    no limit)."""
    skips: list[Skip] = []
    ours = {order.order_id for order in slot.orders}
    cancels = tuple(c for c in plan.cancels if c.order_id in ours)
    if len(cancels) < len(plan.cancels):
        skips.append(
            Skip(
                SkipReason.RISK_GUARD,
                f"{len(plan.cancels) - len(cancels)} cancels of orders not the wallet's",
            )
        )
    gone = {c.order_id for c in cancels}
    held = {
        True: sum(1 for o in slot.orders if o.is_buy and o.order_id not in gone)
        + sum(1 for p in slot.in_flight if p.is_buy),
        False: sum(1 for o in slot.orders if not o.is_buy and o.order_id not in gone)
        + sum(1 for p in slot.in_flight if not p.is_buy),
    }
    resting6 = reserved_margin6(slot.orders)
    flying6 = sum(estimate_margin6(p.price6, p.amount18, p.is_buy, rules.margin_bps) for p in slot.in_flight)
    remaining6 = wallet_cap6(slot.available6, resting6, packer) - resting6 - flying6
    kept: list[PlannedPlacement] = []
    for placement in plan.placements:
        why = _refusal(placement, top, rules, policy)
        margin6 = estimate_margin6(placement.price6, placement.amount18, placement.is_buy, rules.margin_bps)
        if why is None and held[placement.is_buy] >= packer.orders_per_side:
            why = (
                f"{'buy' if placement.is_buy else 'sell'} side already holds {packer.orders_per_side} orders"
            )
        if why is None and margin6 > remaining6:
            why = f"margin {margin6} over the {max(0, remaining6)} left under the cap"
        if why is not None:
            skips.append(Skip(SkipReason.RISK_GUARD, why, placement.is_buy, placement.level))
            continue
        held[placement.is_buy] += 1
        remaining6 -= margin6
        kept.append(replace(placement, margin6=margin6))
    takes: list[PlannedTake] = []
    for take in plan.takes:
        why = _take_refusal(take, top, rules, policy, others, minute_left6)
        price6 = take.limit6 or (top.best_ask6 if take.is_buy else top.best_bid6)
        margin6 = estimate_margin6(price6, take.amount18, take.is_buy, rules.margin_bps)
        if why is None and margin6 > remaining6:
            side = "buy" if take.is_buy else "sell"
            why = f"{side} to take: margin {margin6} over the {max(0, remaining6)} left under the cap"
        if why is not None:
            skips.append(Skip(SkipReason.RISK_GUARD, why, take.is_buy))
            continue
        if minute_left6 is not None:
            minute_left6 -= take_notional6(take, top)
        remaining6 -= margin6
        takes.append(take)
    if not skips:
        return plan
    return replace(
        plan, cancels=cancels, placements=tuple(kept), takes=tuple(takes), skips=(*plan.skips, *skips)
    )
