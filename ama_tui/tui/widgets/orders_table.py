"""The open-orders panel: every resting order of our wallets, sortable and filterable, with a
cursor to cancel one order or all of one wallet's orders.

Pure part: `wallet_order_rows` (one wallet's orders with their level: 1 is the nearest the top
on its side), `distance_ticks`, `order_cells`, `sort_rows`, `row_matches`. Widget part:
`OrdersTable` is a keyed table on the Line API like the wallets panel: a wallet's rows are
rebuilt only when its orders changed (an engine cycle touches a few wallets), the cells of a row
are made only when the row is on screen (its age and its distance from the top move every second
or every tick), and a rendered row is cached by its cells. The Wallet column stays in place when
the table scrolls sideways.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

from rich.style import Style
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ama_tui.core.market import BookTop, OpenOrder
from ama_tui.engine.snapshot import EngineSnapshot, WalletView
from ama_tui.tui.widgets.styled_line import LineBuilder, StyledLine, line_strip
from ama_tui.tui.widgets.text import NONE, amount_fit, format_hms, price_text

RESTING: Final = "resting"
CANCELLING: Final = "cancelling"
"""A cancel the user asked for is on its way (the order still rests as of the last read)."""
CURSOR_HELP: Final = "move the cursor (home, end: the first, the last)"

Cell = tuple[str, str]


@dataclass(frozen=True, slots=True)
class OrderRow:
    order_id: int
    wallet_index: int
    nickname: str
    trader: str
    is_buy: bool
    price6: int
    amount18: int
    level: int
    """1 for the wallet's order nearest the top on its side, 2 for the next, ..."""
    placed_at: int
    """Unix seconds (the book's timestamp of the order)."""

    @property
    def side(self) -> str:
        return "BUY" if self.is_buy else "SELL"


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    right: bool = True


COLUMNS: Final = (
    Column("wallet", "Wallet", 8, right=False),
    Column("side", "Side", 5, right=False),
    Column("price", "Price", 10),
    Column("size", "Size", 9),
    Column("distance", "Ticks", 6),
    Column("level", "Lvl", 4),
    Column("age", "Age", 8),
    Column("status", "Status", 10, right=False),
)
SORT_KEYS: Final = tuple(column.key for column in COLUMNS)
GAP: Final = 1
TABLE_WIDTH: Final = sum(column.width + GAP for column in COLUMNS) + GAP
PINNED_WIDTH: Final = GAP + COLUMNS[0].width


def wallet_order_rows(wallet: WalletView) -> tuple[OrderRow, ...]:
    """A wallet's orders, each with its level on its side (nearest the top first)."""
    rows: list[OrderRow] = []
    for is_buy in (True, False):
        side = sorted(
            (o for o in wallet.orders if o.is_buy == is_buy), key=lambda o: -o.price6 if is_buy else o.price6
        )
        rows.extend(_row(wallet, order, level) for level, order in enumerate(side, start=1))
    return tuple(rows)


def _row(wallet: WalletView, order: OpenOrder, level: int) -> OrderRow:
    return OrderRow(
        order_id=order.order_id,
        wallet_index=wallet.index,
        nickname=wallet.nickname,
        trader=wallet.address,
        is_buy=order.is_buy,
        price6=order.price6,
        amount18=order.amount18,
        level=level,
        placed_at=order.timestamp,
    )


def distance_ticks(row: OrderRow, top: BookTop | None, tick6: int) -> int | None:
    """Ticks from the best price of the order's side (0: it is the best); None without a top."""
    if top is None or tick6 <= 0:
        return None
    best = top.best_bid6 if row.is_buy else top.best_ask6
    if best <= 0:
        return None
    return (best - row.price6) // tick6 if row.is_buy else (row.price6 - best) // tick6


def order_cells(row: OrderRow, distance: int | None, now: float, tick6: int, status: str) -> tuple[Cell, ...]:
    side_style = "bold green" if row.is_buy else "bold red"
    return (
        (row.nickname, "bold"),
        (row.side, side_style),
        (price_text(row.price6, tick6), ""),
        (amount_fit(row.amount18, 9), ""),
        (NONE if distance is None else str(distance), "" if distance is not None else "dim"),
        (f"L{row.level}", "dim"),
        (format_hms(now - row.placed_at), "dim"),
        (status, "yellow" if status == CANCELLING else "dim"),
    )


