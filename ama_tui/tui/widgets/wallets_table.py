"""The wallets panel: one row per wallet, keyed by address, diffed cell by cell.

`wallet_cells` is the pure part (what a row shows, as (text, style) pairs that compare cheaply).
Three columns draw the wallet's history at a glance (PnL, position and utilization sparklines,
sampled once a second: `trends`). The last column, Status, says why a wallet is not placing what
it wants (the engine's skip reason, in a few words) and its last error; it takes whatever width
the panel has left, and is cut only between words. The full texts are one key away (`enter`:
`WalletsTable.DetailsRequested`). `s` sorts the rows by the next of Util, Position, PnL and errors
(`wallet_sort`; the header marks the column), `r` reverses.
`WalletsTable` is a keyed table on the Line API: `show` diffs each row's cells against the previous
snapshot's and repaints only the rows that changed; a row's strip is cached by its cells, so an
unchanged row is never rendered again. (Textual's DataTable re-renders every visible cell after
any `update_cell` — about 130 ms a repaint at 100 wallets on a loaded 2-core machine — which a
10 Hz dashboard cannot afford.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

from rich.style import Style
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.events import Resize
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ama_tui.engine.snapshot import WalletView
from ama_tui.tui.sparkline import RingsByKey
from ama_tui.tui.widgets.styled_line import LineBuilder, StyledLine, line_strip
from ama_tui.tui.widgets.text import (
    NONE,
    amount_fit,
    clip_words,
    format_hms,
    pnl_style,
    signed_usdc_fit,
    skip_label,
    usdc_fit,
)
from ama_tui.tui.widgets.trends import NO_TRENDS, WALLET_TREND_WIDTH, wallet_sample, wallet_trends
from ama_tui.tui.widgets.util_bar import utilization_cell
from ama_tui.tui.widgets.wallet_sort import SNAPSHOT_ORDER, next_sort_key, sort_arrow, sorted_wallets

EXPIRY_WARN_S: Final = 5 * 60
"""A session expiring in less than this is shown in red (the engine renews it ahead of time)."""
STATUS_MIN_WIDTH: Final = 20
"""The Status column's width when the panel has no more room (the table then scrolls)."""
SKIP_PREFIX: Final = "skip: "
ERROR_PREFIX: Final = "err: "
STATUS_SEPARATOR: Final = " · "
NOT_KNOWN: Final = "—"
"""What a figure not read yet shows (a starting run's balances)."""
SKIP_STYLE: Final = "yellow"
ERROR_STYLE: Final = "red"

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
    Column("pnl_trend", "PnL trend", WALLET_TREND_WIDTH),
    Column("session", "Session", 8),
    Column("available", "Available", 10),
    Column("reserved", "Reserved", 9),
    Column("cap", "Cap", 9),
    Column("realized", "Realized", 9),
    Column("unrealized", "Unreal.", 9),
    Column("position_trend", "Pos trend", WALLET_TREND_WIDTH),
    Column("util_trend", "Util trend", WALLET_TREND_WIDTH),
    Column("status", "Status", STATUS_MIN_WIDTH, right=False),
)
COLUMN_KEYS: Final = tuple(column.key for column in COLUMNS)
SESSION: Final = COLUMN_KEYS.index("session")
"""The only cell of `wallet_cells` that depends on `now` rather than on the wallet."""
TRENDS: Final = tuple(COLUMN_KEYS.index(key) for key in ("pnl_trend", "position_trend", "util_trend"))
"""The sparkline cells: they change when the history takes a sample (once a second)."""
WIDTHS: Final = {column.key: column.width for column in COLUMNS}


def expiry_cell(expiry: int | None, now: float) -> Cell:
    """Time left on the session as h:mm:ss; red under five minutes; `—` without a session."""
    if expiry is None:
        return NONE, "dim"
    left = expiry - now
    if left <= 0:
        return "expired", "bold red"
    return format_hms(left), "red" if left < EXPIRY_WARN_S else ""


