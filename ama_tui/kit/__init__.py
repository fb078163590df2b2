"""The strategy kit: what a user's strategy file imports (`from ama_tui.kit import Trading`).

Standard library only, and nothing else of ama_tui: it is all a confined strategy process has.
"""

from ama_tui.kit.calls import CallArgs, MarketRef, Method, NoArgs, OrderRef, OrderRequest
from ama_tui.kit.models import (
    Fill,
    MarketData,
    Order,
    OrderStatus,
    OrderType,
    Portfolio,
    Position,
    Quote,
    Side,
    Status,
)
from ama_tui.kit.trading import Trading, TradingError

__all__ = [
    "CallArgs",
    "Fill",
    "MarketData",
    "MarketRef",
    "Method",
    "NoArgs",
    "Order",
    "OrderRef",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "Portfolio",
    "Position",
    "Quote",
    "Side",
    "Status",
    "Trading",
    "TradingError",
]