def row_matches(row: OrderRow, status: str, terms: Sequence[str]) -> bool:
    """Every term in the wallet's name, the side or the status (case-insensitive)."""
    hay = f"{row.nickname} {row.side} {status}".lower()
    return all(term in hay for term in terms)


def sort_rows(
    rows: Iterable[OrderRow],
    key: str,
    *,
    reverse: bool,
    top: BookTop | None,
    tick6: int,
    cancelling: set[int],
) -> list[OrderRow]:
    """Rows sorted by a column; ties in the wallets' order, buys first, nearest the top first."""
    far = 10**12

    def tie(row: OrderRow) -> tuple[int, bool, int]:
        return row.wallet_index, not row.is_buy, row.level

    def distance(row: OrderRow) -> int:
        found = distance_ticks(row, top, tick6)
        return far if found is None else found

    keys = {
        "wallet": tie,
        "side": lambda r: (not r.is_buy, distance(r), tie(r)),
        "price": lambda r: (r.price6, tie(r)),
        "size": lambda r: (r.amount18, tie(r)),
        "distance": lambda r: (distance(r), tie(r)),
        "level": lambda r: (r.level, tie(r)),
        "age": lambda r: (-r.placed_at, tie(r)),
        "status": lambda r: (r.order_id not in cancelling, tie(r)),
    }
    return sorted(rows, key=keys[key], reverse=reverse)


def fit(text: str, width: int, *, right: bool) -> str:
    if len(text) > width:
        return text[: width - 1] + "…" if width > 0 else ""
    return text.rjust(width) if right else text.ljust(width)


def row_text(cells: Sequence[Cell]) -> StyledLine:
    line = LineBuilder()
    pad = " " * GAP
    for (text, style), column in zip(cells, COLUMNS, strict=True):
        line.append(pad)
        line.append(fit(text, column.width, right=column.right), style=style)
    line.append(pad)
    return line.build()


def header_text(sort_key: str, reverse: bool) -> StyledLine:
    arrow = "▼" if reverse else "▲"
    cells = tuple((f"{c.label}{arrow}" if c.key == sort_key else c.label, "") for c in COLUMNS)
    return row_text(cells)


