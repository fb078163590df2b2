"""The order-book ladder, centred on the mid: asks above, bids below; each level with its size,
the size of our orders resting there, and the cumulative depth from the spread; the safety floor
in force in the bottom border. Rows may group several ticks (`ladder_group`: zoom out and in).

Our orders rest a safety floor from the mid, often beyond the levels nearest the spread that fit,
and sometimes beyond the depth the engine reads: a side folds the levels between (`ladder_fold`)
so every level of ours stays in sight, and a level of ours beyond the deepest one the book
snapshot holds is placed from our own orders (our size only, marked `depth not read`).

Pure part: `build_ladder` (which levels fit, with our order counts) and `ladder_lines` (their
text). Widget part: `Ladder` renders through the Line API from strips cached per (snapshot,
size), so a 25-level book costs one build per new snapshot, not one per repaint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from rich.cells import cell_len
from textual.cache import LRUCache
from textual.geometry import Region
from textual.strip import Strip

from ama_tui.core.market import OpenOrder
from ama_tui.engine.snapshot import EngineSnapshot, WalletView
from ama_tui.tui.widgets.ladder_fold import FoldPlan, fold_side
from ama_tui.tui.widgets.ladder_group import cumulative, group_ours, group_side, zoom
from ama_tui.tui.widgets.line_widget import LineWidget
from ama_tui.tui.widgets.styled_line import LineBuilder, StyledLine, line_strip
from ama_tui.tui.widgets.text import NONE, amount_text, price_text
from ama_tui.tui.widgets.util_bar import bar_cells
from ama_tui.venues.base import DepthLevel

SPREAD_LINES: Final = 2
"""The spread line (spread and mid) and the reference line (mark and last trade)."""

ASK_STYLE: Final = "red"
BID_STYLE: Final = "green"
OURS_STYLE: Final = "bold yellow"
NOTE_STYLE: Final = "dim"
MARK_WIDTH: Final = 4
"""`●12 `: how many of our orders rest at a level."""
MARK_BLANK: Final = " " * MARK_WIDTH
BOLD_STYLES: Final = {ASK_STYLE: f"bold {ASK_STYLE}", BID_STYLE: f"bold {BID_STYLE}"}
"""The price of a level holding orders of ours."""
BAR_STYLES: Final = {ASK_STYLE: f"dim {ASK_STYLE}", BID_STYLE: f"dim {BID_STYLE}"}
MIN_BAR: Final = 3
"""A depth bar narrower than this is left out."""
HEADER_MIN_ROWS: Final = 8
"""From this height on, the first line names the columns."""
UNREAD_NOTES: Final = ("depth not read", "not read", "?")
"""What a level of ours beyond the book read shows where the depth bar goes: the longest that
fits."""
BLANK: Final = StyledLine()
WAITING: Final = LineBuilder().append("  waiting for the first book…", style="dim").build()


@dataclass(frozen=True, slots=True)
class LadderLevel:
    is_bid: bool
    price6: int
    amount18: int
    order_count: int
    ours: int
    """How many of our wallets' orders rest at this price on this side."""
    read: bool = True
    """False for a level of ours beyond the deepest level the book snapshot holds (the engine
    reads the nearest `depth_levels` of a side, and our orders may rest farther): `amount18` and
    `order_count` are then our own orders' only."""
    ours18: int = 0
    """The remaining size of our orders at this level (part of `amount18`)."""
    cum18: int | None = None
    """The book's size from the best level of this side through this one (the folded levels
    included); None for a level beyond the book read (the depth before it is not known)."""


@dataclass(frozen=True, slots=True)
class LadderFold:
    """One line standing for `levels` levels of the book left out between two shown ones."""

    levels: int
    at_least: bool
    """The level after the fold lies beyond the book read: more levels may rest in between."""


@dataclass(frozen=True, slots=True)
class LadderMore:
    """The summary line for the levels of ours that do not fit (always the farthest ones)."""

    is_bid: bool
    orders: int
    farthest6: int
    after_shown: bool
    """Some levels of ours on this side are shown (so these are "more")."""


LadderRow = LadderLevel | LadderFold | LadderMore


