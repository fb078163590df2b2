"""Inventory skew: how a wallet's position bends its quotes (the `skewed-packer` strategy).

A wallet drifting long should buy less and sell more: its quotes move down (the anchor shifts by
`ticks_per_unit` ticks per whole unit of position beyond the target, capped at `max_shift_ticks`),
its sells grow and its buys shrink (by `size_skew_bps` per unit, capped at 90 %), and at the maximum
position the side that would grow it further places nothing. Short is the mirror image. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from ama_tui.core.units import AMOUNT_SCALE

BPS = 10_000
MAX_SIZE_SKEW_BPS = 9_000
"""A side shrinks to no less than 10 % of its size (the minimum size still applies)."""


@dataclass(frozen=True, slots=True)
class Skew:
    """What `plan_wallet` changes for one wallet. `Skew()` changes nothing."""

    shift6: int = 0
    """Added to the anchor (negative: quotes move down)."""
    buy_scale_bps: int = BPS
    sell_scale_bps: int = BPS
    buys_allowed: bool = True
    sells_allowed: bool = True


def inventory_skew(
    *,
    position18: int,
    target18: int,
    max_position18: int,
    tick6: int,
    ticks_per_unit: int,
    max_shift_ticks: int,
    size_skew_bps: int,
) -> Skew:
    """The skew for a signed position against a target; `max_position18` 0 means no maximum."""
    excess18 = position18 - target18
    shift_ticks = (
        excess18 * ticks_per_unit // AMOUNT_SCALE
        if excess18 >= 0
        else -(-excess18 * ticks_per_unit // AMOUNT_SCALE)
    )
    shift_ticks = max(-max_shift_ticks, min(max_shift_ticks, shift_ticks))
    tilt = min(MAX_SIZE_SKEW_BPS, abs(excess18) * size_skew_bps // AMOUNT_SCALE)
    long = excess18 > 0
    return Skew(
        shift6=-shift_ticks * tick6,
        buy_scale_bps=BPS - tilt if long else BPS + tilt if excess18 < 0 else BPS,
        sell_scale_bps=BPS + tilt if long else BPS - tilt if excess18 < 0 else BPS,
        buys_allowed=max_position18 <= 0 or position18 < max_position18,
        sells_allowed=max_position18 <= 0 or position18 > -max_position18,
    )