class OrdersTable(ScrollView, can_focus=True):
    """Our resting orders, one row each, under a header that stays put."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False, tooltip=CURSOR_HELP),
        Binding("down", "cursor(1)", "Down", show=False, tooltip=CURSOR_HELP),
        Binding("pageup", "cursor(-10)", show=False, tooltip=CURSOR_HELP),
        Binding("pagedown", "cursor(10)", show=False, tooltip=CURSOR_HELP),
        Binding("home", "cursor_to(0)", show=False, tooltip=CURSOR_HELP),
        Binding("end", "cursor_to(-1)", show=False, tooltip=CURSOR_HELP),
        Binding("s", "sort", "Sort", tooltip="sort by the next column (the header marks it)"),
        Binding("r", "reverse", "Reverse", tooltip="reverse the sort"),
        Binding(
            "c", "cancel_order", "Cancel order", tooltip="cancel the order under the cursor (asks first)"
        ),
        Binding(
            "a",
            "cancel_wallet",
            "Cancel wallet's",
            tooltip="cancel every order of that order's wallet (asks first)",
        ),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "orders-table--header",
        "orders-table--odd",
        "orders-table--cursor",
    }
    CACHE_SIZE = 1024

    class CancelRequested(Message):
        """`c` / `a`: the user wants these orders cancelled (one, or all of one wallet's)."""

        def __init__(self, rows: tuple[OrderRow, ...], *, whole_wallet: bool) -> None:
            super().__init__()
            self.rows = rows
            self.whole_wallet = whole_wallet

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._by_wallet: dict[str, tuple[tuple[OpenOrder, ...], tuple[OrderRow, ...]]] = {}
        self._all: list[OrderRow] = []
        self.rows: list[OrderRow] = []
        """The rows shown (filtered and sorted)."""
        self.sort_key = "wallet"
        self.reverse = False
        self.filter_text = ""
        self._terms: tuple[str, ...] = ()
        self.cancelling: set[int] = set()
        self._top: BookTop | None = None
        self._tick6 = 0
        self._now = 0.0
        self.cursor = 0
        self._cursor_id: int | None = None
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(self.CACHE_SIZE)
        self._styles: tuple[Style, Style, Style, Style] | None = None
        self._painted: dict[int, tuple[object, ...] | None] = {}
        """What each line on screen shows (`_line_key`), as last refreshed."""

    # -- data ------------------------------------------------------------------------------------

    def show(self, snapshot: EngineSnapshot) -> None:
        """Take the snapshot's orders: only the wallets whose orders changed are rebuilt; the
        rows are sorted and filtered again when anything they depend on changed."""
        changed = False
        previous = self._by_wallet
        current: dict[str, tuple[tuple[OpenOrder, ...], tuple[OrderRow, ...]]] = {}
        for wallet in snapshot.wallets:
            kept = previous.get(wallet.address)
            if kept is not None and kept[0] is wallet.orders:
                current[wallet.address] = kept
            else:
                current[wallet.address] = (wallet.orders, wallet_order_rows(wallet))
                changed = True
        if len(current) != len(previous):
            changed = True
        self._by_wallet = current
        top = snapshot.book.top if snapshot.book is not None else None
        moved = top != self._top
        self._top, self._tick6 = top, snapshot.market.tick6
        self._now = snapshot.now
        if changed:
            self._all = [row for _, rows in current.values() for row in rows]
            if self.cancelling:  # a cancelled order is gone from the book: no longer "cancelling"
                self.cancelling &= {row.order_id for row in self._all}
        if changed or (moved and self.sort_key in ("distance", "side")):
            self._arrange(repaint=False)
        self._repaint_changed()

    def _status(self, row: OrderRow) -> str:
        return CANCELLING if row.order_id in self.cancelling else RESTING

    def _arrange(self, *, repaint: bool = True) -> None:
        """Filter and sort the rows, keep the cursor on its order, resize, repaint (all of it, or
        with `repaint=False` only the lines on screen that changed)."""
        terms = self._terms
        rows: Iterable[OrderRow] = self._all
        if terms:
            rows = [row for row in self._all if row_matches(row, self._status(row), terms)]
        if self.sort_key == "wallet" and not self.reverse:
            self.rows = list(rows)  # `_all` is in that order already (the wallets', buys first, by level)
        else:
            self.rows = sort_rows(
                rows,
                self.sort_key,
                reverse=self.reverse,
                top=self._top,
                tick6=self._tick6,
                cancelling=self.cancelling,
            )
        if self._cursor_id is not None:
            for i, row in enumerate(self.rows):
                if row.order_id == self._cursor_id:
                    self.cursor = i
                    break
        self.cursor = max(0, min(self.cursor, len(self.rows) - 1))
        self._cursor_id = self.rows[self.cursor].order_id if self.rows else None
        self._update_title()
        self.virtual_size = Size(TABLE_WIDTH, len(self.rows) + 1)
        if repaint:
            self._painted = {}
            self.refresh()
        else:
            self._repaint_changed()

    def _line_key(self, index: int) -> tuple[object, ...] | None:
        """What a row's line shows, cheaply (the whole-second age, not its text)."""
        if index >= len(self.rows):
            return None
        row = self.rows[index]
        selected = index == self.cursor and self.has_focus
        distance = distance_ticks(row, self._top, self._tick6)
        return row, distance, int(self._now - row.placed_at), row.order_id in self.cancelling, selected

    def _repaint_changed(self) -> None:
        """Refresh only the lines on screen whose row, distance, age or status changed (a busy
        fleet re-prices a few wallets' orders a cycle; most of the panel stays as it is)."""
        width, height = self.size
        if not height:
            return
        scroll_y = self.scroll_offset.y
        painted = self._painted
        fresh: dict[int, tuple[object, ...] | None] = {}
        regions = []
        for y in range(1, height):
            key = self._line_key(scroll_y + y - 1)
            fresh[y] = key
            if painted.get(y, ()) != key:
                regions.append(Region(0, y, width, 1))
        self._painted = fresh
        if regions:
            self.refresh(*regions)

    def _update_title(self) -> None:
        count = len(self._all)
        if self.filter_text:
            title = f"Orders — {self.filter_text} ({len(self.rows)}/{count})"
        else:
            title = f"Orders ({count})"
        if title != self.border_title:
            self.border_title = title

    def set_filter(self, query: str) -> None:
        self.filter_text = " ".join(query.split())
        self._terms = tuple(term.lower() for term in query.split())
        self._arrange()

    def mark_cancelling(self, order_ids: Iterable[int]) -> None:
        self.cancelling.update(order_ids)
        self._arrange()

    @property
    def selected(self) -> OrderRow | None:
        return self.rows[self.cursor] if self.rows else None

    # -- keys ------------------------------------------------------------------------------------

    def action_cursor(self, step: int) -> None:
        self._move_to(self.cursor + step)

    def action_cursor_to(self, index: int) -> None:
        self._move_to(index if index >= 0 else len(self.rows) - 1)

    def _move_to(self, index: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(index, len(self.rows) - 1))
        self._cursor_id = self.rows[self.cursor].order_id
        self._painted = {}
        height = max(1, self.size.height - 1)  # less the header
        if self.cursor < self.scroll_y:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= self.scroll_y + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)
        self.refresh()

    def action_sort(self) -> None:
        """The next column to sort by (the header marks it)."""
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        self.reverse = False
        self._arrange()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self._arrange()

    def action_cancel_order(self) -> None:
        row = self.selected
        if row is not None:
            self.post_message(self.CancelRequested((row,), whole_wallet=False))

    def action_cancel_wallet(self) -> None:
        row = self.selected
        if row is not None:
            rows = tuple(r for r in self._all if r.trader == row.trader)
            self.post_message(self.CancelRequested(rows, whole_wallet=True))

    # -- Line API --------------------------------------------------------------------------------

    def _row_styles(self) -> tuple[Style, Style, Style, Style]:
        if self._styles is None:
            base = self.rich_style
            header = base + self.get_component_rich_style("orders-table--header", partial=True)
            odd = base + self.get_component_rich_style("orders-table--odd", partial=True)
            cursor = base + self.get_component_rich_style("orders-table--cursor", partial=True)
            self._styles = (base, header, odd, cursor)
        return self._styles

    def _strip(self, key: tuple[object, ...], line: StyledLine, style: Style) -> Strip:
        strip = self._strips.get(key)
        if strip is None:
            strip = line_strip(line, TABLE_WIDTH, style, self.app.console)
            self._strips[key] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base, header, odd, cursor = self._row_styles()
        if y == 0:
            key: tuple[object, ...] = ("header", self.sort_key, self.reverse, header)
            strip = self._strip(key, header_text(self.sort_key, self.reverse), header)
        else:
            index = scroll_y + y - 1
            if index >= len(self.rows):
                return Strip.blank(width, base)
            row = self.rows[index]
            selected = index == self.cursor and self.has_focus
            style = cursor if selected else odd if index % 2 else base
            cells = order_cells(
                row, distance_ticks(row, self._top, self._tick6), self._now, self._tick6, self._status(row)
            )
            strip = self._strip(("row", cells, style), row_text(cells), style)
        if scroll_x <= 0 or width <= PINNED_WIDTH:
            return strip.crop_extend(scroll_x, scroll_x + width, base)
        rest = strip.crop_extend(PINNED_WIDTH + scroll_x, scroll_x + width, base)
        return Strip.join([strip.crop(0, PINNED_WIDTH), rest])

    def on_mount(self) -> None:
        self.virtual_size = Size(TABLE_WIDTH, len(self.rows) + 1)
        self._update_title()

    def on_focus(self) -> None:
        self._painted = {}
        self.refresh()

    def on_blur(self) -> None:
        self._painted = {}
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._painted = {}  # the whole view moved (ScrollView repaints it)

    def on_resize(self) -> None:
        self._painted = {}

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._strips.clear()