@dataclass(frozen=True, slots=True)
class LadderModel:
    asks: tuple[LadderRow | None, ...]
    """Top to bottom: the farthest row first, the best ask last (next to the spread); `None`
    pads the top when the book is thinner than the room."""
    bids: tuple[LadderRow | None, ...]
    """Top to bottom: the best bid first; `None` pads the bottom."""
    best_bid6: int
    best_ask6: int
    mid6: int
    mark6: int
    last_trade6: int
    max_amount18: int
    """The largest size of a shown level the book holds (the depth bars' reference)."""

    @property
    def levels(self) -> list[LadderLevel]:
        """The shown levels, top to bottom (without padding, folds and summaries)."""
        return [row for row in (*self.asks, *self.bids) if isinstance(row, LadderLevel)]

    @property
    def scale18(self) -> int:
        """The size of a full-width depth bar: `max_amount18` rounded up to 1, 2 or 5 × 10^k, so
        the scale holds while the book moves and a bar changes only when its own level does."""
        return bar_scale(self.max_amount18)

    @property
    def spread6(self) -> int | None:
        if self.best_bid6 > 0 and self.best_ask6 > 0:
            return self.best_ask6 - self.best_bid6
        return None


OurLevels = Mapping[tuple[bool, int], tuple[int, int]]
"""Where our orders rest: (is_buy, price6) -> (how many, their remaining amount18)."""


def our_levels(wallets: Iterable[WalletView]) -> dict[tuple[bool, int], tuple[int, int]]:
    levels: dict[tuple[bool, int], tuple[int, int]] = {}
    for wallet in wallets:
        for order in wallet.orders:
            key = (order.is_buy, order.price6)
            count, amount18 = levels.get(key, (0, 0))
            levels[key] = (count + 1, amount18 + order.amount18)
    return levels


class OurLevelsTracker:
    """`our_levels` kept up to date across snapshots: a wallet whose `orders` tuple is the same
    object as in the previous snapshot (an engine cycle changes a handful of wallets) costs
    nothing; only the wallets that changed are subtracted and added again."""

    def __init__(self) -> None:
        self.levels: dict[tuple[bool, int], tuple[int, int]] = {}
        self._orders: dict[str, tuple[OpenOrder, ...]] = {}

    def _add(self, orders: Iterable[OpenOrder], sign: int) -> None:
        levels = self.levels
        for order in orders:
            key = (order.is_buy, order.price6)
            count, amount18 = levels.get(key, (0, 0))
            count += sign
            if count:
                levels[key] = (count, amount18 + sign * order.amount18)
            else:
                del levels[key]

    def update(self, wallets: Sequence[WalletView]) -> OurLevels:
        previous = self._orders
        current = {wallet.address: wallet.orders for wallet in wallets}
        if len(current) != len(wallets):  # the same address twice: count from scratch
            self.levels = {}
            self._orders = {}
            return our_levels(wallets)
        for address, orders in previous.items():
            if current.get(address) is not orders:
                self._add(orders, -1)
        for address, orders in current.items():
            if previous.get(address) is not orders:
                self._add(orders, +1)
        self._orders = current
        return self.levels


def bar_scale(amount: int) -> int:
    """The smallest 1, 2 or 5 × 10^k that is at least `amount` (0 for nothing to show)."""
    if amount <= 0:
        return 0
    power = 10 ** (len(str(amount)) - 1)
    for mantissa in (1, 2, 5):
        if mantissa * power >= amount:
            return mantissa * power
    return 10 * power


def split_room(rows: int) -> tuple[int, int]:
    """How many ask and bid rows fit in `rows` lines around the spread lines (bids get the odd one)."""
    room = max(0, rows - SPREAD_LINES)
    asks = room // 2
    return asks, room - asks


@lru_cache(maxsize=256)
def _fold_side(ours: tuple[bool, ...], room: int) -> FoldPlan:
    """`fold_side`, memoised: where our orders rest changes once an engine cycle, not per repaint."""
    return fold_side(ours, room)


