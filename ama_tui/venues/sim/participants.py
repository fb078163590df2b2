"""The rest of the market: liquidity providers that keep depth around a reference price, and takers
that hit the book with market orders (which is what fills the packer's resting orders).

All their randomness comes from their market's own `random.Random`, used only while the market
steps, so the market's history depends on the seed and on the calls made into it, never on other
markets or on threads. Participants are not collateral-checked.

Liquidity providers never cross the book: a bid is held below the best ask and an ask above the best
bid as the book stands when it is placed, whoever rests there.
"""

from __future__ import annotations

import math
import random
from typing import Any, Final, Protocol

from ama_tui.core.pricing import ceil_to_tick, floor_to_tick, max_price6_on_grid
from ama_tui.core.units import AMOUNT_SCALE, MAX_PRICE6
from ama_tui.venues.sim.book import BookOrder
from ama_tui.venues.sim.markets import SimMarket, derived_address
from ama_tui.venues.sim.plain import as_bool, as_int, as_list
from ama_tui.venues.sim.presets import SimPreset

LP_COUNT: Final = 3
LP_LEVELS: Final = 5
"""Levels per side per provider."""
LP_HALF_SPREAD_BPS: Final = 5
LP_LEVEL_GAP_BPS: Final = 5
LOT18: Final = 10**14
"""Participant sizes are whole multiples of 0.0001 units."""
TAKER_COUNT: Final = 4


class MarketOps(Protocol):
    """What participants may do to their market's book (the venue books the consequences)."""

    @property
    def best_bid6(self) -> int: ...

    @property
    def best_ask6(self) -> int: ...

    def order(self, order_id: int) -> BookOrder | None: ...

    def place_limit(self, trader: str, price6: int, amount18: int, is_buy: bool) -> int: ...

    def cancel(self, order_id: int) -> None: ...

    def place_market(self, trader: str, amount18: int, is_buy: bool, worst_price6: int) -> int:
        """Returns the amount filled."""
        ...


