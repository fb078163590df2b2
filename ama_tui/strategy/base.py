"""The `Strategy` protocol and what a strategy declares about itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel

from ama_tui.core.planner import WalletPlan
from ama_tui.strategy.view import TickView


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    """The limits the engine holds a strategy to, on top of the collateral cap, dust, sessions,
    backoff and the kill switch that hold for every strategy.

    `maker_only`: every placement must rest (the engine's never-cross guard re-checks each one
    against a fresh top right before it is sent). Taker strategies (not maker-only) are held to a
    notional per trade and per minute instead (`usdc6`, 0 = none)."""

    maker_only: bool = True
    max_trade_notional6: int = 0
    max_minute_notional6: int = 0


@dataclass(frozen=True, slots=True)
class StrategyInfo:
    name: str
    summary: str
    risk: RiskPolicy
    params_model: type[BaseModel] | None = None
    """The strategy's own parameters beyond the run's (`PackerParams`), by their JSON names."""


class Strategy(Protocol):
    """Decides, each tick, what every wallet should cancel and place."""

    @property
    def info(self) -> StrategyInfo: ...

    def decide(self, view: TickView) -> Mapping[int, WalletPlan]:
        """A plan per wallet index (a wallet left out does nothing this tick)."""
        ...