def side_rows(
    is_bid: bool, book_levels: Sequence[DepthLevel], ours: OurLevels, unread: Sequence[int], room: int
) -> list[LadderRow]:
    """The rows of one side in `room` lines, from the spread outward: the book's levels with our
    counts, folded when levels of ours lie beyond the room (`fold_side`). A price in `unread`
    (ours, beyond the deepest level the book read) gets a level of our own orders."""
    get = ours.get
    entries: Sequence[DepthLevel] = book_levels
    unread_prices: set[int] = set()
    if unread:
        own = [DepthLevel(price6, ours[(is_bid, price6)][1], ours[(is_bid, price6)][0]) for price6 in unread]
        entries = sorted([*book_levels, *own], key=lambda e: -e.price6 if is_bid else e.price6)
        unread_prices.update(unread)

    read_amounts = (0 if unread_prices and e.price6 in unread_prices else e.amount18 for e in entries)
    depth = cumulative(read_amounts)

    def level(index: int) -> LadderLevel:
        entry = entries[index]
        price6 = entry.price6
        count, ours18 = held if (held := get((is_bid, price6))) else (0, 0)
        if unread_prices and price6 in unread_prices:
            return LadderLevel(is_bid, price6, entry.amount18, entry.order_count, count, False, ours18)
        return LadderLevel(
            is_bid, price6, entry.amount18, entry.order_count, count, True, ours18, depth[index]
        )

    flags = [(is_bid, entry.price6) in ours for entry in entries] if ours else []
    if len(entries) <= room or not any(flags[room:]):
        return [level(index) for index in range(min(room, len(entries)))]
    plan = _fold_side(tuple(flags), room)
    rows: list[LadderRow] = []
    for row in plan.rows:
        if isinstance(row, range):
            rows.append(LadderFold(len(row), at_least=entries[row.stop].price6 in unread_prices))
        else:
            rows.append(level(row))
    if plan.first_left_out is not None:
        left_out = [get((is_bid, entry.price6)) for entry in entries[plan.first_left_out :]]
        farthest = max(i for i, mine in enumerate(flags) if mine)
        rows.append(
            LadderMore(
                is_bid,
                orders=sum(held[0] for held in left_out if held),
                farthest6=entries[farthest].price6,
                after_shown=any(isinstance(row, LadderLevel) and row.ours for row in rows),
            )
        )
    return rows


def build_ladder(
    snapshot: EngineSnapshot, rows: int, ours: OurLevels | None = None, *, group: int = 1
) -> LadderModel | None:
    """The levels that fit in `rows` lines, centred on the spread, with every level of ours the
    room allows; None before the first book. `ours` is `our_levels(snapshot.wallets)` when the
    caller already has it. With `group` > 1 a row holds that many ticks of price (`ladder_group`);
    the spread, mid, mark and last trade stay exact."""
    book = snapshot.book
    if book is None:
        return None
    ask_room, bid_room = split_room(rows)
    if ours is None:
        ours = our_levels(snapshot.wallets)
    step6 = group * snapshot.market.tick6
    bid_levels = group_side(book.bids, True, step6)
    ask_levels = group_side(book.asks, False, step6)
    if group > 1:
        ours = group_ours(ours, step6)
    # our prices beyond the deepest level the book read on a side (none on a side it read empty)
    unread_bids: list[int] = []
    unread_asks: list[int] = []
    if ours and (bid_levels or ask_levels):
        deepest_bid6 = bid_levels[-1].price6 if bid_levels else 0
        deepest_ask6 = ask_levels[-1].price6 if ask_levels else 0
        for is_buy, price6 in ours:
            if is_buy:
                if price6 < deepest_bid6:
                    unread_bids.append(price6)
            elif 0 < deepest_ask6 < price6:
                unread_asks.append(price6)
    asks = side_rows(False, ask_levels, ours, unread_asks, ask_room)
    bids = side_rows(True, bid_levels, ours, unread_bids, bid_room)
    shown = [row.amount18 for row in (*asks, *bids) if isinstance(row, LadderLevel) and row.read]
    padded_asks: list[LadderRow | None] = [None] * (ask_room - len(asks))
    padded_asks.extend(reversed(asks))
    padded_bids: list[LadderRow | None] = [*bids]
    padded_bids.extend([None] * (bid_room - len(bids)))
    top = book.top
    return LadderModel(
        asks=tuple(padded_asks),
        bids=tuple(padded_bids),
        best_bid6=top.best_bid6,
        best_ask6=top.best_ask6,
        mid6=top.mid6,
        mark6=top.mark6,
        last_trade6=top.traded6,  # a fresh market's placeholder is shown as none
        max_amount18=max(shown, default=0),
    )


def group_title(symbol: str, group: int, tick6: int) -> str:
    """`Book ETH-USD · 0.10 ×10`: the market, the price a row holds and in how many ticks."""
    if tick6 <= 0:
        return f"Book {symbol}"
    return f"Book {symbol} · {price_text(group * tick6, tick6)} ×{group}"