def error_cause(error: str) -> str:
    """What went wrong, without what was being done: `place buy level 2 failed: 429 Too Many
    Requests` -> `429 Too Many Requests` (the whole error is in the details)."""
    _, failed, cause = error.rpartition(" failed: ")
    return " ".join((cause if failed and cause.strip() else error).split())


def status_cell(skip_reason: str | None, last_error: str | None) -> Cell:
    """`skip: below min size · err: <the last error's cause>`: either part alone, or nothing.
    Styled as its first part (a skip is what the wallet does now; the error may be older)."""
    parts = []
    if skip_reason:
        parts.append(SKIP_PREFIX + skip_label(skip_reason))
    if last_error:
        parts.append(ERROR_PREFIX + error_cause(last_error))
    if not parts:
        return "", ""
    return STATUS_SEPARATOR.join(parts), SKIP_STYLE if skip_reason else ERROR_STYLE


def status_segments(text: str, width: int) -> list[tuple[str, str]]:
    """A status cell's text in at most `width` characters, as (text, style) segments: the skip
    part whole, then as many words of the error as fit (`+err` when none does), never a number
    cut in two."""
    if not text:
        return []
    if not text.startswith(SKIP_PREFIX):
        return [(clip_words(text, width), ERROR_STYLE)]
    skip, _, error = text.partition(STATUS_SEPARATOR)
    skip = clip_words(skip, width)
    segments = [(skip, SKIP_STYLE)]
    room = width - len(skip) - len(STATUS_SEPARATOR)
    if error and room >= len(ERROR_PREFIX) + 1:
        segments += [(STATUS_SEPARATOR, "dim"), (clip_words(error, room), ERROR_STYLE)]
    elif error and width - len(skip) >= len(" +err"):
        segments.append((" +err", ERROR_STYLE))
    return segments


def wallet_cells(
    wallet: WalletView, now: float, trends: tuple[Cell, Cell, Cell] = NO_TRENDS
) -> tuple[Cell, ...]:
    """The cells of a wallet's row, in `COLUMNS` order (`trends`: its PnL, position and
    utilization sparklines). Numbers too wide for their column are shown shorter (`1.2M`),
    never cut."""
    position_style = "" if wallet.position18 else "dim"
    money: tuple[Cell, ...] = (
        (usdc_fit(wallet.available6, WIDTHS["available"]), ""),
        (usdc_fit(wallet.reserved6, WIDTHS["reserved"]), ""),
        (usdc_fit(wallet.cap6, WIDTHS["cap"]), "dim"),
    )
    if not wallet.balances_known:  # not read yet (the run is starting): not 0.00
        money = ((NOT_KNOWN, "dim"),) * 3
    return (
        (wallet.nickname, "bold"),
        (f"{wallet.open_buys}/{wallet.open_sells}", ""),
        utilization_cell(wallet.utilization_bps) if wallet.balances_known else (NOT_KNOWN, "dim"),
        (amount_fit(wallet.position18, WIDTHS["position"]), position_style),
        (signed_usdc_fit(wallet.pnl6, WIDTHS["pnl"]), pnl_style(wallet.pnl6)),
        trends[0],
        expiry_cell(wallet.session_expiry, now),
        *money,
        (signed_usdc_fit(wallet.realized_pnl6, WIDTHS["realized"]), pnl_style(wallet.realized_pnl6)),
        (signed_usdc_fit(wallet.unrealized_pnl6, WIDTHS["unrealized"]), pnl_style(wallet.unrealized_pnl6)),
        trends[1],
        trends[2],
        status_cell(wallet.skip_reason, wallet.last_error),
    )


