"""The order-book ladder, centred on the mid: asks above, bids below, our orders marked; the
safety floor in force in the bottom border.

Pure part: `build_ladder` (which levels fit, with our order counts) and `ladder_lines` (their
text). Widget part: `Ladder` renders through the Line API from strips cached per (snapshot,
size), so a 25-level book costs one build per new snapshot, not one per repaint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from textual.cache import LRUCache
from textual.geometry import Region
from textual.strip import Strip

from ama_tui.core.market import OpenOrder
from ama_tui.engine.snapshot import EngineSnapshot, WalletView
from ama_tui.tui.widgets.line_widget import LineWidget
from ama_tui.tui.widgets.styled_line import LineBuilder, StyledLine, line_strip
from ama_tui.tui.widgets.text import amount_text, price_text
from ama_tui.tui.widgets.util_bar import bar_cells

SPREAD_LINES: Final = 2
"""The spread line (spread and mid) and the reference line (mark and last trade)."""

ASK_STYLE: Final = "red"
BID_STYLE: Final = "green"
OURS_STYLE: Final = "bold yellow"
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


@dataclass(frozen=True, slots=True)
class LadderModel:
    asks: tuple[LadderLevel | None, ...]
    """Top to bottom: the worst shown ask first, the best ask last (next to the spread); `None`
    pads the top when the book is thinner than the room."""
    bids: tuple[LadderLevel | None, ...]
    """Top to bottom: the best bid first; `None` pads the bottom."""
    best_bid6: int
    best_ask6: int
    mid6: int
    mark6: int
    last_trade6: int
    max_amount18: int
    """The largest size shown."""

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


def our_order_counts(wallets: Iterable[WalletView]) -> Counter[tuple[bool, int]]:
    """(is_buy, price6) -> how many of our orders rest there."""
    counts: Counter[tuple[bool, int]] = Counter()
    for wallet in wallets:
        for order in wallet.orders:
            counts[(order.is_buy, order.price6)] += 1
    return counts


class OurOrderCounts:
    """`our_order_counts` kept up to date across snapshots: a wallet whose `orders` tuple is the
    same object as in the previous snapshot (an engine cycle changes a handful of wallets) costs
    nothing; only the wallets that changed are subtracted and added again."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[bool, int]] = Counter()
        self._orders: dict[str, tuple[OpenOrder, ...]] = {}

    def _add(self, orders: Iterable[OpenOrder], sign: int) -> None:
        counts = self.counts
        for order in orders:
            key = (order.is_buy, order.price6)
            count = counts[key] + sign
            if count:
                counts[key] = count
            else:
                del counts[key]

    def update(self, wallets: Sequence[WalletView]) -> Counter[tuple[bool, int]]:
        previous = self._orders
        current = {wallet.address: wallet.orders for wallet in wallets}
        if len(current) != len(wallets):  # the same address twice: count from scratch
            self.counts = our_order_counts(wallets)
            self._orders = {}
            return self.counts
        for address, orders in previous.items():
            if current.get(address) is not orders:
                self._add(orders, -1)
        for address, orders in current.items():
            if previous.get(address) is not orders:
                self._add(orders, +1)
        self._orders = current
        return self.counts


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


def build_ladder(
    snapshot: EngineSnapshot, rows: int, ours: Mapping[tuple[bool, int], int] | None = None
) -> LadderModel | None:
    """The levels that fit in `rows` lines, centred on the spread; None before the first book.
    `ours` is `our_order_counts(snapshot.wallets)` when the caller already has it."""
    book = snapshot.book
    if book is None:
        return None
    ask_room, bid_room = split_room(rows)
    if ours is None:
        ours = our_order_counts(snapshot.wallets)
    asks = [
        LadderLevel(
            False, level.price6, level.amount18, level.order_count, ours.get((False, level.price6), 0)
        )
        for level in book.asks[:ask_room]
    ]
    bids = [
        LadderLevel(True, level.price6, level.amount18, level.order_count, ours.get((True, level.price6), 0))
        for level in book.bids[:bid_room]
    ]
    shown = [level.amount18 for level in (*asks, *bids)]
    padded_asks: list[LadderLevel | None] = [None] * (ask_room - len(asks))
    padded_asks.extend(reversed(asks))
    padded_bids: list[LadderLevel | None] = [*bids]
    padded_bids.extend([None] * (bid_room - len(bids)))
    top = book.top
    return LadderModel(
        asks=tuple(padded_asks),
        bids=tuple(padded_bids),
        best_bid6=top.best_bid6,
        best_ask6=top.best_ask6,
        mid6=top.mid6,
        mark6=top.mark6,
        last_trade6=top.last_trade6,
        max_amount18=max(shown, default=0),
    )


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
    """Column widths shared by every level line of one ladder."""

    width: int
    tick6: int
    price_width: int
    size_width: int

    @property
    def bar_width(self) -> int:
        return self.width - 4 - self.price_width - 1 - self.size_width - 1


