"""Order sizes in base units, from the run config: fixed base amounts, or a quote notional (USDC)
converted at the anchor price, so one default fits a $0.25 asset and a $60,000 one alike."""

from __future__ import annotations

from ama_tui.core.models import RunConfig
from ama_tui.core.units import AMOUNT_SCALE, usdc6


def amount18_for_notional(notional6: int, price6: int) -> int:
    """Base units worth `notional6` USDC at `price6` (floored; at least one unit)."""
    if price6 <= 0:
        raise ValueError("price6 must be positive")
    return max(1, notional6 * AMOUNT_SCALE // price6)


def size_range18(config: RunConfig, anchor6: int) -> tuple[int, int] | None:
    """(size_min18, size_max18) for this cycle; None when sizes are notional and there is no anchor."""
    if config.size_min_usd is not None and config.size_max_usd is not None:
        if anchor6 <= 0:
            return None
        low = amount18_for_notional(usdc6(config.size_min_usd), anchor6)
        high = amount18_for_notional(usdc6(config.size_max_usd), anchor6)
        return low, max(low, high)
    return config.size_min18, config.size_max18
