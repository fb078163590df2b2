"""Recent fills of our wallets, newest first: when, which wallet, side, price, size, whether the
order made or took the liquidity, and which order of ours it filled; the title keeps the run's
running totals (fills, the maker/taker split, volume, fees).

No venue reports a fill's fee (the sim does not charge one; the relay's fill feed carries none),
so the totals say `fees —` rather than a made-up 0.00.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Final

from ama_tui.engine.snapshot import EngineSnapshot, FillTotals
from ama_tui.tui.widgets.line_list import LineList
from ama_tui.tui.widgets.styled_line import LineBuilder, StyledLine
from ama_tui.tui.widgets.text import NONE, amount_text, price_text, short_address, usdc_text, utc_clock
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


def fill_line(fill: Fill, nicknames: Mapping[str, str], tick6: int, width: int | None = None) -> StyledLine:
    """`12:00:05 Sim002 SELL  3,000.83   0.0290 maker #1234` (UTC time of the fill; the order of
    ours it filled, when the venue says). Where that is wider than `width`, the role is one
    letter (`M`, `T`), so it still shows beside the size at 80 columns."""
    line = _fill_line(fill, nicknames, tick6, short=False)
    if width is not None and len(line.plain) > width:
        return _fill_line(fill, nicknames, tick6, short=True)
    return line


def _fill_line(fill: Fill, nicknames: Mapping[str, str], tick6: int, *, short: bool) -> StyledLine:
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
    if fill.order_id is not None:
        line.append(" ")
        line.append(f"#{fill.order_id}", style="dim")
    return line.build()


def totals_title(count: int, totals: FillTotals | None) -> str:
    """`Fills 76 · 70 maker 6 taker · 2.5000 = 7,501.00 USDC · fees —`: the run's fills so far
    (just the count when they were not added up)."""
    if totals is None:
        return f"Fills ({count})"
    fees = NONE if totals.fees6 is None else usdc_text(totals.fees6)
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
