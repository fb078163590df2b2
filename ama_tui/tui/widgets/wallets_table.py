"""The wallets panel: one row per wallet, keyed by address, diffed cell by cell.

`wallet_cells` is the pure part (what a row shows, as (text, style) pairs that compare cheaply).
`WalletsTable` is a keyed table on the Line API: `show` diffs each row's cells against the previous
snapshot's and repaints only the rows that changed; a row's strip is cached by its cells, so an
unchanged row is never rendered again. (Textual's DataTable re-renders every visible cell after
any `update_cell` — about 130 ms a repaint at 100 wallets on a loaded 2-core machine — which a
10 Hz dashboard cannot afford.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ama_tui.engine.snapshot import WalletView
from ama_tui.tui.widgets.styled_line import LineBuilder, StyledLine, line_strip
from ama_tui.tui.widgets.text import (
    NONE,
    amount_text,
    format_hms,
    pnl_style,
    signed_usdc6,
    truncate,
    usdc_text,
)
from ama_tui.tui.widgets.util_bar import utilization_cell

EXPIRY_WARN_S: Final = 5 * 60
"""A session expiring in less than this is shown in red (the engine renews it ahead of time)."""
ERROR_WIDTH: Final = 16

Cell = tuple[str, str]
"""(text, style): compared cheaply between snapshots, turned into a `Text` only when it changed."""


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    right: bool = True


COLUMNS: Final = (
    # Most telling first: at 80 columns the table shows up to `Available`, the rest scrolls.
    Column("wallet", "Wallet", 8, right=False),
    Column("orders", "B/S", 5),
    Column("util", "Util", 11, right=False),
    Column("position", "Position", 9),
    Column("pnl", "PnL", 9),
    Column("session", "Session", 8),
    Column("available", "Available", 10),
    Column("reserved", "Reserved", 9),
    Column("cap", "Cap", 9),
    Column("error", "Last error", ERROR_WIDTH, right=False),
)
COLUMN_KEYS: Final = tuple(column.key for column in COLUMNS)
SESSION: Final = COLUMN_KEYS.index("session")
"""The only cell of `wallet_cells` that depends on `now` rather than on the wallet."""


def expiry_cell(expiry: int | None, now: float) -> Cell:
    """Time left on the session as h:mm:ss; red under five minutes; `—` without a session."""
    if expiry is None:
        return NONE, "dim"
    left = expiry - now
    if left <= 0:
        return "expired", "bold red"
    return format_hms(left), "red" if left < EXPIRY_WARN_S else ""


def wallet_cells(wallet: WalletView, now: float) -> tuple[Cell, ...]:
    """The cells of a wallet's row, in `COLUMNS` order."""
    position_style = "" if wallet.position18 else "dim"
    return (
        (wallet.nickname, "bold"),
        (f"{wallet.open_buys}/{wallet.open_sells}", ""),
        utilization_cell(wallet.utilization_bps),
        (amount_text(wallet.position18), position_style),
        (signed_usdc6(wallet.pnl6), pnl_style(wallet.pnl6)),
        expiry_cell(wallet.session_expiry, now),
        (usdc_text(wallet.available6), ""),
        (usdc_text(wallet.reserved6), ""),
        (usdc_text(wallet.cap6), "dim"),
        (truncate(wallet.last_error, ERROR_WIDTH), "red") if wallet.last_error else ("", ""),
    )


def changed_columns(old: Sequence[Cell] | None, new: Sequence[Cell]) -> list[int]:
    """Indexes of the cells that differ (all of them for a new row)."""
    if old is None:
        return list(range(len(new)))
    return [i for i, (before, after) in enumerate(zip(old, new, strict=True)) if before != after]


CELL_PADDING: Final = 1
TABLE_WIDTH: Final = sum(column.width + 2 * CELL_PADDING for column in COLUMNS)


def fit(text: str, width: int, *, right: bool) -> str:
    """`text` padded (or cut with an ellipsis) to exactly `width` characters."""
    if len(text) > width:
        return text[: width - 1] + "…" if width > 0 else ""
    return text.rjust(width) if right else text.ljust(width)


def row_text(cells: Sequence[Cell]) -> StyledLine:
    """One table row: every cell fitted to its column, with a space of padding on either side."""
    line = LineBuilder()
    pad = " " * CELL_PADDING
    for (text, style), column in zip(cells, COLUMNS, strict=True):
        line.append(pad)
        line.append(fit(text, column.width, right=column.right), style=style)
        line.append(pad)
    return line.build()


