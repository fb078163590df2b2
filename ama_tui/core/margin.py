"""Margin reserved by an order, exactly as the OrderBook contract computes it."""

from __future__ import annotations

from typing import Final

from ama_tui.core.units import AMOUNT_SCALE

SELL_MARGIN_BPS: Final = 15_000
"""Sells always reserve 150 % on-chain, whatever the market's margin requirement."""

BPS_DENOMINATOR: Final = 10_000


def notional6(price6: int, amount18: int) -> int:
    """USDC notional of `amount18` at `price6`, floored like the contract."""
    return amount18 * price6 // AMOUNT_SCALE


def estimate_margin6(price6: int, amount18: int, is_buy: bool, margin_bps: int) -> int:
    """Margin the contract reserves for a margin limit order (integer division, floor)."""
    bps = margin_bps if is_buy else SELL_MARGIN_BPS
    return notional6(price6, amount18) * bps // BPS_DENOMINATOR
