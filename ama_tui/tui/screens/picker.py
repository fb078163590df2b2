"""The market picker: a searchable list of the exchange's active markets.

Typing goes to the search field; ↑/↓/enter drive the table while the field keeps the focus. On the
embedded exchange every active market is loaded once and filtered here as you type; on any other
venue the exchange searches (debounced, in a thread worker) and pages (`ctrl+l` or the last row
loads more). Best bid/ask are read for the listed markets in another worker and show "–" until
known. Exchange failures are a message with a Retry, never a traceback.

Several markets in one run: ctrl+space (or insert) marks (or unmarks) the highlighted market,
shown by a ✓ in the row's first column and named in the status line; enter then starts with the
marked ones (in the order they were marked: the first opens the wallets' sessions), or with the
highlighted one when none is marked. Space marks too while the search is empty; once the search
holds text, space is typed into it ("ETH USD", a name of two words), so marking never takes a key
a search needs.
"""

from __future__ import annotations

from typing import ClassVar, Final

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, DataTable, Footer, Header, Input, LoadingIndicator, Static
from textual.worker import get_current_worker

from ama_tui.core.market import BookTop
from ama_tui.core.units import format_price6
from ama_tui.tui.messages import MarketsFailed, MarketsLoaded, TopsFetched
from ama_tui.venues.base import MarketPage, MarketRow, Venue, VenueError

MORE_ROW: Final = "__more__"
TOPS_BATCH: Final = 4
NAME_WIDTH_MIN: Final = 6
NAME_WIDTH_MAX: Final = 40
PRICE_WIDTH: Final = 8
"""Room kept for a best bid/ask before it is known, so the name column does not jump."""
NO_VALUE: Final = "–"
MARK: Final = "✓"
MARK_KEYS: Final = "ctrl+space"
"""The mark key the status line names: space is typed once the search holds text."""
COLUMNS: Final = (
    ("mark", " "),
    ("symbol", "Symbol"),
    ("book", "Order book"),
    ("chain", "Chain"),
    ("tick", "Tick"),
    ("bid", "Best bid"),
    ("ask", "Best ask"),
    ("name", "Name"),
)
"""The name is last: on a narrow terminal it is the column that gets clipped."""


def short_address(address: str) -> str:
    """`0x1234…abcd`."""
    return f"{address[:6]}…{address[-4:]}" if len(address) > 12 else address


NOT_DEPLOYED: Final = "not deployed"


def row_key(row: MarketRow) -> str:
    """The table key of a row: its order book, or for a market not deployed yet (no order book;
    several may be listed) its symbol, marked so it never collides with an address."""
    if row.market_address:
        return row.market_address.lower()
    return f"~{row.market_identifier or row.symbol}".lower()


def tradable(row: MarketRow) -> bool:
    return bool(row.market_address and row.market_id_bytes32)


def matches(row: MarketRow, needle: str) -> bool:
    """Case-insensitive match on symbol, name, identifier or order-book address: every word of
    `needle` is in one of them ("eth usd" finds ETH-USD, "natural gas" a name with those words)."""
    fields = [field.lower() for field in (row.symbol, row.name, row.market_identifier, row.market_address)]
    return all(any(word in field for field in fields) for word in needle.lower().split())