HEADER_CELLS: Final = tuple((column.label, "") for column in COLUMNS)


class WalletsTable(ScrollView, can_focus=True):
    """Rows keyed by address, in the snapshot's order, under a header that stays put."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"wallets-table--header", "wallets-table--odd"}
    CACHE_SIZE = 1024

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._order: list[str] = []
        self._position: dict[str, int] = {}
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._views: dict[str, WalletView] = {}
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(self.CACHE_SIZE)
        self.cell_writes = 0
        """Cells that changed since the table was created (a new row counts all of its cells)."""
        self.rows_rendered = 0
        """Row strips rendered (cache misses): unchanged rows are never rendered twice."""
        self._styles: tuple[Style, Style, Style] | None = None

    def _row_styles(self) -> tuple[Style, Style, Style]:
        """(base, header, odd row), computed once per style change (`rich_style` walks the DOM)."""
        if self._styles is None:
            base = self.rich_style
            header = base + self.get_component_rich_style("wallets-table--header", partial=True)
            odd = base + self.get_component_rich_style("wallets-table--odd", partial=True)
            self._styles = (base, header, odd)
        return self._styles

    # -- data ----------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def row_keys(self) -> list[str]:
        return list(self._order)

    def cell_text(self, row_key: str, column_key: str) -> str:
        return self._cells[row_key][COLUMN_KEYS.index(column_key)][0]

    def show(self, wallets: Sequence[WalletView], now: float) -> None:
        """Diff every wallet's cells against the last snapshot's; repaint only the rows that changed
        (all of them when wallets came or went).

        A wallet that is the very object of the previous snapshot (an engine cycle replaces only
        the wallets it touched) keeps its cells but the session countdown, the one cell that
        depends on `now`."""
        order = [wallet.address for wallet in wallets]
        changed: list[int] = []
        fresh: dict[str, tuple[Cell, ...]] = {}
        views: dict[str, WalletView] = {}
        previous_views = self._views
        previous_cells = self._cells
        sessions: dict[int | None, Cell] = {}
        """Session cells of this `now` by expiry (a fleet's sessions mostly share one expiry)."""
        for index, wallet in enumerate(wallets):
            address = wallet.address
            old = previous_cells.get(address)
            if old is not None and previous_views.get(address) is wallet:
                expiry = wallet.session_expiry
                session = sessions.get(expiry)
                if session is None:
                    session = sessions[expiry] = expiry_cell(expiry, now)
                if session == old[SESSION]:
                    cells = old
                else:
                    cells = (*old[:SESSION], session, *old[SESSION + 1 :])
                    self.cell_writes += 1
                    changed.append(index)
            else:
                cells = wallet_cells(wallet, now)
                diff = changed_columns(old, cells)
                if diff:
                    self.cell_writes += len(diff)
                    changed.append(index)
            fresh[address] = cells
            views[address] = wallet
        self._cells = fresh
        self._views = views
        if order != self._order:
            self._order = order
            self._position = {address: i for i, address in enumerate(order)}
            self.virtual_size = Size(TABLE_WIDTH, len(order) + 1)
            self.refresh()
            return
        if not changed:
            return
        # One refresh of the visible changed rows (row 0 is the header; rows scrolled out of view
        # are rendered when they scroll in).
        scroll_y = self.scroll_offset.y
        width, height = self.size
        region_width = max(TABLE_WIDTH, width)
        regions = [
            Region(0, index + 1 - scroll_y, region_width, 1)
            for index in changed
            if 1 <= index + 1 - scroll_y < height
        ]
        if regions:
            self.refresh(*regions)

    # -- Line API --------------------------------------------------------------------------------

    def _row_strip(self, cells: tuple[Cell, ...], style: Style, kind: str) -> Strip:
        key = (kind, cells, style)
        strip = self._strips.get(key)
        if strip is None:
            self.rows_rendered += 1
            strip = line_strip(row_text(cells), TABLE_WIDTH, style, self.app.console)
            self._strips[key] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base, header, odd = self._row_styles()
        if y == 0:
            strip = self._row_strip(HEADER_CELLS, header, "header")
        else:
            index = scroll_y + y - 1
            if index >= len(self._order):
                return Strip.blank(width, base)
            style = odd if index % 2 else base
            strip = self._row_strip(self._cells[self._order[index]], style, "row")
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def on_mount(self) -> None:
        self.virtual_size = Size(TABLE_WIDTH, len(self._order) + 1)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._strips.clear()
