"""What a strategy sees each tick: the market, every wallet it trades, its parameters, the clock.

Immutable and built by the engine from what it just read, so a strategy decides on one consistent
picture and cannot change anything by holding on to it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from ama_tui.core.market import BookTop, InFlightPlacement, MarketRules, OpenOrder
from ama_tui.core.models import PackerParams
from ama_tui.core.planner import WalletPlan


@dataclass(frozen=True, slots=True)
class WalletSlot:
    """One wallet as a strategy sees it (no key, no session: those stay in the engine)."""

    index: int
    address: str
    orders: tuple[OpenOrder, ...]
    in_flight: tuple[InFlightPlacement, ...]
    """Placements that may still land: they hold their level, price and margin."""
    cancelling: frozenset[int]
    """Ids of its orders whose cancel is sent but not mined yet."""
    available6: int
    position18: int
    """Signed: positive long."""
    entry6: int = 0


@dataclass(frozen=True, slots=True)
class FillView:
    """A fill of one of the fleet's wallets (`order_id` None when the venue did not say)."""

    fill_id: str
    wallet_index: int
    is_buy: bool
    price6: int
    amount18: int
    timestamp: float
    order_id: int | None = None
    is_maker: bool | None = None
    tx_hash: str | None = None


@dataclass(frozen=True, slots=True)
class TickView:
    now_s: float
    top: BookTop
    rules: MarketRules
    packer: PackerParams
    """The run's common parameters: distances, orders per side, the cap, the kill switch."""
    params: BaseModel | None
    """The strategy's own parameters (its `StrategyInfo.params_model`), None when it has none."""
    sizes18: tuple[int, int] | None
    """(min, max) order size this tick; None when sizes are a notional with no price to convert."""
    floor_ticks: int
    """The safety floor: the move expected over one relay round trip."""
    wallets: tuple[WalletSlot, ...]
    bids: tuple[tuple[int, int], ...] = ()
    """(price6, amount18) of the book's bid levels, best first (as deep as the engine reads)."""
    asks: tuple[tuple[int, int], ...] = ()
    fills: tuple[FillView, ...] = ()
    """The fleet's recent fills, oldest first (a strategy tells new ones by `fill_id`)."""


def fleet_prices(view: TickView, decided: Mapping[int, WalletPlan], but: int) -> list[tuple[bool, int]]:
    """(is_buy, price6) of every order of the other wallets that rests, may still land, or is
    planned this tick: what a take must never reach."""
    prices: list[tuple[bool, int]] = []
    for slot in view.wallets:
        if slot.index == but:
            continue
        prices.extend((o.is_buy, o.price6) for o in slot.orders)
        prices.extend((p.is_buy, p.price6) for p in slot.in_flight)
        plan = decided.get(slot.index)
        if plan is not None:
            prices.extend((p.is_buy, p.price6) for p in plan.placements)
    return prices
