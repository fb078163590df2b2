"""The packer with inventory skew: a wallet drifting long quotes lower, buys less and sells more
(short: the mirror), towards a target position, and stops adding to a position at its maximum
(`core.skew` says exactly how)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from ama_tui.core.planner import WalletPlan
from ama_tui.core.skew import inventory_skew
from ama_tui.core.units import AMOUNT_SCALE
from ama_tui.strategies.packer import plan_slot
from ama_tui.strategy import RiskPolicy, StrategyInfo, TickView


class SkewParams(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    skew_ticks_per_unit: int = Field(
        default=20,
        alias="skewTicksPerUnit",
        ge=0,
        le=1_000_000,
        title="Skew (ticks per unit)",
        description="how far quotes move against the position, per whole unit beyond the target",
    )
    max_skew_ticks: int = Field(
        default=60,
        alias="maxSkewTicks",
        ge=0,
        le=1_000_000,
        title="Largest skew (ticks)",
        description="the quotes never move further than this",
    )
    size_skew_bps: int = Field(
        default=2_000,
        alias="sizeSkewBps",
        ge=0,
        le=10_000,
        title="Size skew (bps per unit)",
        description="how much the side that reduces the position grows, and the other shrinks",
    )
    target_position: Decimal = Field(
        default=Decimal(0),
        alias="targetPosition",
        ge=Decimal(-(10**9)),
        le=Decimal(10**9),
        title="Target position",
        description="the position (in units, signed) each wallet leans towards",
    )
    max_position: Decimal = Field(
        default=Decimal(0),
        alias="maxPosition",
        ge=0,
        le=Decimal(10**9),
        title="Largest position",
        description="beyond this (either way) the side that adds to it places nothing; 0: no limit",
    )


INFO = StrategyInfo(
    name="skewed-packer",
    summary="the packer, leaning each wallet's quotes against its position",
    risk=RiskPolicy(maker_only=True),
    params_model=SkewParams,
)


def _units18(value: Decimal) -> int:
    return int(value * AMOUNT_SCALE)


class SkewedPackerStrategy:
    info = INFO

    def decide(self, view: TickView) -> Mapping[int, WalletPlan]:
        params = view.params if isinstance(view.params, SkewParams) else SkewParams()
        plans = {}
        for slot in view.wallets:
            skew = inventory_skew(
                position18=slot.position18,
                target18=_units18(params.target_position),
                max_position18=_units18(params.max_position),
                tick6=view.rules.tick6,
                ticks_per_unit=params.skew_ticks_per_unit,
                max_shift_ticks=params.max_skew_ticks,
                size_skew_bps=params.size_skew_bps,
            )
            plans[slot.index] = plan_slot(view, slot, skew)
        return plans
