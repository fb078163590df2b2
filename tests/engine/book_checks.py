"""Checks of the book against the parameters, read from the venue (never the engine's numbers)."""

from __future__ import annotations

from dataclasses import dataclass

from ama_tui.core.planner import choose_anchor6, distance6
from ama_tui.core.pricing import distance_band

from .helpers import Rig


@dataclass(frozen=True)
class BookReport:
    per_side: dict[str, tuple[int, int]]
    out_of_band: list[str]
    over_cap: list[str]
    anchor6: int


def check_book(rig: Rig, *, floor_ticks: int | None = None) -> BookReport:
    """Every wallet's orders per side, the orders outside the current band (plus tolerance) and
    the wallets whose open-order margin is over the cap, as the venue reports them."""
    venue, info = rig.venue, rig.info
    packer = rig.params.current().packer
    addresses = [w.address for w in rig.wallets]
    top = venue.book(info.order_book, 1).top
    orders = venue.open_orders(info.order_book, addresses)
    available = venue.available_collateral(addresses)
    floor = rig.packer.snapshot().floor_ticks if floor_ticks is None else floor_ticks
    low, high = distance_band(packer.min_distance_ticks, packer.max_distance_ticks, floor)
    tolerance6 = packer.band_tolerance_ticks * info.tick6
    anchor6 = choose_anchor6(top)
    per_side: dict[str, tuple[int, int]] = {}
    out_of_band: list[str] = []
    over_cap: list[str] = []
    for address in addresses:
        held = orders.get(address, ())
        per_side[address] = (sum(o.is_buy for o in held), sum(not o.is_buy for o in held))
        for order in held:
            distance = distance6(order.price6, order.is_buy, anchor6)
            if not low * info.tick6 - tolerance6 <= distance <= high * info.tick6 + tolerance6:
                out_of_band.append(f"{address[:8]} {'buy' if order.is_buy else 'sell'} {order.price6}")
        reserved = sum(o.margin_required6 for o in held if o.is_margin_order)
        cap = max(0, available[address] + reserved) * packer.utilization_bps // 10_000
        if reserved > cap:
            over_cap.append(f"{address[:8]} reserved {reserved} > cap {cap}")
    return BookReport(per_side, out_of_band, over_cap, anchor6)
