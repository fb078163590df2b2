"""Margin reserved by an order, exactly as the OrderBook contract computes it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ama_tui.core.market import OpenOrder
from ama_tui.core.units import AMOUNT_SCALE

SELL_MARGIN_BPS: Final = 15_000
"""Sells always reserve 150 % on-chain, whatever the market's margin requirement."""

BPS_DENOMINATOR: Final = 10_000


def notional6(price6: int, amount18: int) -> int:
    """USDC notional of `amount18` at `price6`, floored like the contract."""
    return amount18 * price6 // AMOUNT_SCALE


def margin_on_notional6(notional6: int, is_buy: bool, margin_bps: int) -> int:
    """Margin the contract reserves on a USDC `notional6`: `margin_bps` for a buy, SELL_MARGIN_BPS
    for a sell (integer division, floor)."""
    bps = margin_bps if is_buy else SELL_MARGIN_BPS
    return notional6 * bps // BPS_DENOMINATOR


def estimate_margin6(price6: int, amount18: int, is_buy: bool, margin_bps: int) -> int:
    """Margin the contract reserves for a margin limit order (integer division, floor)."""
    return margin_on_notional6(notional6(price6, amount18), is_buy, margin_bps)


def reserved_margin6(orders: Iterable[OpenOrder]) -> int:
    """Margin held by the open orders: the sum of the margin orders' `margin_required6`."""
    return sum(order.margin_required6 for order in orders if order.is_margin_order)
