"""Recent fills of our wallets, newest first: when, which wallet, side, price, size, whether the
order made or took the liquidity, its fee, and which order of ours it filled; the title keeps the
run's running totals (fills, the maker/taker split, volume, fees).

A fee is exact (a fee is often a fraction of a cent) and `—` only when the venue did not say
(the embedded exchange charges none: 0; the chain's fee events give Dexetra's).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from functools import lru_cache
from typing import Final

from ama_tui.core.units import usdc_human
from ama_tui.engine.snapshot import EngineSnapshot, FillTotals
from ama_tui.tui.widgets.line_list import LineList
from ama_tui.tui.widgets.styled_line import LineBuilder, StyledLine
from ama_tui.tui.widgets.text import (
    NONE,
    amount_text,
    price_text,
    short_address,
    shows_zero,
    usdc_text,
    utc_clock,
)
from ama_tui.venues.base import Fill

MAX_FILLS: Final = 100
MAKER: Final = "maker"
TAKER: Final = "taker"
ROLE_WIDTH: Final = 5


def nicknames_by_address(snapshot: EngineSnapshot) -> dict[str, str]:
    return {wallet.address.lower(): wallet.nickname for wallet in snapshot.wallets}


def role_text(is_maker: bool | None, *, short: bool = False) -> tuple[str, str]:
    """(text, style): `maker`, `taker`, or `—` when the venue did not say (`M`, `T` short)."""
    if is_maker is None:
        return NONE.ljust(1 if short else ROLE_WIDTH), "dim"
    text = MAKER if is_maker else TAKER
    return text[0].upper() if short else text, "dim" if is_maker else "bold magenta"


@lru_cache(maxsize=4096)
def fee_text(fee6: int | None) -> str:
    """A fill's fee in USDC, exact and without trailing zeros (`0.0111`, `0`); `—` when unknown."""
    if fee6 is None:
        return NONE
    return format(usdc_human(fee6).normalize(), ",f")


_FORMS: Final = ((False, 2), (True, 2), (True, 1), (True, 0))
"""(one-letter role, how many of fee and order id) from the widest line to the narrowest."""


def fill_line(fill: Fill, nicknames: Mapping[str, str], tick6: int, width: int | None = None) -> StyledLine:
    """`12:00:05 Sim002 SELL  3,000.83   0.0290 maker fee 0.45 #1234` (UTC time of the fill; the
    order of ours it filled, when the venue says). Where that is wider than `width`, the role is
    one letter (`M`, `T`), then the order id and then the fee are left out, so nothing is cut
    inside a number and the role still shows beside the size at 80 columns."""
    line = StyledLine()
    for short, extras in _FORMS:
        line = _fill_line(fill, nicknames, tick6, short=short, extras=extras)
        if width is None or len(line.plain) <= width:
            break
    return line


def _fill_line(
    fill: Fill, nicknames: Mapping[str, str], tick6: int, *, short: bool, extras: int
) -> StyledLine:
    line = LineBuilder()
    line.append(utc_clock(fill.timestamp), style="dim")
    line.append(" ")
    line.append(nicknames.get(fill.trader.lower(), short_address(fill.trader)).ljust(7), style="cyan")
    line.append(" ")
    line.append("BUY " if fill.is_buy else "SELL", style="bold green" if fill.is_buy else "bold red")
    line.append(" ")
    line.append(price_text(fill.price6, tick6).rjust(10))
    line.append(" ")
    line.append(amount_text(fill.amount18).rjust(9))
    line.append(" ")
    line.append(*role_text(fill.is_maker, short=short))
    if extras >= 1:
        line.append(" fee ", style="dim")
        line.append(fee_text(fill.fee6), style="dim" if not fill.fee6 else "")
    if extras >= 2 and fill.order_id is not None:
        line.append(" ")
        line.append(f"#{fill.order_id}", style="dim")
    return line.build()


def fees_total_text(fees6: int | None) -> str:
    """The run's fees in USDC to the cent (`<0.01` for less than half a cent paid: not 0.00)."""
    if fees6 is None:
        return NONE
    return "<0.01" if fees6 > 0 and shows_zero(fees6) else usdc_text(fees6)


def totals_title(count: int, totals: FillTotals | None) -> str:
    """`Fills 76 · 70 maker 6 taker · 2.5000 = 7,501.00 USDC · fees —`: the run's fills so far
    (just the count when they were not added up)."""
    if totals is None:
        return f"Fills ({count})"
    fees = fees_total_text(totals.fees6)
    return (
        f"Fills {totals.fills} · {totals.maker} maker {totals.taker} taker · "
        f"{amount_text(totals.volume18)} = {usdc_text(totals.notional6)} USDC · fees {fees}"
    )


class FillsPanel(LineList):
    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._fills: Sequence[Fill] = ()
        self._nicknames: dict[str, str] = {}
        self._tick6 = 0

    def show(self, snapshot: EngineSnapshot) -> None:
        fills = snapshot.recent_fills[:MAX_FILLS]
        self.set_title(totals_title(snapshot.totals.fills, snapshot.fill_totals))
        if fills == self._fills:
            return
        self._fills = fills
        self._nicknames = nicknames_by_address(snapshot)
        self._tick6 = snapshot.market.tick6
        self.items_changed()

    def item_count(self) -> int:
        return len(self._fills)

    def item_key(self, index: int) -> Hashable:
        return self._fills[index].fill_id

    def item_text(self, index: int) -> StyledLine:
        return fill_line(self._fills[index], self._nicknames, self._tick6, self.size.width)
