"""Rebalancer: the packer, steered by the book's depth.

Each tick it reads the imbalance of the top `depthLevels` levels, `(bids - asks) / (bids + asks)`
(-1: all asks, +1: all bids). A lopsided book moves prices: past `widenAt` either way the distance
band widens by `widenFactor` (quotes step back from a book about to move) and the quotes lean
`shiftTicks` times the imbalance towards the heavy side (where the price is being pushed); a
balanced book (under `tightenBelow`) tightens the band by `tightenFactor` (quotes come closer to
earn the spread). Orders the new band leaves behind are re-centred by the packer's own rule
(more than `bandToleranceTicks` outside: replaced, `maxReplacePerCycle` at most per wallet).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from ama_tui.core.models import PackerParams
from ama_tui.core.planner import WalletPlan
from ama_tui.core.skew import Skew
from ama_tui.strategies.packer import plan_slot
from ama_tui.strategy import RiskPolicy, StrategyInfo, TickView


class RebalanceParams(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    depth_levels: int = Field(
        default=5,
        alias="depthLevels",
        ge=1,
        le=100,
        title="Depth levels",
        description="levels read each side",
    )
    widen_at: Decimal = Field(
        default=Decimal("0.5"),
        alias="widenAt",
        ge=0,
        le=1,
        title="Widen at imbalance",
        description="from this imbalance (either way) the band widens",
    )
    widen_factor: Decimal = Field(
        default=Decimal(2), alias="widenFactor", ge=1, le=100, title="Widen by", description="band x this"
    )
    tighten_below: Decimal = Field(
        default=Decimal("0.1"),
        alias="tightenBelow",
        ge=0,
        le=1,
        title="Tighten below imbalance",
        description="under this imbalance the band tightens",
    )
    tighten_factor: Decimal = Field(
        default=Decimal("0.5"),
        alias="tightenFactor",
        gt=0,
        le=1,
        title="Tighten by",
        description="band x this",
    )
    shift_ticks: int = Field(
        default=10,
        alias="shiftTicks",
        ge=0,
        le=1_000_000,
        title="Lean (ticks)",
        description="how far quotes lean towards the heavy side at full imbalance",
    )


INFO = StrategyInfo(
    name="rebalancer",
    summary="the packer, widening, tightening and leaning its band with the book's depth imbalance",
    risk=RiskPolicy(maker_only=True),
    params_model=RebalanceParams,
)


def imbalance(bids: tuple[tuple[int, int], ...], asks: tuple[tuple[int, int], ...], levels: int) -> Decimal:
    """(bid depth - ask depth) / both over the top `levels` levels; 0 for an empty book."""
    bid = sum(amount for _, amount in bids[:levels])
    ask = sum(amount for _, amount in asks[:levels])
    return Decimal(bid - ask) / (bid + ask) if bid + ask else Decimal(0)


def steered(packer: PackerParams, params: RebalanceParams, tilt: Decimal) -> PackerParams:
    """The run's distances widened or tightened for this imbalance (never under one tick)."""
    if abs(tilt) >= params.widen_at:
        factor = params.widen_factor
    elif abs(tilt) < params.tighten_below:
        factor = params.tighten_factor
    else:
        return packer
    low = max(1, int(packer.min_distance_ticks * factor))
    high = max(low, int(packer.max_distance_ticks * factor))
    return packer.model_copy(update={"min_distance_ticks": low, "max_distance_ticks": high})


class RebalancerStrategy:
    info = INFO

    def decide(self, view: TickView) -> Mapping[int, WalletPlan]:
        params = view.params if isinstance(view.params, RebalanceParams) else RebalanceParams()
        tilt = imbalance(view.bids, view.asks, params.depth_levels)
        packer = steered(view.packer, params, tilt)
        lean = Skew(shift6=int(tilt * params.shift_ticks) * view.rules.tick6)
        tuned = replace(view, packer=packer)
        return {slot.index: plan_slot(tuned, slot, lean) for slot in view.wallets}
