"""Taker flow: most wallets pack the book as the packer does; a share of them trade against it at
a target volume per minute, as a flow of outside takers would.

A taker wallet rests nothing (whatever a partly filled take left resting is cancelled) and, when
the pace allows (`takerVolumePerMinute`, spread over the taker wallets in turn), sends one crossing
limit order of `takeSize`: a buy when it is flat or short, a sell when long, so each stays near
flat. Its limit is `maxSlippageTicks` past the best price on the other side and always a tick
short of the fleet's own best order there (resting, in flight or placed this tick), so it can
never trade with another wallet of ours; when our own orders are the best on that side it waits.
The engine holds every take to the notional caps per trade and per minute (`risk_for`)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, Decimal

from pydantic import BaseModel, ConfigDict, Field

from ama_tui.core.planner import PlannedCancel, PlannedTake, WalletPlan
from ama_tui.core.units import AMOUNT_SCALE
from ama_tui.strategies.packer import plan_slot
from ama_tui.strategy import RiskPolicy, StrategyInfo, TickView, WalletSlot
from ama_tui.strategy.view import fleet_prices


class TakerFlowParams(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    taker_share: Decimal = Field(
        default=Decimal("0.25"),
        alias="takerShare",
        ge=0,
        le=1,
        title="Share of taker wallets",
        description="the fraction of the wallets (the last ones) that trade against the book",
    )
    taker_volume_per_minute: Decimal = Field(
        default=Decimal(1),
        alias="takerVolumePerMinute",
        ge=0,
        le=Decimal(10**9),
        title="Taker volume per minute",
        description="units traded against the book per minute, over all taker wallets",
    )
    take_size: Decimal = Field(
        default=Decimal("0.05"),
        alias="takeSize",
        gt=0,
        le=Decimal(10**9),
        title="Size of a take",
        description="units per taker order",
    )
    max_slippage_ticks: int = Field(
        default=5,
        alias="maxSlippageTicks",
        ge=0,
        le=1_000_000,
        title="Largest slippage (ticks)",
        description="how far past the best price on the other side a take may trade",
    )
    max_trade_notional: Decimal = Field(
        default=Decimal(1_000),
        alias="maxTradeNotional",
        ge=0,
        le=Decimal(10**12),
        title="Largest take (USDC)",
        description="the most one take may trade; 0: no limit",
    )
    max_minute_notional: Decimal = Field(
        default=Decimal(10_000),
        alias="maxMinuteNotional",
        ge=0,
        le=Decimal(10**12),
        title="Most taken per minute (USDC)",
        description="the most all takes may trade over any minute; 0: no limit",
    )


INFO = StrategyInfo(
    name="taker-flow",
    summary="the packer on most wallets, a share of them taking from the book at a set pace",
    risk=RiskPolicy(maker_only=False),
    params_model=TakerFlowParams,
)


def taker_count(wallets: int, share: Decimal) -> int:
    """How many wallets take: `share` of them rounded up (at least one when the share is not 0),
    always leaving one to pack."""
    if wallets < 2 or share <= 0:
        return 0
    wanted = int((share * wallets).to_integral_value(rounding=ROUND_CEILING))
    return min(wallets - 1, max(1, wanted))


class TakerFlowStrategy:
    info = INFO

    def __init__(self) -> None:
        self._credit18 = 0
        """Volume the pace allows that has not been taken yet."""
        self._last_s: float | None = None
        self._turn = 0
        """Which taker wallet takes next."""

    def risk_for(self, params: BaseModel | None) -> RiskPolicy:
        own = params if isinstance(params, TakerFlowParams) else TakerFlowParams()
        return RiskPolicy.taker(own.max_trade_notional, own.max_minute_notional)

    def decide(self, view: TickView) -> Mapping[int, WalletPlan]:
        params = view.params if isinstance(view.params, TakerFlowParams) else TakerFlowParams()
        count = taker_count(len(view.wallets), params.taker_share)
        makers, takers = view.wallets[: len(view.wallets) - count], view.wallets[len(view.wallets) - count :]
        plans = {slot.index: plan_slot(view, slot) for slot in makers}
        ready = self._pace(view.now_s, params)
        for slot in takers:
            plans[slot.index] = _cleared(slot)
        if not takers or ready is None:
            return plans
        slot = takers[self._turn % len(takers)]
        is_buy = slot.position18 <= 0
        limit6 = _limit6(view, plans, slot.index, is_buy, params.max_slippage_ticks)
        if limit6 is None:
            return plans
        self._turn += 1
        self._credit18 -= ready
        plans[slot.index] = WalletPlan.of(
            slot.index, cancels=plans[slot.index].cancels, takes=(PlannedTake(is_buy, ready, limit6),)
        )
        return plans

    def _pace(self, now_s: float, params: TakerFlowParams) -> int | None:
        """The size of the next take when the pace has allowed one, else None."""
        size18 = int(params.take_size * AMOUNT_SCALE)
        if self._last_s is not None:
            elapsed = max(0.0, now_s - self._last_s)
            per_minute18 = int(params.taker_volume_per_minute * AMOUNT_SCALE)
            self._credit18 = min(self._credit18 + int(per_minute18 * elapsed / 60), 4 * size18)
        self._last_s = now_s
        return size18 if size18 > 0 and self._credit18 >= size18 else None


def _cleared(slot: WalletSlot) -> WalletPlan:
    """A taker wallet's plan: cancel whatever rests (what a partly filled take left)."""
    cancels = tuple(
        PlannedCancel(o.order_id, o.is_buy, o.price6, o.amount18, o.margin_required6, o.timestamp)
        for o in slot.orders
        if o.order_id not in slot.cancelling
    )
    return WalletPlan.of(slot.index, cancels=cancels)


def _limit6(
    view: TickView, plans: Mapping[int, WalletPlan], taker: int, is_buy: bool, slippage: int
) -> int | None:
    """The take's limit: past the best opposite price by the slippage, a tick short of the other
    wallets' best order on that side (the taker's own are cancelled first, and the exchange never
    matches a wallet with itself); None when there is nothing to take or ours is the best."""
    tick6 = view.rules.tick6
    best6 = view.top.best_ask6 if is_buy else view.top.best_bid6
    if best6 <= 0 or tick6 <= 0 or view.top.is_crossed:
        return None
    ours = [price6 for side, price6 in fleet_prices(view, plans, taker) if side != is_buy]
    if is_buy:
        limit6 = (best6 + slippage * tick6) // tick6 * tick6
        if ours:
            limit6 = min(limit6, (min(ours) - tick6) // tick6 * tick6)
        return limit6 if limit6 >= best6 else None
    limit6 = -(-(best6 - slippage * tick6) // tick6) * tick6
    if ours:
        limit6 = max(limit6, -(-(max(ours) + tick6) // tick6) * tick6)
    return limit6 if 0 < limit6 <= best6 else None
