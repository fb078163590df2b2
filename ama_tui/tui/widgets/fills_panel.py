"""Recent fills of our wallets, newest first."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Final

from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.widgets.line_list import LineList
from ama_tui.tui.widgets.styled_line import LineBuilder, StyledLine
from ama_tui.tui.widgets.text import amount_text, price_text, short_address, utc_clock
from ama_tui.venues.base import Fill

MAX_FILLS: Final = 100


def nicknames_by_address(snapshot: EngineSnapshot) -> dict[str, str]:
    return {wallet.address.lower(): wallet.nickname for wallet in snapshot.wallets}


def fill_line(fill: Fill, nicknames: Mapping[str, str], tick6: int) -> StyledLine:
    """`12:00:05 Sim002 SELL  3,000.83   0.0290` (UTC time of the fill)."""
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
    return line.build()


class FillsPanel(LineList):
    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._fills: Sequence[Fill] = ()
        self._nicknames: dict[str, str] = {}
        self._tick6 = 0

    def show(self, snapshot: EngineSnapshot) -> None:
        fills = snapshot.recent_fills[:MAX_FILLS]
        self.set_title(f"Fills ({snapshot.totals.fills})")
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
        return fill_line(self._fills[index], self._nicknames, self._tick6)