def _lot(amount: float) -> int:
    return max(1, int(amount * AMOUNT_SCALE) // LOT18) * LOT18


class LiquidityProvider:
    """A ladder of `LP_LEVELS` quotes a side. A re-quote keeps every order within half a level gap of
    its target price (unless mostly filled) and replaces the others, so a calm market costs few book
    operations."""

    __slots__ = ("address", "index", "slots")

    def __init__(self, symbol: str, index: int) -> None:
        self.index = index
        self.address = derived_address(f"ama-tui-sim/lp/{symbol}/{index}")
        self.slots: dict[tuple[bool, int], int] = {}
        """(is_buy, level) -> the order id quoting it."""

    def requote(self, ops: MarketOps, rng: random.Random, market: SimMarket, reference6: int) -> None:
        """Bring the ladder to `reference6`: bids first, then asks. When the book stands on the other
        side of the reference, level k is held k + 1 ticks behind the opposite best price, so the
        ladder never crosses and never collapses onto one price."""
        tick6 = market.tick6
        level_size = market.level_notional6 / reference6
        highest = max_price6_on_grid(tick6)
        slots = self.slots
        tolerance6 = max(tick6, reference6 * LP_LEVEL_GAP_BPS // 20_000)
        for is_buy in (True, False):
            for level in range(LP_LEVELS):
                bps = LP_HALF_SPREAD_BPS + LP_LEVEL_GAP_BPS * level + 2 * self.index
                distance6 = max((level + 1) * tick6, reference6 * bps // 10_000)
                if is_buy:
                    price6 = floor_to_tick(reference6 - distance6, tick6)
                else:
                    price6 = min(ceil_to_tick(reference6 + distance6, tick6), highest)
                key = (is_buy, level)
                current = slots.get(key)
                if current is not None:
                    order = ops.order(current)
                    if order is not None:
                        near = abs(order.price6 - price6) <= tolerance6
                        if near and order.amount18 * 10 >= order.original_amount18 * 3:
                            continue
                        ops.cancel(current)
                    del slots[key]
                if is_buy:
                    best_ask = ops.best_ask6
                    if best_ask:
                        price6 = min(price6, best_ask - (level + 1) * tick6)
                    if price6 < tick6:
                        continue
                else:
                    best_bid = ops.best_bid6
                    if best_bid:
                        price6 = max(price6, best_bid + (level + 1) * tick6)
                    if price6 > highest:
                        continue
                amount18 = _lot(level_size * (0.5 + rng.random()))
                slots[key] = ops.place_limit(self.address, price6, amount18, is_buy)


class MarketParticipants:
    """One market's providers and takers."""

    __slots__ = ("_lps", "_market", "_preset", "_takers")

    def __init__(self, market: SimMarket, preset: SimPreset) -> None:
        self._market = market
        self._preset = preset
        self._lps = tuple(LiquidityProvider(market.symbol, i) for i in range(LP_COUNT))
        self._takers = tuple(
            derived_address(f"ama-tui-sim/taker/{market.symbol}/{i}") for i in range(TAKER_COUNT)
        )

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(lp.address for lp in self._lps) + self._takers

    def to_plain(self) -> list[Any]:
        """What the participants remember between steps: each provider's (is_buy, level, order id)."""
        return [
            [[is_buy, level, order_id] for (is_buy, level), order_id in lp.slots.items()] for lp in self._lps
        ]

    def load_plain(self, data: list[Any]) -> None:
        """Take back the providers' slots of `to_plain` (on participants that have not quoted yet)."""
        rows = as_list(data)
        if len(rows) != len(self._lps):
            raise ValueError(f"expected the slots of {len(self._lps)} liquidity providers, got {len(rows)}")
        for lp, slots in zip(self._lps, rows, strict=True):
            lp.slots.clear()
            for is_buy, level, order_id in as_list(slots):
                if not 0 <= as_int(level) < LP_LEVELS:
                    raise ValueError(f"a provider has no level {level}")
                lp.slots[(as_bool(is_buy), level)] = as_int(order_id, minimum=1)

    def warm_up(self, ops: MarketOps, rng: random.Random, reference6: int) -> None:
        for lp in self._lps:
            lp.requote(ops, rng, self._market, reference6)

    def step(
        self, ops: MarketOps, rng: random.Random, reference6: int, dt: float, taker_factor: float = 1.0
    ) -> None:
        """One step of `dt` seconds: some providers re-quote, maybe one taker arrives."""
        preset = self._preset
        refresh_p = min(1.0, dt / preset.lp_refresh_s) if preset.lp_refresh_s > 0 else 0.0
        for lp in self._lps:
            if rng.random() < refresh_p:
                lp.requote(ops, rng, self._market, reference6)
        taker_p = min(1.0, preset.taker_rate * dt * taker_factor)
        if taker_p <= 0 or rng.random() >= taker_p:
            return
        taker = self._takers[rng.randrange(len(self._takers))]
        is_buy = rng.random() < 0.5
        size = self._market.level_notional6 / reference6 * preset.taker_size * (0.2 + 1.3 * rng.random())
        self.take(ops, taker, is_buy, _lot(size), reference6)

    def take(self, ops: MarketOps, taker: str, is_buy: bool, amount18: int, reference6: int) -> int:
        """A market order that sweeps at most `taker_reach` (and one tick) past the reference."""
        tick6 = self._market.tick6
        reach = self._preset.taker_reach
        if is_buy:
            worst6 = min(ceil_to_tick(math.ceil(reference6 * (1 + reach)) + tick6, tick6), MAX_PRICE6)
            best = ops.best_ask6
            if not best or best > worst6:
                return 0
        else:
            worst6 = max(floor_to_tick(math.floor(reference6 * (1 - reach)) - tick6, tick6), tick6)
            best = ops.best_bid6
            if not best or best < worst6:
                return 0
        return ops.place_market(taker, amount18, is_buy, worst6)
