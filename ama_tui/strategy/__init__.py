"""The seam between the engine and a strategy: what a strategy reads each tick (`TickView`), what
it answers (a `WalletPlan` per wallet: cancels and limit placements), the risk policy it declares,
and the guard the engine applies to every answer whatever the strategy. A strategy never touches
a venue, a key or a file; the engine carries its plans out."""

from ama_tui.strategy.base import RiskPolicy, Strategy, StrategyInfo
from ama_tui.strategy.view import FillView, TickView, WalletSlot

__all__ = ["FillView", "RiskPolicy", "Strategy", "StrategyInfo", "TickView", "WalletSlot"]
