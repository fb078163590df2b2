"""The `Strategy` protocol and what a strategy declares about itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from pydantic import BaseModel

from ama_tui.core.planner import WalletPlan
from ama_tui.core.units import USDC_SCALE
from ama_tui.strategy.view import TickView


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    """The limits the engine holds a strategy to, on top of the collateral cap, dust, sessions,
    backoff and the kill switch that hold for every strategy.

    `maker_only`: every placement must rest (the engine's never-cross guard re-checks each one
    against a fresh top right before it is sent). Taker strategies (not maker-only) are held to a
    notional per trade and per minute instead (`usdc6`, 0 = none). The minute's cap holds for the
    fleet's takes together, or for each wallet's own with `minute_per_wallet`."""

    maker_only: bool = True
    max_trade_notional6: int = 0
    max_minute_notional6: int = 0
    minute_per_wallet: bool = False

    @classmethod
    def taker(
        cls, max_trade_notional: Decimal, max_minute_notional: Decimal, *, per_wallet: bool = False
    ) -> RiskPolicy:
        """A taker's policy from its parameters' caps in USDC (0: no cap)."""
        return cls(
            maker_only=False,
            max_trade_notional6=int(max_trade_notional * USDC_SCALE),
            max_minute_notional6=int(max_minute_notional * USDC_SCALE),
            minute_per_wallet=per_wallet,
        )


@dataclass(frozen=True, slots=True)
class StrategyInfo:
    name: str
    summary: str
    risk: RiskPolicy
    params_model: type[BaseModel] | None = None
    """The strategy's own parameters beyond the run's (`PackerParams`), by their JSON names."""


def risk_of(strategy: object, params: BaseModel | None) -> RiskPolicy:
    """The policy a strategy is held to with these parameters: its `risk_for(params)` when it sets
    its limits from its parameters (a taker's notional caps), else its declared `info.risk`."""
    risk_for = getattr(strategy, "risk_for", None)
    if callable(risk_for):
        policy = risk_for(params)
        if isinstance(policy, RiskPolicy):
            return policy
    info = getattr(strategy, "info", None)
    return info.risk if isinstance(info, StrategyInfo) else RiskPolicy()


class Strategy(Protocol):
    """Decides, each tick, what every wallet should cancel and place. A strategy whose limits
    depend on its parameters also has `risk_for(params) -> RiskPolicy` (see `risk_of`)."""

    @property
    def info(self) -> StrategyInfo: ...

    def decide(self, view: TickView) -> Mapping[int, WalletPlan]:
        """A plan per wallet index (a wallet left out does nothing this tick)."""
        ...
