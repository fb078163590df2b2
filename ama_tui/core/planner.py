"""One wallet's next moves: which orders to cancel and which levels to place, as an immutable plan.

`plan_wallet` is pure. It decides everything that keeps the packer safe — no crossing, tick
alignment, the collateral cap — so the engine only has to carry the plan out.

Decisions worth knowing:

- The cap is `available6 * utilization_bps // 10000` (a negative `available6` counts as 0).
  `reserved6` is the margin the wallet's open margin orders hold. Margin freed by the cancels
  of this same plan is *not* reused here: it is only free once the cancel is confirmed, and the
  next cycle sees it. (Cancels only happen on a side that is over full, so that side places
  nothing in the same plan anyway.)
- Cancels do not depend on the book: excess orders are cancelled even when the book is
  crossed or there is no anchor price; only placements are skipped then.
- Placements go level by level, and within a level buy before sell: buy 0, sell 0, buy 1, ...
  A side that already holds `n` orders starts at level `n`, so when the cap is tight the emptier
  side is filled first and the collateral spreads over both sides.
- A price that is already taken on that side (by an open order kept in the book or an earlier
  placement of this plan) moves one tick further from the anchor, repeatedly, never toward the
  spread; if that walks off the price range the level is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ama_tui.core.margin import BPS_DENOMINATOR, estimate_margin6, reserved_margin6
from ama_tui.core.market import BookTop, MarketRules, OpenOrder
from ama_tui.core.models import PackerParams
from ama_tui.core.pricing import max_price6_on_grid, pick_non_crossing_price, size_for_level

EXCESS_FACTOR = 2
"""A side is trimmed back to the target only once it holds more than this many times the target."""

SCALE_DOWN_NUM = 9
SCALE_DOWN_DEN = 10
"""An order over the remaining cap is shrunk to 90 % of what fits, leaving room for rounding."""


class SkipReason(StrEnum):
    NO_ANCHOR = "NO_ANCHOR"
    """No two-sided book, no mark and no last trade: nothing to quote around."""
    CROSSED_BOOK = "CROSSED_BOOK"
    """Best bid >= best ask: bad data, no placements."""
    NO_SAFE_PRICE = "NO_SAFE_PRICE"
    """The level has no price that is on the grid, in range and off the opposite side."""
    OVER_CAP = "OVER_CAP"
    """Even scaled down, the order's margin exceeds what is left under the cap."""
    BELOW_MIN_SIZE = "BELOW_MIN_SIZE"
    """Scaled down to fit the cap, the order would be smaller than the minimum size."""
    CAP_REACHED = "CAP_REACHED"
    """Nothing is left under the cap."""


@dataclass(frozen=True, slots=True)
class Skip:
    """A placement the plan wanted but did not make. `is_buy`/`level` are None for plan-wide skips."""

    reason: SkipReason
    message: str
    is_buy: bool | None = None
    level: int | None = None


@dataclass(frozen=True, slots=True)
class PlannedCancel:
    order_id: int
    is_buy: bool
    price6: int
    amount18: int
    margin_required6: int
    timestamp: int


@dataclass(frozen=True, slots=True)
class PlannedPlacement:
    is_buy: bool
    level: int
    price6: int
    amount18: int
    margin6: int
    """`estimate_margin6(price6, amount18, is_buy, margin_bps)`: what the contract will reserve."""


@dataclass(frozen=True, slots=True)
class WalletPlan:
    wallet_index: int
    cancels: tuple[PlannedCancel, ...]
    placements: tuple[PlannedPlacement, ...]
    skips: tuple[Skip, ...]
    cap6: int
    reserved6: int
    remaining6_before: int
    remaining6_after: int
    anchor6: int

    @property
    def planned_margin6(self) -> int:
        return sum(placement.margin6 for placement in self.placements)


def wallet_cap6(available6: int, params: PackerParams) -> int:
    """The most margin a wallet may hold: `available6 * round(util * 10000) / 10000` (0 if negative)."""
    return max(0, available6) * params.utilization_bps // BPS_DENOMINATOR


def choose_anchor6(book: BookTop) -> int:
    """The price the wallet quotes around: the mid of a sound two-sided book, else the mark,
    else the last trade, else 0 (none)."""
    for candidate in (book.mid6, book.mark6, book.last_trade6):
        if candidate > 0:
            return candidate
    return 0


def _side_name(is_buy: bool) -> str:
    return "buy" if is_buy else "sell"


def _oldest_first(order: OpenOrder) -> tuple[int, int]:
    return (order.timestamp, order.order_id)


def _trim(orders: list[OpenOrder], target: int) -> tuple[list[OpenOrder], list[OpenOrder]]:
    """(kept, cancelled): when a side holds more than EXCESS_FACTOR x target, the oldest go."""
    if len(orders) <= EXCESS_FACTOR * target:
        return orders, []
    ordered = sorted(orders, key=_oldest_first)
    excess = len(ordered) - target
    return ordered[excess:], ordered[:excess]