def floor_text(floor_ticks: int, tick6: int) -> str:
    """`floor 540 ticks (5.40)`: the safety floor every order keeps from the mid and the other side."""
    if floor_ticks <= 0 or tick6 <= 0:
        return f"floor {floor_ticks:,} ticks"
    return f"floor {floor_ticks:,} ticks ({price_text(floor_ticks * tick6, tick6)})"


def _price(value6: int, tick6: int) -> str:
    return price_text(value6, tick6) if value6 > 0 else "—"


def spread_lines(model: LadderModel, tick6: int) -> tuple[StyledLine, StyledLine]:
    spread = model.spread6
    first = LineBuilder()
    first.append("─ spread ", style="dim")
    first.append(price_text(spread, tick6) if spread is not None else "—", style="bold")
    first.append("  mid ", style="dim")
    first.append(_price(model.mid6, tick6), style="bold")
    first.append(" ─", style="dim")
    second = LineBuilder()
    second.append(" mark ", style="dim")
    second.append(_price(model.mark6, tick6))
    second.append("  last ", style="dim")
    second.append(_price(model.last_trade6, tick6))
    return first.build(), second.build()


@dataclass(frozen=True, slots=True)
class LevelLayout:
    """Column widths shared by every level line of one ladder; an optional column that does not
    fit the width is left out (width 0): our size first, then the cumulative depth, then the bar."""

    width: int
    tick6: int
    price_width: int
    size_width: int
    ours_width: int = 0
    cum_width: int = 0

    @property
    def numbers_width(self) -> int:
        """The marker and every number column, with the spaces between them."""
        width = MARK_WIDTH + self.price_width + 1 + self.size_width
        for column in (self.ours_width, self.cum_width):
            if column:
                width += 1 + column
        return width

    @property
    def bar_width(self) -> int:
        room = self.width - self.numbers_width - 1
        return room if room >= MIN_BAR else 0


HEADINGS: Final = ("price", "size", "ours", "cum")


def level_layout(model: LadderModel, width: int, tick6: int) -> LevelLayout:
    """The columns fit the longest number shown (for non-negative numbers with fixed places and
    grouping, the largest one is the longest: one lookup a column, not one per level) and their
    heading."""
    levels = model.levels
    if not levels:
        return LevelLayout(width=width, tick6=tick6, price_width=0, size_width=0)
    price_width = max(len(HEADINGS[0]), len(price_text(max(lv.price6 for lv in levels), tick6)))
    size_width = max(len(HEADINGS[1]), len(amount_text(max(lv.amount18 for lv in levels))))
    used = MARK_WIDTH + price_width + 1 + size_width
    ours18 = max(lv.ours18 for lv in levels)
    ours_width = max(len(HEADINGS[2]), len(amount_text(ours18))) if ours18 else 0
    if ours_width and used + 1 + ours_width <= width:
        used += 1 + ours_width
    else:
        ours_width = 0
    cum18 = max((lv.cum18 for lv in levels if lv.cum18 is not None), default=None)
    cum_width = max(len(HEADINGS[3]), len(amount_text(cum18))) if cum18 is not None else 0
    if not (cum_width and used + 1 + cum_width <= width):
        cum_width = 0
    return LevelLayout(width, tick6, price_width, size_width, ours_width, cum_width)


def header_line(layout: LevelLayout) -> StyledLine:
    """`     price   size   ours    cum`: the headings of the columns shown, over their numbers."""
    if not layout.price_width:
        return BLANK
    text = (
        " " * MARK_WIDTH + HEADINGS[0].rjust(layout.price_width) + " " + HEADINGS[1].rjust(layout.size_width)
    )
    if layout.ours_width:
        text += " " + HEADINGS[2].rjust(layout.ours_width)
    if layout.cum_width:
        text += " " + HEADINGS[3].rjust(layout.cum_width)
    return LineBuilder().append(text, style=NOTE_STYLE).build()


@lru_cache(maxsize=4096)
def depth_bar(amount18: int, scale18: int, width: int) -> str:
    """Memoised: most levels keep their size from one snapshot to the next."""
    fraction = amount18 / scale18 if scale18 > 0 else 0.0
    return bar_cells(fraction, width).rstrip()


def level_bar(level: LadderLevel, layout: LevelLayout, scale18: int) -> str:
    """The depth bar, or for a level of ours beyond the book read, the note saying so (in the
    room of the depth column and the bar: neither is known there)."""
    if not level.read:
        room = layout.width - layout.numbers_width - 1 + (layout.cum_width + 1 if layout.cum_width else 0)
        return next((note for note in UNREAD_NOTES if len(note) <= room), "")
    width = layout.bar_width
    return depth_bar(level.amount18, scale18, width) if width else ""


