"""One wallet's next moves: which orders to cancel and which levels to place, as an immutable plan.

`plan_wallet` is pure. It decides everything that keeps the packer safe — no crossing, tick
alignment, the collateral cap — and what keeps the book matching the parameters, so the engine
only has to carry the plan out.

Decisions worth knowing:

- **The cap** (`wallet_cap6`): the open orders' margin may use at most `maxWalletUtilization` of
  the wallet's collateral that positions do not hold, i.e. of `available + reserved` (the venue's
  free collateral plus what our own open orders reserve). Fills lock margin in positions, which
  shrinks that base and so the cap: a plan then cancels orders until the rest fits.
- **The band**: orders belong `[low, high]` ticks from the anchor, the configured distances pushed
  out by the safety floor (the move expected over one relay round trip). An order more than
  `bandToleranceTicks` outside it is replaced (at most `maxReplacePerCycle` a cycle), so the book
  follows the mid and any change of distances; a placement the planner cannot put inside the band
  is skipped, so nothing it places is cancelled again the next cycle.
- **Cancels**, in this order: a side over its target loses its extras (out-of-band ones first, then
  the farthest from the anchor; with no anchor the oldest); then out-of-band orders; then, while the
  kept orders' margin is over the cap, the farthest orders (with no anchor the largest margins).
  Counts and the cap converge in one cycle whatever the book; the band needs an anchor.
- Margin freed by the cancels of this same plan is *not* reused: it is only free once the cancel is
  confirmed, and the next cycle sees it.
- Placements go level by level, and within a level buy before sell: buy 0, sell 0, buy 1, ...
  A side that already holds `n` orders starts at level `n`, so when the cap is tight the emptier
  side is filled first and the collateral spreads over both sides.
- **What may still land counts as held.** A placement sent but not seen on the book yet
  (`in_flight`: the relay answered `pending`, or the answer was lost) takes its level, its price
  and its margin as if it rested; an order whose cancel is sent but not yet mined (`cancelling`)
  keeps its place in the side's count and its margin, and is not cancelled again. So a side never
  holds more than its target on chain, whichever of the trades is mined first. `WalletPlan.room`
  says how many more orders each side may take; a placement sent after a cancel answered
  `pending` uses that room only once the cancel is mined (the executor holds it back).
- A price that is already taken on that side (by an open order kept in the book, a placement in
  flight or an earlier placement of this plan) moves one tick further from the anchor, repeatedly,
  never toward the spread; if that walks off the price range or out of the band the level is skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ama_tui.core.margin import BPS_DENOMINATOR, estimate_margin6, reserved_margin6
from ama_tui.core.market import BookTop, InFlightPlacement, MarketRules, OpenOrder
from ama_tui.core.models import PackerParams
from ama_tui.core.pricing import (
    distance_band,
    max_price6_on_grid,
    pick_non_crossing_price,
    size_for_level,
)
from ama_tui.core.skew import BPS, Skew
from ama_tui.core.units import format_amount18, format_usdc6

SCALE_DOWN_NUM = 9
SCALE_DOWN_DEN = 10
"""An order over the remaining cap is shrunk to 90 % of what fits, leaving room for rounding."""


class CancelReason(StrEnum):
    OVER_TARGET = "over-target"
    """The side holds more orders than `ordersPerSidePerWallet`."""
    OUT_OF_BAND = "out-of-band"
    """The order drifted (or the band moved) more than the tolerance outside the band."""
    OVER_CAP = "over-cap"
    """The open orders' margin is over the wallet's cap."""


class SkipReason(StrEnum):
    NO_ANCHOR = "NO_ANCHOR"
    """No two-sided book, no mark, no side on a fresh market and no reference price."""
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
    NO_SIZE = "NO_SIZE"
    """Sizes are a notional and there is no price to convert them at."""
    RISK_GUARD = "RISK_GUARD"
    """The engine's guard refused what a strategy asked for (it would cross, break the cap, exceed
    the orders per side, or is not a valid order)."""


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
    reason: CancelReason = CancelReason.OVER_TARGET


@dataclass(frozen=True, slots=True)
class PlannedPlacement:
    is_buy: bool
    level: int
    price6: int
    amount18: int
    margin6: int
    """`estimate_margin6(price6, amount18, is_buy, margin_bps)`: what the contract will reserve."""
    tag: str = ""
    """A strategy's own name for the order, handed back with its id once placed (`WalletOutcome.tagged`)."""