def _missing_levels(n_buys: int, n_sells: int, target: int) -> list[tuple[bool, int]]:
    """(is_buy, level) for every missing level: level by level, buy before sell."""
    return [
        (is_buy, level)
        for level in range(min(n_buys, n_sells), target)
        for is_buy, held in ((True, n_buys), (False, n_sells))
        if level >= held
    ]


def plan_wallet(
    *,
    wallet_index: int,
    open_orders: Sequence[OpenOrder],
    available6: int,
    book: BookTop,
    rules: MarketRules,
    params: PackerParams,
    size_min18: int,
    size_max18: int,
) -> WalletPlan:
    """Plan one cycle for one wallet. See the module docstring for the rules."""
    target = params.orders_per_side
    cap6 = wallet_cap6(available6, params)
    reserved6 = reserved_margin6(open_orders)
    remaining_before = cap6 - reserved6
    anchor6 = choose_anchor6(book)

    buys_kept, buys_cancelled = _trim([o for o in open_orders if o.is_buy], target)
    sells_kept, sells_cancelled = _trim([o for o in open_orders if not o.is_buy], target)
    cancels = tuple(
        PlannedCancel(
            order_id=order.order_id,
            is_buy=order.is_buy,
            price6=order.price6,
            amount18=order.amount18,
            margin_required6=order.margin_required6,
            timestamp=order.timestamp,
        )
        for order in (*buys_cancelled, *sells_cancelled)
    )

    wanted = _missing_levels(len(buys_kept), len(sells_kept), target)
    skips: list[Skip] = []
    placements: list[PlannedPlacement] = []

    def done(remaining_after: int) -> WalletPlan:
        return WalletPlan(
            wallet_index=wallet_index,
            cancels=cancels,
            placements=tuple(placements),
            skips=tuple(skips),
            cap6=cap6,
            reserved6=reserved6,
            remaining6_before=remaining_before,
            remaining6_after=remaining_after,
            anchor6=anchor6,
        )

    if not wanted:
        return done(remaining_before)
    if book.is_crossed:
        skips.append(
            Skip(
                SkipReason.CROSSED_BOOK,
                f"book is crossed (bid {book.best_bid6} >= ask {book.best_ask6}): "
                f"{len(wanted)} placements skipped",
            )
        )
        return done(remaining_before)
    if anchor6 <= 0:
        skips.append(
            Skip(
                SkipReason.NO_ANCHOR,
                f"no two-sided book, mark or last trade to quote around: {len(wanted)} placements skipped",
            )
        )
        return done(remaining_before)

    tick6 = rules.tick6
    highest6 = max_price6_on_grid(tick6) if tick6 > 0 else 0
    taken: dict[bool, set[int]] = {
        True: {order.price6 for order in buys_kept},
        False: {order.price6 for order in sells_kept},
    }
    remaining = remaining_before

    for is_buy, level in wanted:
        side = _side_name(is_buy)
        if remaining <= 0:
            skips.append(
                Skip(SkipReason.CAP_REACHED, f"{side} level {level}: collateral cap reached", is_buy, level)
            )
            continue
        price6 = pick_non_crossing_price(
            mid6=anchor6,
            is_buy=is_buy,
            wallet_seed=wallet_index,
            level=level,
            best_bid6=book.best_bid6,
            best_ask6=book.best_ask6,
            tick6=tick6,
            min_distance_ticks=params.min_distance_ticks,
            max_distance_ticks=params.max_distance_ticks,
        )
        if price6 is not None:
            step = -tick6 if is_buy else tick6
            while price6 in taken[is_buy]:
                price6 += step
            if not 0 < price6 <= highest6:
                price6 = None
        if price6 is None:
            skips.append(
                Skip(
                    SkipReason.NO_SAFE_PRICE,
                    f"{side} level {level}: no free price that keeps off the other side",
                    is_buy,
                    level,
                )
            )
            continue

        amount18 = size_for_level(wallet_index, level, size_min18, size_max18)
        margin6 = estimate_margin6(price6, amount18, is_buy, rules.margin_bps)
        if margin6 > remaining:
            required6 = margin6
            amount18 = amount18 * remaining * SCALE_DOWN_NUM // (required6 * SCALE_DOWN_DEN)
            margin6 = estimate_margin6(price6, amount18, is_buy, rules.margin_bps)
            if amount18 < size_min18:
                skips.append(
                    Skip(
                        SkipReason.BELOW_MIN_SIZE,
                        f"{side} level {level}: margin {required6} over the {remaining} left; "
                        f"scaled size {amount18} is below the minimum {size_min18}",
                        is_buy,
                        level,
                    )
                )
                continue
            if margin6 > remaining:
                skips.append(
                    Skip(
                        SkipReason.OVER_CAP,
                        f"{side} level {level}: margin {margin6} still over the {remaining} left",
                        is_buy,
                        level,
                    )
                )
                continue

        taken[is_buy].add(price6)
        remaining -= margin6
        placements.append(PlannedPlacement(is_buy, level, price6, amount18, margin6))

    return done(remaining)