def level_line(level: LadderLevel, layout: LevelLayout, bar: str) -> StyledLine:
    """`●2  3,001.10 0.0471 0.0200 0.1383 ███▍` — our count, price, the level's size, our size
    there, the cumulative size from the spread, then a bar proportional to the level's size. A
    level of ours beyond the book read shows `—` for the book's size and a note where the depth
    and the bar go (`●2  2,951.10      — 0.0200 depth not read`).

    Built as pieces directly (numbers carry no control characters), each space joined to the
    piece after it: as few segments as colours, for the many lines a moving book redraws."""
    side = BID_STYLE if level.is_bid else ASK_STYLE
    ours = level.ours
    price = price_text(level.price6, layout.tick6).rjust(layout.price_width)
    pieces: list[tuple[str, str]] = []
    if ours:
        pieces.append((f"●{ours}".ljust(MARK_WIDTH) if ours < 100 else "●99+", OURS_STYLE))
        pieces.append((price, BOLD_STYLES[side]))
    else:
        pieces.append((MARK_BLANK + price, side))
    read = level.read
    # beyond the book read, the book's size is not known (unless only it can show our size)
    size = amount_text(level.amount18) if read or not layout.ours_width else NONE
    pieces.append((" " + size.rjust(layout.size_width), "" if read else NOTE_STYLE))
    if layout.ours_width:
        mine = amount_text(level.ours18) if level.ours18 else ""
        pieces.append((" " + mine.rjust(layout.ours_width), OURS_STYLE))
    if layout.cum_width and read:
        cum = amount_text(level.cum18) if level.cum18 is not None else NONE
        pieces.append((" " + cum.rjust(layout.cum_width), NOTE_STYLE))
    if bar:
        pieces.append((" " + bar, BAR_STYLES[side] if read else NOTE_STYLE))
    merged = [pieces[0]]
    for text, style in pieces[1:]:
        if style == merged[-1][1]:
            merged[-1] = (merged[-1][0] + text, style)
        else:
            merged.append((text, style))
    return StyledLine(tuple(merged))


def fold_line(fold: LadderFold) -> StyledLine:
    """`    ⋮ 7 levels`: levels of the book left out between the rows above and below."""
    plus = "+" if fold.at_least else ""
    noun = "level" if fold.levels == 1 and not plus else "levels"
    return LineBuilder().append(f"    ⋮ {fold.levels}{plus} {noun}", style=NOTE_STYLE).build()


def more_line(more: LadderMore, width: int, tick6: int) -> StyledLine:
    """`● 14 more of ours down to 2,985.00`, in the longest wording that fits `width`."""
    price = price_text(more.farthest6, tick6)
    direction = "down to" if more.is_bid else "up to"
    count = f"{more.orders} more" if more.after_shown else f"{more.orders}"
    wordings = (
        (f" {count} of ours {direction} ", price),
        (f" {count} {direction} ", price),
        (f" +{more.orders} to ", price),
        (f" +{more.orders}", ""),
    )
    text, shown_price = next(
        ((text, p) for text, p in wordings if 1 + cell_len(text) + len(p) <= width), wordings[-1]
    )
    line = LineBuilder().append("●", style=OURS_STYLE).append(text, style=NOTE_STYLE)
    line.append(shown_price, style=f"bold {BID_STYLE if more.is_bid else ASK_STYLE}")
    return line.build()


LineKey = tuple[object, ...]
LineSpec = tuple[LineKey, Callable[[], StyledLine]]