def skip_summary(wallets: Iterable[WalletView], *, most: int = 3) -> str:
    """`skipping: below min size ×3 · no session`: the wallets' skip reasons, most common first
    (at most `most` of them); empty when every wallet places what it wants."""
    counts = Counter(skip_label(w.skip_reason) for w in wallets if w.skip_reason)
    if not counts:
        return ""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    parts = [f"{label} ×{count}" if count > 1 else label for label, count in ranked[:most]]
    if len(ranked) > most:
        parts.append(f"+{len(ranked) - most} more")
    return "skipping: " + " · ".join(parts)


def changed_columns(old: Sequence[Cell] | None, new: Sequence[Cell]) -> list[int]:
    """Indexes of the cells that differ (all of them for a new row)."""
    if old is None:
        return list(range(len(new)))
    return [i for i, (before, after) in enumerate(zip(old, new, strict=True)) if before != after]


GAP: Final = 1
"""Spaces before every column (and after the last): one, so that Status gets room at 120 columns."""
FIXED_WIDTH: Final = sum(column.width + GAP for column in COLUMNS[:-1])
"""Every column but Status, with its gap."""
PINNED_WIDTH: Final = GAP + COLUMNS[0].width
"""The Wallet column (with its gap): it stays in place while the rest scrolls sideways."""


def table_width(status_width: int) -> int:
    return FIXED_WIDTH + GAP + status_width + GAP


def status_width_for(room: int) -> int:
    """The Status column's width in a panel `room` cells wide: what the other columns leave."""
    return max(STATUS_MIN_WIDTH, room - FIXED_WIDTH - 2 * GAP)


def fit(text: str, width: int, *, right: bool) -> str:
    """`text` padded (or cut with an ellipsis) to exactly `width` characters."""
    if len(text) > width:
        return text[: width - 1] + "…" if width > 0 else ""
    return text.rjust(width) if right else text.ljust(width)


def row_text(
    cells: Sequence[Cell], status_width: int = STATUS_MIN_WIDTH, *, header: bool = False
) -> StyledLine:
    """One table row: every cell fitted to its column, a space before each (and after the last)."""
    line = LineBuilder()
    pad = " " * GAP
    for (text, style), column in zip(cells, COLUMNS, strict=True):
        line.append(pad)
        if column.key == "status" and not header:
            used = 0
            for segment, segment_style in status_segments(text, status_width):
                line.append(segment, style=segment_style)
                used += len(segment)
            line.append(" " * (status_width - used))
        else:
            width = status_width if column.key == "status" else column.width
            line.append(fit(text, width, right=column.right), style=style)
    line.append(pad)
    return line.build()


HEADER_CELLS: Final = tuple((column.label, "") for column in COLUMNS)


def header_cells(sort_key: str, *, reverse: bool) -> tuple[Cell, ...]:
    """The header, the sorted column's label marked (`HEADER_CELLS` in the snapshot's order)."""
    arrow = sort_arrow(sort_key, reverse=reverse)
    if not arrow:
        return HEADER_CELLS
    return tuple((f"{c.label}{arrow}" if c.key == sort_key else c.label, "") for c in COLUMNS)