class SearchInput(Input):
    """The search field: every printable key is typed, except `?` (no market has one), which
    stays the app's help key, and space in an empty search, which marks a market (a search never
    starts with a space); once the search holds text, space is typed like any character."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if character == " ":
            return bool(self.value)
        return character != "?" and super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        if event.character == " " and not self.value:
            event.prevent_default()  # not typed: it goes on to the screen's binding


MARK_HELP: Final = "mark / unmark the market for a run over several markets (enter starts with them)"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class PickerScreen(Screen[None]):
    """Posts `PickerScreen.Picked` (to the app) when a market is chosen; stays on the stack so
    Back from the next screens lands here again."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor('up')", "Up", show=False, tooltip="move in the list"),
        Binding("down", "cursor('down')", "Down", show=False, tooltip="move in the list"),
        Binding("pageup", "cursor('page_up')", show=False, tooltip="move in the list"),
        Binding("pagedown", "cursor('page_down')", show=False, tooltip="move in the list"),
        Binding(
            "enter",
            "pick",
            "Pick",
            priority=True,
            tooltip="pick the market, or start with the marked ones (several markets in one run)",
        ),
        Binding("ctrl+space,insert", "mark", "Mark", tooltip=MARK_HELP),
        # what a terminal without the kitty keyboard protocol sends for ctrl+space
        Binding("ctrl+@", "mark", show=False, key_display="ctrl+space", tooltip=MARK_HELP),
        Binding(
            "space",
            "mark",
            show=False,
            tooltip="marks too while the search is empty",
        ),
        Binding("ctrl+l", "load_more", "Load more", tooltip="load more markets (when the exchange has more)"),
        Binding("r", "retry", "Retry", tooltip="retry when the exchange did not answer"),
        Binding("f2", "arena", "Arena", tooltip="the Arena: compare strategies on the embedded exchange"),
        Binding("f3", "analytics", "Analytics", tooltip="analytics of a stored market's journal"),
    ]
    HELP_EXTRA: ClassVar[tuple[tuple[str, str], ...]] = (
        ("type", "filter the markets: every word typed must match"),
    )
    """What the help says besides the bindings."""

    class Picked(Message):
        """One market (`row`), or the marked ones (`rows`, in the order they were marked)."""

        def __init__(self, row: MarketRow, rows: tuple[MarketRow, ...] = ()) -> None:
            super().__init__()
            self.row = row
            self.rows = rows or (row,)

    class ArenaWanted(Message):
        """f2: the app opens the Arena screen."""

    class AnalyticsWanted(Message):
        """f3: the app opens the stored markets, for their analytics."""

    def __init__(
        self,
        venue: Venue,
        *,
        venue_label: str,
        server_search: bool,
        page_size: int = 50,
        debounce_s: float = 0.3,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.venue = venue
        self.venue_label = venue_label
        self.server_search = server_search
        self.page_size = page_size
        self.debounce_s = debounce_s
        self.cursor_blink = cursor_blink
        self.rows: list[MarketRow] = []
        self.total = 0
        self.state = "loading"
        self.error: str | None = None
        self._query = ""
        self._loaded_query = ""
        self._generation = 0
        self._tops: dict[str, BookTop | None] = {}
        self._tops_wanted: set[str] = set()
        self._debounce: Timer | None = None
        self._name_width = NAME_WIDTH_MAX
        self.marked: list[MarketRow] = []
        """Marked for a run over several markets, in the order they were marked."""

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content(f"Exchange: {self.venue_label}"), id="venue-line")
        yield SearchInput(placeholder="Search markets: symbol, name or address", id="search")
        yield LoadingIndicator(id="markets-loading")
        table: DataTable[str] = DataTable(id="markets", cursor_type="row", zebra_stripes=True)
        table.can_focus = True
        yield table
        with Vertical(id="markets-error"):
            yield Static(id="markets-error-text")
            yield Button("Retry (r)", id="retry", variant="primary")
        yield Static(id="markets-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#markets", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        search = self.query_one("#search", Input)
        search.cursor_blink = self.cursor_blink
        search.focus()
        self._load(append=False)

    def _set_state(self, state: str) -> None:
        self.state = state
        for name in ("loading", "ready", "error"):
            self.set_class(state == name, f"-{name}")
        search = self.query_one("#search", Input)
        search.disabled = state == "error"
        if state == "error":
            self.query_one("#retry", Button).focus()
        elif self.focused is None or isinstance(self.focused, Button):
            search.focus()
        self.refresh_bindings()

    # -- loading markets ----------------------------------------------------------------------

    def _load(self, *, append: bool) -> None:
        self._generation += 1
        if self.state != "ready":
            self._set_state("loading")
        else:
            self.query_one("#markets-status", Static).update("searching…" if not append else "loading more…")
        query = self._query if self.server_search else ""
        offset = len(self.rows) if append else 0
        self._fetch_markets(query, offset, append, self._generation)

    @work(thread=True, exclusive=True, group="markets", exit_on_error=False)
    def _fetch_markets(self, query: str, offset: int, append: bool, generation: int) -> None:
        """Server search: one page. Embedded exchange: every active market, page by page."""
        try:
            page = self.venue.list_markets(
                search=query or None, status="ACTIVE", limit=self.page_size, offset=offset
            )
            if not self.server_search:
                markets = list(page.markets)
                while page.has_more and page.markets and not get_current_worker().is_cancelled:
                    page = self.venue.list_markets(
                        status="ACTIVE", limit=self.page_size, offset=page.offset + len(page.markets)
                    )
                    markets.extend(page.markets)
                page = MarketPage(tuple(markets), len(markets), len(markets), 0)
        except VenueError as exc:
            self.post_message(MarketsFailed(str(exc), generation=generation))
        except Exception as exc:  # anything else is still a message, not a traceback
            self.post_message(MarketsFailed(f"{type(exc).__name__}: {exc}", generation=generation))
        else:
            self.post_message(MarketsLoaded(page, append=append, generation=generation))

    def on_markets_loaded(self, message: MarketsLoaded) -> None:
        if message.generation != self._generation:
            return
        page = message.page
        self.rows = [*self.rows, *page.markets] if message.append else list(page.markets)
        self.total = page.total
        self._loaded_query = self._query
        self.error = None
        self._render_rows(keep_cursor=message.append)
        self._set_state("ready")

    def on_markets_failed(self, message: MarketsFailed) -> None:
        if message.generation != self._generation:
            return
        self.error = message.error
        self.query_one("#markets-error-text", Static).update(
            Content(f"The exchange did not answer: {message.error}\n\nPress r (or the button) to try again.")
        )
        self.query_one("#markets-status", Static).update("")
        self._set_state("error")

    @property
    def has_more(self) -> bool:
        return self.server_search and len(self.rows) < self.total

    def visible_rows(self) -> list[MarketRow]:
        if self.server_search:
            return list(self.rows)
        return [row for row in self.rows if matches(row, self._query.strip())]

    def _render_rows(self, *, keep_cursor: bool) -> None:
        table: DataTable[str] = self.query_one("#markets", DataTable)
        previous = self._key_at_cursor() if keep_cursor else None
        previous_index = table.cursor_row
        shown = self.visible_rows()
        self._name_width = self._fit_name_width(shown)
        with self.app.batch_update():
            table.clear()
            for row in shown:
                table.add_row(*self._cells(row), key=row_key(row))
            if self.has_more:
                left = self.total - len(self.rows)
                table.add_row(
                    "", f"… {left} more", "", "", "", "", "", "enter or ctrl+l loads them", key=MORE_ROW
                )
            if previous is not None and previous != MORE_ROW and previous in table.rows:
                table.move_cursor(row=table.get_row_index(previous))
            elif previous == MORE_ROW and shown:
                # After "load more", land on the first of the new rows.
                table.move_cursor(row=min(len(shown) - 1, previous_index))
            else:
                table.move_cursor(row=0)
        self._update_status(len(shown))
        self._want_tops(shown)

    def _is_marked(self, row: MarketRow) -> bool:
        return any(row_key(m) == row_key(row) for m in self.marked)

    def _cells(self, row: MarketRow) -> tuple[str, ...]:
        return (*self._fixed_cells(row), _clip(row.name, self._name_width))

    def _fit_name_width(self, rows: list[MarketRow]) -> int:
        """As wide as the table leaves for the name (every other column at its widest)."""
        width = (self.size.width or self.app.size.width) - 2  # the table's margins
        cells = [self._fixed_cells(row) for row in rows]
        others = 0
        for index, (_key, label) in enumerate(COLUMNS[:-1]):
            widest = max([len(label), *(len(row_cells[index]) for row_cells in cells)])
            if index in (5, 6):
                widest = max(widest, PRICE_WIDTH)
            others += widest + 2
        room = width - others - 2 - 2  # the name's padding, the scrollbar
        return max(NAME_WIDTH_MIN, min(NAME_WIDTH_MAX, room))

    def _fixed_cells(self, row: MarketRow) -> tuple[str, ...]:
        """Every cell of a row but the name (the one column fitted to the room left)."""
        bid, ask = self._top_cells(row)
        return (
            MARK if self._is_marked(row) else "",
            row.symbol,
            short_address(row.market_address) if tradable(row) else NOT_DEPLOYED,
            str(row.chain_id),
            f"{row.tick_size:f}",
            bid,
            ask,
        )

    def on_resize(self) -> None:
        if self.state == "ready" and self._fit_name_width(self.visible_rows()) != self._name_width:
            self._render_rows(keep_cursor=True)

    def _update_status(self, shown: int) -> None:
        if self.server_search:
            text = f"{len(self.rows)} of {self.total} active markets"
            if self.has_more:
                text += " · ctrl+l loads more"
        else:
            needle = self._query.strip()
            text = (
                f"{shown} of {len(self.rows)} active markets match {needle!r}"
                if needle
                else f"{len(self.rows)} active markets"
            )
        if self.marked:
            names = ", ".join(row.symbol for row in self.marked)
            text += f" · marked: {names} · enter starts with them"
        elif shown:
            text += f" · ↑↓ move, enter picks, {MARK_KEYS} marks"
        self.query_one("#markets-status", Static).update(Content(text))

    # -- best bid / ask ------------------------------------------------------------------------

    def _top_cells(self, row: MarketRow) -> tuple[str, str]:
        top = self._tops.get(row.market_address.lower()) if tradable(row) else None
        if top is None:
            return NO_VALUE, NO_VALUE
        tick6 = row.tick6 or None
        bid = format_price6(top.best_bid6, tick6) if top.best_bid6 > 0 else NO_VALUE
        ask = format_price6(top.best_ask6, tick6) if top.best_ask6 > 0 else NO_VALUE
        return bid, ask

    def _want_tops(self, rows: list[MarketRow]) -> None:
        missing = [
            row.market_address
            for row in rows
            if tradable(row)
            and row.market_address.lower() not in self._tops
            and row.market_address.lower() not in self._tops_wanted
        ]
        if missing:
            self._tops_wanted.update(address.lower() for address in missing)
            self._fetch_tops(missing)

    @work(thread=True, group="tops", exit_on_error=False)
    def _fetch_tops(self, addresses: list[str]) -> None:
        worker = get_current_worker()
        batch: dict[str, BookTop | None] = {}
        for address in addresses:
            if worker.is_cancelled:
                break
            try:
                batch[address.lower()] = self.venue.book(address, 1).top
            except VenueError:
                batch[address.lower()] = None
            except Exception:  # a display nicety: a failure here just leaves "–"
                batch[address.lower()] = None
            if len(batch) >= TOPS_BATCH:
                self.post_message(TopsFetched(batch))
                batch = {}
        if batch:
            self.post_message(TopsFetched(batch))

    def on_tops_fetched(self, message: TopsFetched) -> None:
        table: DataTable[str] = self.query_one("#markets", DataTable)
        by_key = {row_key(row): row for row in self.rows}
        with self.app.batch_update():
            for key, top in message.tops.items():
                self._tops_wanted.discard(key)
                if top is None:
                    continue
                self._tops[key] = top
                row = by_key.get(key)
                if row is None or key not in table.rows:
                    continue
                bid, ask = self._top_cells(row)
                table.update_cell(key, "bid", bid)
                table.update_cell(key, "ask", ask)

    # -- searching -----------------------------------------------------------------------------

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._query = event.value
        if not self.server_search:
            if self.state == "ready":
                self._render_rows(keep_cursor=False)
            return
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(self.debounce_s, self._search_now)

    def _search_now(self) -> None:
        self._debounce = None
        if self._query.strip() != self._loaded_query.strip() or self.state != "ready":
            self._load(append=False)

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_pick()

    @on(DataTable.RowSelected, "#markets")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._pick_key(event.row_key.value)

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self.state == "error"
        if action == "load_more":
            return self.state == "ready" and self.has_more
        if action in ("pick", "cursor", "mark"):
            return self.state == "ready"
        return True

    def _key_at_cursor(self) -> str | None:
        table: DataTable[str] = self.query_one("#markets", DataTable)
        if table.row_count == 0:
            return None
        cell = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        return cell.row_key.value

    def action_cursor(self, where: str) -> None:
        table: DataTable[str] = self.query_one("#markets", DataTable)
        getattr(table, f"action_{'cursor_' if where in ('up', 'down') else ''}{where}")()

    def action_pick(self) -> None:
        if self.state != "ready":
            return
        if self.marked:
            self.post_message(self.Picked(self.marked[0], tuple(self.marked)))
            return
        self._pick_key(self._key_at_cursor())

    def action_mark(self) -> None:
        """ctrl+space (space in an empty search): mark the highlighted market for a run over
        several, or unmark it."""
        key = self._key_at_cursor()
        row = next((r for r in self.rows if row_key(r) == key), None) if key not in (None, MORE_ROW) else None
        if row is None:
            self.app.bell()
            return
        if self._is_marked(row):
            self.marked = [m for m in self.marked if row_key(m) != key]
        elif not tradable(row):
            self.app.bell()
            self.notify(f"{row.symbol} is not deployed yet: it cannot be traded", severity="warning")
            return
        else:
            self.marked.append(row)
        table: DataTable[str] = self.query_one("#markets", DataTable)
        table.update_cell(row_key(row), "mark", MARK if self._is_marked(row) else "")
        self._update_status(len(self.visible_rows()))

    def _pick_key(self, key: str | None) -> None:
        if key is None:
            self.app.bell()
            return
        if key == MORE_ROW:
            self.action_load_more()
            return
        for row in self.rows:
            if row_key(row) == key:
                if not tradable(row):
                    self.app.bell()
                    self.notify(
                        f"{row.symbol} is not deployed yet ({row.market_status}): it cannot be traded",
                        severity="warning",
                    )
                    return
                self.post_message(self.Picked(row))
                return

    def action_load_more(self) -> None:
        if self.state == "ready" and self.has_more:
            self._load(append=True)

    def action_arena(self) -> None:
        self.post_message(self.ArenaWanted())

    def action_analytics(self) -> None:
        self.post_message(self.AnalyticsWanted())

    def action_retry(self) -> None:
        if self.state == "error":
            self._load(append=False)

    @on(Button.Pressed, "#retry")
    def _retry_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_retry()