def ladder_specs(
    model: LadderModel | None, width: int, tick6: int, *, header: bool = False
) -> list[LineSpec]:
    """Every line of the ladder, top to bottom, as (key, make): equal keys make equal lines, so a
    widget caches the rendered line by its key and rebuilds only the levels that changed. With
    `header`, a first line names the columns (the model then has one row fewer than the widget)."""
    if model is None:
        return [(("waiting",), lambda: WAITING)]
    layout = level_layout(model, width, tick6)
    scale = model.scale18

    def level_spec(row: LadderRow | None) -> LineSpec:
        if row is None:
            return ("blank",), lambda: BLANK
        if isinstance(row, LadderFold):
            return (row,), lambda: fold_line(row)
        if isinstance(row, LadderMore):
            return (row, width, tick6), lambda: more_line(row, width, tick6)
        bar = level_bar(row, layout, scale)
        return (row, layout, bar), lambda: level_line(row, layout, bar)

    first, second = spread_lines(model, tick6)
    spread_key = ("spread", model.spread6, model.mid6, model.mark6, model.last_trade6, tick6)
    specs: list[LineSpec] = [(("header", layout), lambda: header_line(layout))] if header else []
    specs.extend(level_spec(level) for level in model.asks)
    specs.append(((*spread_key, 0), lambda: first))
    specs.append(((*spread_key, 1), lambda: second))
    specs.extend(level_spec(level) for level in model.bids)
    return specs


def ladder_lines(
    model: LadderModel | None, width: int, tick6: int, *, header: bool = False
) -> list[StyledLine]:
    """Every line of the ladder, top to bottom, for a widget `width` cells wide."""
    return [make() for _, make in ladder_specs(model, width, tick6, header=header)]


class Ladder(LineWidget):
    """Line API widget: a new snapshot rebuilds the list of lines once per (snapshot, size); each
    line's strip is cached by its content, so only the levels that changed are rendered again, and
    only the lines whose strip changed are repainted (a whole-widget refresh would make Textual
    redraw every line, borders included, ten times a second)."""

    CACHE_SIZE = 512

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._snapshot: EngineSnapshot | None = None
        self._generation = 0
        self._cache_key: tuple[int, int, int] | None = None
        self._strips: list[Strip] = []
        self._line_cache: LRUCache[tuple[int, LineKey], Strip] = LRUCache(self.CACHE_SIZE)
        self._ours = OurLevelsTracker()
        self._ours_levels: OurLevels = {}
        self.lines_rendered = 0
        """Line strips rendered (cache misses)."""
        self.group = 1
        """Ticks of price a row holds (`zoom` moves it along `ladder_group.GROUPS`)."""

    def zoom(self, steps: int) -> int:
        """Group the rows `steps` along `GROUPS` (positive: coarser, more price a row); the
        grouping in force after it."""
        group = zoom(self.group, steps)
        if group != self.group:
            self.group = group
            self._generation += 1
            self._cache_key = None
            if self._snapshot is not None:
                self._show_titles(self._snapshot)
            self.refresh()
        return group

    def _show_titles(self, snapshot: EngineSnapshot) -> None:
        tick6 = snapshot.market.tick6
        self.set_title(group_title(snapshot.market.symbol, self.group, tick6))
        self.set_subtitle(floor_text(snapshot.floor_ticks, tick6))

    def show(self, snapshot: EngineSnapshot) -> None:
        self._snapshot = snapshot
        self._generation += 1
        self._ours_levels = self._ours.update(snapshot.wallets)
        self._show_titles(snapshot)
        width, height = self.size
        if self._cache_key is None or self._cache_key[1:] != (width, height) or not (width and height):
            self.refresh()
            return
        old = self._strips
        new = self._build(width, height)
        self._strips = new
        self._cache_key = (self._generation, width, height)
        regions = []
        start: int | None = None
        for y in range(max(len(old), len(new)) + 1):
            same = y < len(old) and y < len(new) and old[y] is new[y]
            end_of_lines = y >= max(len(old), len(new))
            if start is None and not same and not end_of_lines:
                start = y
            elif start is not None and (same or end_of_lines):
                regions.append(Region(0, start, width, y - start))
                start = None
        if regions:
            self.refresh(*regions)

    def _build(self, width: int, height: int) -> list[Strip]:
        snapshot = self._snapshot
        if snapshot is None:
            return []
        base = self.base_style
        console = self.app.console
        strips = []
        header = height >= HEADER_MIN_ROWS
        model = build_ladder(snapshot, height - header, self._ours_levels, group=self.group)
        for spec_key, make in ladder_specs(model, width, snapshot.market.tick6, header=header):
            key = (width, spec_key)
            strip = self._line_cache.get(key)
            if strip is None:
                self.lines_rendered += 1
                strip = line_strip(make(), width, base, console)
                self._line_cache[key] = strip
            strips.append(strip)
        return strips

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        key = (self._generation, width, height)
        if key != self._cache_key:
            self._strips = self._build(width, height)
            self._cache_key = key
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(width, self.base_style)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache_key = None
        self._line_cache.clear()
