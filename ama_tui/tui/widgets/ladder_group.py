"""Price grouping for the ladder: a row stands for `group` ticks of price, so a trader can zoom out
to see where depth (and our orders, a safety floor away) lies, and back in to single ticks.

A bid is grouped down and an ask up to a multiple of the row's step (as exchanges group their
books), so a grouped bid never reads above the real best bid, nor a grouped ask below the best
ask: the grouped sides never cross. Sizes and order counts of the levels in a row add up. Integers
only (price6, amount18).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from ama_tui.venues.base import DepthLevel

GROUPS: Final = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
"""Ticks per ladder row, from no grouping up to a thousand ticks."""


def zoom(group: int, steps: int) -> int:
    """The grouping `steps` along `GROUPS` from `group` (positive: coarser), clamped to its ends.
    A grouping not in `GROUPS` starts from the nearest coarser one."""
    index = next((i for i, g in enumerate(GROUPS) if g >= group), len(GROUPS) - 1)
    return GROUPS[max(0, min(len(GROUPS) - 1, index + steps))]


def row_price(price6: int, is_bid: bool, step6: int) -> int:
    """The price of the row holding `price6`: a bid down, an ask up to a multiple of `step6`."""
    if step6 <= 1:
        return price6
    if is_bid:
        return price6 // step6 * step6
    return -(-price6 // step6) * step6


def group_side(levels: Sequence[DepthLevel], is_bid: bool, step6: int) -> Sequence[DepthLevel]:
    """One side of the book (best first) in rows of `step6`, best first, sizes and counts summed."""
    if step6 <= 1 or not levels:
        return levels
    rows: list[DepthLevel] = []
    for level in levels:
        price6 = row_price(level.price6, is_bid, step6)
        if rows and rows[-1].price6 == price6:
            last = rows[-1]
            rows[-1] = DepthLevel(
                price6, last.amount18 + level.amount18, last.order_count + level.order_count
            )
        else:
            rows.append(DepthLevel(price6, level.amount18, level.order_count))
    return tuple(rows)


def group_ours(
    ours: Mapping[tuple[bool, int], tuple[int, int]], step6: int
) -> dict[tuple[bool, int], tuple[int, int]]:
    """Our orders' (is_buy, price6) -> (count, amount18) in rows of `step6`, summed per row."""
    if step6 <= 1:
        return dict(ours)
    rows: dict[tuple[bool, int], tuple[int, int]] = {}
    for (is_buy, price6), (count, amount18) in ours.items():
        key = (is_buy, row_price(price6, is_buy, step6))
        held_count, held_amount18 = rows.get(key, (0, 0))
        rows[key] = (held_count + count, held_amount18 + amount18)
    return rows


def cumulative(amounts: Iterable[int]) -> list[int]:
    """Running sums from the spread outward: the depth a taker would eat down to each level."""
    sums: list[int] = []
    total = 0
    for amount in amounts:
        total += amount
        sums.append(total)
    return sums