@dataclass(frozen=True, slots=True)
class PlannedTake:
    """An order meant to trade at once against the book (a taker strategy's; never the packer's).
    `limit6` is the worst price it may trade at (a crossing limit order, which rests there if not
    all of it fills); 0 makes it a market order."""

    is_buy: bool
    amount18: int
    limit6: int = 0
    tag: str = ""


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
    band: tuple[int, int] = (0, 0)
    """[low, high] ticks from the anchor where this wallet's orders belong."""
    room: tuple[int, int] = (0, 0)
    """(buy, sell): how many orders each side may still take after this plan's cancels (its
    target less what it keeps, in flight included); the placements use at most that."""
    takes: tuple[PlannedTake, ...] = ()
    """Orders that trade at once, sent after the placements (taker strategies only)."""

    @property
    def planned_margin6(self) -> int:
        return sum(placement.margin6 for placement in self.placements)

    @classmethod
    def of(
        cls,
        wallet_index: int,
        *,
        cancels: tuple[PlannedCancel, ...] = (),
        placements: tuple[PlannedPlacement, ...] = (),
        takes: tuple[PlannedTake, ...] = (),
        anchor6: int = 0,
    ) -> WalletPlan:
        """A plan a strategy made by hand (no cap figures: the engine's guard checks the cap)."""
        return cls(
            wallet_index=wallet_index,
            cancels=cancels,
            placements=placements,
            skips=(),
            cap6=0,
            reserved6=0,
            remaining6_before=0,
            remaining6_after=0,
            anchor6=anchor6,
            takes=takes,
        )


def wallet_cap6(available6: int, reserved6: int, params: PackerParams) -> int:
    """The most margin a wallet's open orders may hold: `maxWalletUtilization` of the collateral
    positions do not hold, `(available + reserved) * round(util * 10000) / 10000` (0 if negative).
    `available6` is the venue's free collateral (net of order and position margin), `reserved6`
    the margin our open orders hold."""
    return max(0, available6 + reserved6) * params.utilization_bps // BPS_DENOMINATOR


def choose_anchor6(book: BookTop, reference6: int = 0) -> int:
    """The price the wallet quotes around: the mid of a sound two-sided book; else the mark of a
    market that has traded; else, on a market that never traded, the one side present; else the
    user's reference price (`referencePrice`); else 0 (none: nothing is placed).

    A zero mark means no trade yet: the last trade is then the 1.000000 placeholder the exchange
    writes at initialisation, not a price, and quoting around it would put a 1,450 USDC market's
    orders around 1.00. It is never used."""
    if book.mid6 > 0:
        return book.mid6
    if book.mark6 > 0:
        return book.mark6
    if not book.is_crossed and (book.best_bid6 > 0) != (book.best_ask6 > 0):
        return book.best_bid6 or book.best_ask6
    return max(0, reference6)


def _side_name(is_buy: bool) -> str:
    return "buy" if is_buy else "sell"


def _oldest_first(order: OpenOrder) -> tuple[int, int]:
    return (order.timestamp, order.order_id)


def distance6(order_price6: int, is_buy: bool, anchor6: int) -> int:
    """How far an order lies from the anchor on its own side (negative: on the wrong side)."""
    return anchor6 - order_price6 if is_buy else order_price6 - anchor6


@dataclass(frozen=True, slots=True)
class _Band:
    anchor6: int
    low6: int
    high6: int
    tolerance6: int

    def outside6(self, price6: int, is_buy: bool) -> int:
        """How far beyond the band plus its tolerance the price lies (0 when inside)."""
        distance = distance6(price6, is_buy, self.anchor6)
        return max(0, self.low6 - self.tolerance6 - distance, distance - self.high6 - self.tolerance6)