def level_layout(model: LadderModel, width: int, tick6: int) -> LevelLayout:
    """The columns fit the longest price and size shown: for non-negative numbers with fixed
    places and grouping, the largest one is the longest (two lookups, not two per level)."""
    levels = [lv for lv in (*model.asks, *model.bids) if lv is not None]
    if not levels:
        return LevelLayout(width=width, tick6=tick6, price_width=0, size_width=0)
    return LevelLayout(
        width=width,
        tick6=tick6,
        price_width=len(price_text(max(lv.price6 for lv in levels), tick6)),
        size_width=len(amount_text(model.max_amount18)),
    )


def level_bar(level: LadderLevel, layout: LevelLayout, scale18: int) -> str:
    fraction = level.amount18 / scale18 if scale18 > 0 else 0.0
    return bar_cells(fraction, layout.bar_width).rstrip()


def level_line(level: LadderLevel, layout: LevelLayout, bar: str) -> StyledLine:
    """`●2  3,001.10   0.0471 ███▍` — our count, price, size, then a bar proportional to size."""
    side = BID_STYLE if level.is_bid else ASK_STYLE
    line = LineBuilder()
    if level.ours:
        line.append(f"●{level.ours}".ljust(4) if level.ours < 100 else "●99+", style=OURS_STYLE)
    else:
        line.append("    ")
    price_style = f"bold {side}" if level.ours else side
    line.append(price_text(level.price6, layout.tick6).rjust(layout.price_width), style=price_style)
    line.append(" ")
    line.append(amount_text(level.amount18).rjust(layout.size_width), style="bold" if level.ours else "")
    if bar:
        line.append(" ")
        line.append(bar, style=f"dim {side}")
    return line.build()


LineKey = tuple[object, ...]
LineSpec = tuple[LineKey, Callable[[], StyledLine]]


def ladder_specs(model: LadderModel | None, width: int, tick6: int) -> list[LineSpec]:
    """Every line of the ladder, top to bottom, as (key, make): equal keys make equal lines, so a
    widget caches the rendered line by its key and rebuilds only the levels that changed."""
    if model is None:
        return [(("waiting",), lambda: WAITING)]
    layout = level_layout(model, width, tick6)
    scale = model.scale18

    def level_spec(level: LadderLevel | None) -> LineSpec:
        if level is None:
            return ("blank",), lambda: BLANK
        bar = level_bar(level, layout, scale)
        return (level, layout, bar), lambda: level_line(level, layout, bar)

    first, second = spread_lines(model, tick6)
    spread_key = ("spread", model.spread6, model.mid6, model.mark6, model.last_trade6, tick6)
    specs = [level_spec(level) for level in model.asks]
    specs.append(((*spread_key, 0), lambda: first))
    specs.append(((*spread_key, 1), lambda: second))
    specs.extend(level_spec(level) for level in model.bids)
    return specs


def ladder_lines(model: LadderModel | None, width: int, tick6: int) -> list[StyledLine]:
    """Every line of the ladder, top to bottom, for a widget `width` cells wide."""
    return [make() for _, make in ladder_specs(model, width, tick6)]


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
        self._ours = OurOrderCounts()
        self._ours_counts: Counter[tuple[bool, int]] = Counter()
        self.lines_rendered = 0
        """Line strips rendered (cache misses)."""

    def show(self, snapshot: EngineSnapshot) -> None:
        self._snapshot = snapshot
        self._generation += 1
        self._ours_counts = self._ours.update(snapshot.wallets)
        self.set_title(f"Book {snapshot.market.symbol}")
        self.set_subtitle(floor_text(snapshot.floor_ticks, snapshot.market.tick6))
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
        model = build_ladder(snapshot, height, self._ours_counts)
        for spec_key, make in ladder_specs(model, width, snapshot.market.tick6):
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