class WalletsTable(ScrollView, can_focus=True):
    """Rows keyed by address, in the snapshot's order or sorted, under a header that stays put."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "details",
            "Why",
            tooltip="on the wallets: why each one skips, and its last error, in full",
        ),
        Binding(
            "s",
            "sort",
            "Sort",
            tooltip="on the wallets: sort by Util, Position, PnL or errors in turn, biggest first "
            "(the header marks it)",
        ),
        Binding("r", "reverse", "Reverse", tooltip="on the wallets: reverse the sort"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"wallets-table--header", "wallets-table--odd"}
    CACHE_SIZE = 1024

    class DetailsRequested(Message):
        """`enter` on the table: the user wants every wallet's skip reason and error in full."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._order: list[str] = []
        """The addresses in the snapshot's order."""
        self._shown: list[str] = []
        """The addresses in the order shown (`_order` itself while it is the snapshot's order)."""
        self.sort_key = SNAPSHOT_ORDER
        self.reverse = False
        self._header = HEADER_CELLS
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._views: dict[str, WalletView] = {}
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(self.CACHE_SIZE)
        self.cell_writes = 0
        """Cells that changed since the table was created (a new row counts all of its cells)."""
        self.rows_rendered = 0
        """Row strips rendered (cache misses): unchanged rows are never rendered twice."""
        self._styles: tuple[Style, Style, Style] | None = None
        self.status_width = STATUS_MIN_WIDTH
        self.summary = ""
        """`skip_summary` of the wallets shown (the panel's border subtitle)."""
        self.history = RingsByKey()
        """Each wallet's PnL, position and utilization, once a second (the trend columns)."""

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
        """The addresses in the order shown."""
        return list(self._shown)

    def cell_text(self, row_key: str, column_key: str) -> str:
        return self._cells[row_key][COLUMN_KEYS.index(column_key)][0]

    def shown_text(self, row_key: str, column_key: str) -> str:
        """A cell as the row shows it, fitted to its column (the Status column to its width)."""
        text, _ = self._cells[row_key][COLUMN_KEYS.index(column_key)]
        if column_key == "status":
            return "".join(segment for segment, _ in status_segments(text, self.status_width))
        column = COLUMNS[COLUMN_KEYS.index(column_key)]
        return fit(text, column.width, right=column.right).strip()

    def action_details(self) -> None:
        self.post_message(self.DetailsRequested())

    def action_sort(self) -> None:
        """The next column to sort by (biggest first; the header marks it)."""
        self.sort_key = next_sort_key(self.sort_key)
        self.reverse = False
        self._resort()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self._resort()

    def _resort(self) -> None:
        self._header = header_cells(self.sort_key, reverse=self.reverse)
        self._shown = self._arranged([self._views[address] for address in self._order])
        self.refresh()

    def _arranged(self, wallets: Sequence[WalletView]) -> list[str]:
        """The addresses in the order shown (the snapshot's `_order` list itself when unsorted)."""
        if self.sort_key == SNAPSHOT_ORDER and not self.reverse:
            return self._order
        return [wallet.address for wallet in sorted_wallets(wallets, self.sort_key, reverse=self.reverse)]

    def show(self, wallets: Sequence[WalletView], now: float) -> None:
        """Diff every wallet's cells against the last snapshot's; repaint only the rows that changed
        (all of them when wallets came or went).

        A wallet that is the very object of the previous snapshot (an engine cycle replaces only
        the wallets it touched) keeps its cells but the session countdown, the one cell that
        depends on `now`; once a second (of `now`) the history takes a sample and every row's
        trends are drawn again."""
        order = [wallet.address for wallet in wallets]
        history = self.history
        sampled = history.due(now) and history.add(now, {w.address: wallet_sample(w) for w in wallets})
        rings = history.rings
        changed: list[int] = []
        fresh: dict[str, tuple[Cell, ...]] = {}
        views: dict[str, WalletView] = {}
        previous_views = self._views
        previous_cells = self._cells
        sessions: dict[int | None, Cell] = {}
        """Session cells of this `now` by expiry (a fleet's sessions mostly share one expiry)."""
        replaced = False
        """A wallet is not the previous snapshot's very object (a sorted order may have moved)."""
        for index, wallet in enumerate(wallets):
            address = wallet.address
            old = previous_cells.get(address)
            trends = wallet_trends(rings.get(address)) if sampled or old is None else None
            if old is not None and previous_views.get(address) is wallet:
                expiry = wallet.session_expiry
                session = sessions.get(expiry)
                if session is None:
                    session = sessions[expiry] = expiry_cell(expiry, now)
                if session == old[SESSION] and trends is None:
                    cells = old
                else:
                    redrawn = list(old)
                    redrawn[SESSION] = session
                    if trends is not None:
                        for column, cell in zip(TRENDS, trends, strict=True):
                            redrawn[column] = cell
                    cells = tuple(redrawn)
            else:
                replaced = True
                if trends is None:
                    trends = (old[TRENDS[0]], old[TRENDS[1]], old[TRENDS[2]]) if old else NO_TRENDS
                cells = wallet_cells(wallet, now, trends)
            if cells is not old:
                diff = changed_columns(old, cells)
                if diff:
                    self.cell_writes += len(diff)
                    changed.append(index)
            fresh[address] = cells
            views[address] = wallet
        self._cells = fresh
        self._views = views
        if changed or order != self._order:
            self._set_summary(skip_summary(wallets))
        if order != self._order:
            self._order = order
            self._shown = self._arranged(wallets)
            if not self._fit_status():
                self.virtual_size = Size(table_width(self.status_width), len(order) + 1)
                self.refresh()
            return
        shown = self._shown
        if shown is not self._order and (changed or replaced):  # sorted: the lines of those rows
            if replaced:  # a figure sorted by may have changed
                self._shown = self._arranged(wallets)
            changed = self._lines_to_repaint(shown, {order[index] for index in changed})
        if not changed:
            return
        # One refresh of the visible changed rows (row 0 is the header; rows scrolled out of view
        # are rendered when they scroll in).
        scroll_y = self.scroll_offset.y
        width, height = self.size
        region_width = max(table_width(self.status_width), width)
        regions = [
            Region(0, index + 1 - scroll_y, region_width, 1)
            for index in changed
            if 1 <= index + 1 - scroll_y < height
        ]
        if regions:
            self.refresh(*regions)

    def _lines_to_repaint(self, before: list[str], changed: set[str]) -> list[int]:
        """The lines (of the sorted order shown) that show another wallet than before, or a wallet
        whose cells changed (a row that only moved comes from the strip cache, unless its stripe
        changed)."""
        return [i for i, address in enumerate(self._shown) if address in changed or before[i] != address]

    # -- Line API --------------------------------------------------------------------------------

    def _set_summary(self, summary: str) -> None:
        """The skip summary in the panel's bottom border (set only when it changed: setting it
        repaints the whole panel)."""
        if summary != self.summary:
            self.summary = summary
            self.border_subtitle = summary

    def _row_strip(self, cells: tuple[Cell, ...], style: Style, kind: str) -> Strip:
        status_width = self.status_width
        key = (kind, cells, style, status_width)
        strip = self._strips.get(key)
        if strip is None:
            self.rows_rendered += 1
            line = row_text(cells, status_width, header=kind == "header")
            strip = line_strip(line, table_width(status_width), style, self.app.console)
            self._strips[key] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base, header, odd = self._row_styles()
        if y == 0:
            strip = self._row_strip(self._header, header, "header")
        else:
            index = scroll_y + y - 1
            if index >= len(self._shown):
                return Strip.blank(width, base)
            style = odd if index % 2 else base
            strip = self._row_strip(self._cells[self._shown[index]], style, "row")
        if scroll_x <= 0 or width <= PINNED_WIDTH:
            return strip.crop_extend(scroll_x, scroll_x + width, base)
        # scrolled sideways: the wallet's name stays, the columns after it scroll under it
        rest = strip.crop_extend(PINNED_WIDTH + scroll_x, scroll_x + width, base)
        return Strip.join([strip.crop(0, PINNED_WIDTH), rest])

    def on_mount(self) -> None:
        self.virtual_size = Size(table_width(self.status_width), len(self._order) + 1)

    def on_resize(self, event: Resize) -> None:
        self._fit_status()

    def _fit_status(self) -> bool:
        """Give the Status column the width the other columns leave (less a vertical scrollbar
        when the rows need one); True when it changed (the whole table is then repainted)."""
        width, height = self.size
        if not width:
            return False
        if len(self._order) + 1 > height:
            width -= self.styles.scrollbar_size_vertical
        status_width = status_width_for(width)
        if status_width == self.status_width:
            return False
        self.status_width = status_width
        self.virtual_size = Size(table_width(status_width), len(self._order) + 1)
        self.refresh()
        return True

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._strips.clear()