def _cancels(
    open_orders: Sequence[OpenOrder],
    targets: tuple[int, int],
    band: _Band | None,
    cap6: int,
    max_replace: int,
    cancelling: Collection[int],
) -> list[tuple[OpenOrder, CancelReason]]:
    """The cancels to send; an order whose cancel is already in flight (`cancelling`) is never
    chosen again, but it still counts toward its side and its margin until it is gone."""
    cancelled: list[tuple[OpenOrder, CancelReason]] = []

    def farthest_first(order: OpenOrder) -> tuple[int, int, int]:
        if band is None:
            return (-order.timestamp, -order.order_id, 0)  # no anchor: the oldest go first
        out = band.outside6(order.price6, order.is_buy)
        return (out, distance6(order.price6, order.is_buy, band.anchor6), -order.order_id)

    kept: list[OpenOrder] = []
    for is_buy, target in ((True, targets[0]), (False, targets[1])):
        side = [o for o in open_orders if o.is_buy == is_buy and o.order_id not in cancelling]
        if len(side) > target:
            ordered = sorted(side, key=farthest_first, reverse=True)
            extra = len(side) - target
            extras = sorted(ordered[:extra], key=_oldest_first)
            cancelled.extend((order, CancelReason.OVER_TARGET) for order in extras)
            side = ordered[extra:]
        kept.extend(side)
    leaving = [o for o in open_orders if o.order_id in cancelling]

    if band is not None:
        drifted = [o for o in kept if band.outside6(o.price6, o.is_buy) > 0]
        drifted.sort(key=farthest_first, reverse=True)
        for order in drifted[:max_replace]:
            cancelled.append((order, CancelReason.OUT_OF_BAND))
            kept.remove(order)

    held6 = reserved_margin6(kept) + reserved_margin6(leaving)
    if held6 > cap6:
        by_distance = sorted(
            (o for o in kept if o.is_margin_order and o.margin_required6 > 0),
            key=(lambda o: (o.margin_required6, -o.order_id, 0)) if band is None else farthest_first,
            reverse=True,
        )
        for order in by_distance:
            if held6 <= cap6:
                break
            cancelled.append((order, CancelReason.OVER_CAP))
            kept.remove(order)
            held6 -= order.margin_required6
    return cancelled


def _missing_levels(n_buys: int, n_sells: int, targets: tuple[int, int]) -> list[tuple[bool, int]]:
    """(is_buy, level) for every missing level: level by level, buy before sell."""
    return [
        (is_buy, level)
        for level in range(min(n_buys, n_sells), max(targets))
        for is_buy, held, target in ((True, n_buys, targets[0]), (False, n_sells, targets[1]))
        if held <= level < target
    ]


