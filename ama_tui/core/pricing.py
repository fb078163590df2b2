"""Where a wallet quotes and how much: the original tool's spread rule, made integer and safe.

The original tool spread each wallet's levels with a deterministic wobble
`(sin((seed + 1) * 999 + (level + 1) * 1337) + 1) / 2` and sized them with a jitter
`(cos((index + 1) * 123 + (level + 1) * 77) + 1) / 2`. Those two floats only *pick* an integer
(a distance in ticks, an amount in 18-decimal units); every price and size decision after that
is integer arithmetic, so a quote is always on the tick grid and never carries float noise.
"""

from __future__ import annotations

import math
from typing import Final

from ama_tui.core.units import MAX_PRICE6

MIN_BUFFER_TICKS: Final = 2
"""A quote always stays at least this many ticks off the opposite best price."""


def floor_to_tick(value6: int, tick6: int) -> int:
    """The largest multiple of `tick6` that is <= `value6`."""
    return value6 // tick6 * tick6


def ceil_to_tick(value6: int, tick6: int) -> int:
    """The smallest multiple of `tick6` that is >= `value6`."""
    return -(-value6 // tick6) * tick6


def max_price6_on_grid(tick6: int) -> int:
    """The highest price the packer may quote on this tick (0 when the tick itself is too big)."""
    return floor_to_tick(MAX_PRICE6, tick6)


def wobble(wallet_seed: int, level: int) -> float:
    """The original tool's per-wallet, per-level distance wobble, in [0, 1]."""
    return (math.sin((wallet_seed + 1) * 999 + (level + 1) * 1337) + 1) / 2


def jitter(wallet_index: int, level: int) -> float:
    """The original tool's per-wallet, per-level size jitter, in [0, 1]."""
    return (math.cos((wallet_index + 1) * 123 + (level + 1) * 77) + 1) / 2


def buffer_ticks(min_distance_ticks: int) -> int:
    """How far (in ticks) a quote keeps from the opposite best price: `max(2, min // 4)`."""
    return max(MIN_BUFFER_TICKS, min_distance_ticks // 4)


def safety_floor_ticks(sigma6: float | None, latency_s: float, sigmas: float, tick6: int) -> int:
    """The distance (in ticks) the market is expected to move over one relay round trip, times
    `sigmas`: `ceil(sigmas * sigma6 * sqrt(latency_s) / tick6)`. `sigma6` is the mid's volatility in
    price6 per square-root second (None or 0: unknown or still, no floor). Floats only pick the integer."""
    if not sigma6 or sigma6 <= 0 or latency_s <= 0 or sigmas <= 0 or tick6 <= 0:
        return 0
    ticks = sigmas * sigma6 * math.sqrt(latency_s) / tick6
    return math.ceil(min(ticks, 1e12))


def distance_band(min_distance_ticks: int, max_distance_ticks: int, floor_ticks: int) -> tuple[int, int]:
    """The band [low, high] (ticks from the anchor) where a wallet's orders belong: the configured
    band, pushed out as a whole when the safety floor lies above its low edge."""
    low = max(min_distance_ticks, floor_ticks)
    high = max(max_distance_ticks, low + (max_distance_ticks - min_distance_ticks))
    return low, max(high, low + 1)


def distance_ticks(wallet_seed: int, level: int, min_distance_ticks: int, max_distance_ticks: int) -> int:
    """`min + floor(wobble * max(1, max - min))`: the level's distance from the anchor in ticks."""
    span = max(1, max_distance_ticks - min_distance_ticks)
    return min_distance_ticks + math.floor(wobble(wallet_seed, level) * span)


def pick_non_crossing_price(
    *,
    mid6: int,
    is_buy: bool,
    wallet_seed: int,
    level: int,
    best_bid6: int,
    best_ask6: int,
    tick6: int,
    min_distance_ticks: int,
    max_distance_ticks: int,
    min_buffer_ticks: int = 0,
) -> int | None:
    """A tick-aligned limit price for one level that cannot cross the book, or None.

    Rounding is conservative: a buy rounds *down* and a sell rounds *up* to the tick, so a quote
    is never closer to `mid6` than its distance. A buy is then held at or below
    `floor_to_tick(best_ask - buffer * tick)` and a sell at or above `ceil_to_tick(best_bid +
    buffer * tick)` (kept on the grid even when the book's prices are not), and both are clamped
    to `[tick, MAX_PRICE6]` on the grid.

    None when there is no safe price: `mid6` or `tick6` not positive; a crossed or locked book
    (both sides present, bid >= ask) or a negative best price (bad data); or when, after the
    clamps, a buy is not at least `buffer` ticks below the best ask (or a sell above the best
    bid), or a buy is not strictly below `mid6` (a sell strictly above it) — the latter keeps one
    wallet's new buys and sells from ever meeting each other. `0` is an empty side.
    `min_buffer_ticks` widens the buffer (the safety floor: the move expected over one round trip).
    """
    if mid6 <= 0 or tick6 <= 0 or best_bid6 < 0 or best_ask6 < 0:
        return None
    has_bid = best_bid6 > 0
    has_ask = best_ask6 > 0
    if has_bid and has_ask and best_bid6 >= best_ask6:
        return None
    highest = max_price6_on_grid(tick6)
    if highest <= 0:
        return None

    distance6 = distance_ticks(wallet_seed, level, min_distance_ticks, max_distance_ticks) * tick6
    buffer6 = max(buffer_ticks(min_distance_ticks), min_buffer_ticks) * tick6

    if is_buy:
        price = floor_to_tick(mid6 - distance6, tick6)
        ask_limit = floor_to_tick(best_ask6 - buffer6, tick6) if has_ask else None
        if ask_limit is not None:
            price = min(price, ask_limit)
        price = min(max(price, tick6), highest)
        if price <= 0 or price >= mid6:
            return None
        if ask_limit is not None and (price > ask_limit or price >= best_ask6):
            return None
        return price

    price = ceil_to_tick(mid6 + distance6, tick6)
    bid_limit = ceil_to_tick(best_bid6 + buffer6, tick6) if has_bid else None
    if bid_limit is not None:
        price = max(price, bid_limit)
    price = min(max(price, tick6), highest)
    if price <= 0 or price <= mid6:
        return None
    if bid_limit is not None and (price < bid_limit or price <= best_bid6):
        return None
    return price


def size_for_level(wallet_index: int, level: int, size_min18: int, size_max18: int) -> int:
    """`size_min + floor(jitter * (size_max - size_min))`, exact, always in [size_min, size_max].

    The jitter float is taken as its exact ratio of integers, so multiplying it by an 18-decimal
    span never loses or invents units.
    """
    if size_min18 <= 0:
        raise ValueError("size_min18 must be positive")
    if size_max18 < size_min18:
        raise ValueError("size_max18 must not be below size_min18")
    numerator, denominator = jitter(wallet_index, level).as_integer_ratio()
    size = size_min18 + (size_max18 - size_min18) * numerator // denominator
    return min(max(size, size_min18), size_max18)