def plan_wallet(
    *,
    wallet_index: int,
    open_orders: Sequence[OpenOrder],
    available6: int,
    book: BookTop,
    rules: MarketRules,
    params: PackerParams,
    size_min18: int | None,
    size_max18: int | None,
    floor_ticks: int = 0,
    in_flight: Sequence[InFlightPlacement] = (),
    cancelling: Collection[int] = frozenset(),
    skew: Skew | None = None,
) -> WalletPlan:
    """Plan one cycle for one wallet. See the module docstring for the rules. `floor_ticks` is the
    safety floor (the move expected over one relay round trip); `size_min18`/`size_max18` None means
    sizes could not be decided (a notional with no price): nothing is placed. `in_flight`: this
    wallet's placements that may still land; `cancelling`: ids of its orders whose cancel is sent
    but not yet mined; `skew`: how the wallet's position bends its quotes (`core.skew`), None for
    none (the packer)."""
    target = params.orders_per_side
    skew = skew or Skew()
    targets = (target if skew.buys_allowed else 0, target if skew.sells_allowed else 0)
    resting6 = reserved_margin6(open_orders)
    flying6 = sum(estimate_margin6(p.price6, p.amount18, p.is_buy, rules.margin_bps) for p in in_flight)
    reserved6 = resting6 + flying6
    # the venue's free collateral does not know the placements in flight yet: the cap is of the
    # collateral as it stands, and what they will reserve is taken from what is left under it
    cap6 = wallet_cap6(available6, resting6, params)
    remaining_before = cap6 - reserved6
    anchor6 = choose_anchor6(book, params.reference6)
    tick6 = rules.tick6
    if anchor6 > 0 and skew.shift6:
        anchor6 = max(tick6, anchor6 + skew.shift6)
    low, high = distance_band(params.min_distance_ticks, params.max_distance_ticks, floor_ticks)
    sound = anchor6 > 0 and tick6 > 0 and not book.is_crossed
    band = _Band(anchor6, low * tick6, high * tick6, params.band_tolerance_ticks * tick6) if sound else None

    chosen = _cancels(open_orders, targets, band, cap6 - flying6, params.max_replace_per_cycle, cancelling)
    cancels = tuple(
        PlannedCancel(
            order_id=order.order_id,
            is_buy=order.is_buy,
            price6=order.price6,
            amount18=order.amount18,
            margin_required6=order.margin_required6,
            timestamp=order.timestamp,
            reason=reason,
        )
        for order, reason in chosen
    )
    gone = {order.order_id for order, _ in chosen}
    buys_kept = [o for o in open_orders if o.is_buy and o.order_id not in gone]
    sells_kept = [o for o in open_orders if not o.is_buy and o.order_id not in gone]
    buys_held = len(buys_kept) + sum(1 for p in in_flight if p.is_buy)
    sells_held = len(sells_kept) + sum(1 for p in in_flight if not p.is_buy)
    room = (max(0, targets[0] - buys_held), max(0, targets[1] - sells_held))

    wanted = _missing_levels(buys_held, sells_held, targets)
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
            band=(low, high),
            room=room,
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
    if band is None:
        skips.append(
            Skip(
                SkipReason.NO_ANCHOR,
                f"no price to quote around (an empty book on a market that never traded): "
                f"{len(wanted)} placements skipped; set referencePrice to give one",
            )
        )
        return done(remaining_before)
    if size_min18 is None or size_max18 is None:
        skips.append(
            Skip(SkipReason.NO_SIZE, f"no price to size the orders at: {len(wanted)} placements skipped")
        )
        return done(remaining_before)

    highest6 = max_price6_on_grid(tick6)
    taken: dict[bool, set[int]] = {
        True: {order.price6 for order in buys_kept} | {p.price6 for p in in_flight if p.is_buy},
        False: {order.price6 for order in sells_kept} | {p.price6 for p in in_flight if not p.is_buy},
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
            min_distance_ticks=low,
            max_distance_ticks=high,
            min_buffer_ticks=floor_ticks,
        )
        if price6 is not None:
            step = -tick6 if is_buy else tick6
            while price6 in taken[is_buy]:
                price6 += step
            if not 0 < price6 <= highest6 or band.outside6(price6, is_buy) > 0:
                price6 = None
        if price6 is None:
            skips.append(
                Skip(
                    SkipReason.NO_SAFE_PRICE,
                    f"{side} level {level}: no free price inside the band {low}-{high} ticks "
                    "that keeps off the other side",
                    is_buy,
                    level,
                )
            )
            continue

        amount18 = size_for_level(wallet_index, level, size_min18, size_max18)
        scale = skew.buy_scale_bps if is_buy else skew.sell_scale_bps
        if scale != BPS:
            amount18 = max(size_min18, amount18 * scale // BPS)
        margin6 = estimate_margin6(price6, amount18, is_buy, rules.margin_bps)
        if margin6 > remaining:
            required6 = margin6
            amount18 = amount18 * remaining * SCALE_DOWN_NUM // (required6 * SCALE_DOWN_DEN)
            margin6 = estimate_margin6(price6, amount18, is_buy, rules.margin_bps)
            if amount18 < size_min18:
                skips.append(
                    Skip(
                        SkipReason.BELOW_MIN_SIZE,
                        f"{side} level {level}: margin {format_usdc6(required6)} USDC over the "
                        f"{format_usdc6(remaining)} left under the cap; scaled to fit, the size "
                        f"{format_amount18(amount18, 6)} is below the minimum "
                        f"{format_amount18(size_min18, 6)}",
                        is_buy,
                        level,
                    )
                )
                continue
            if margin6 > remaining:
                skips.append(
                    Skip(
                        SkipReason.OVER_CAP,
                        f"{side} level {level}: margin {format_usdc6(margin6)} USDC still over the "
                        f"{format_usdc6(remaining)} left under the cap",
                        is_buy,
                        level,
                    )
                )
                continue

        taken[is_buy].add(price6)
        remaining -= margin6
        placements.append(PlannedPlacement(is_buy, level, price6, amount18, margin6))

    return done(remaining)
