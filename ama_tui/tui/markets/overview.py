"""The fleet overview of a run over several markets (tab 0): per market its state, orders, fills,
PnL and utilization; per wallet its share of the budget in each market and its total use over
them (`overview_rows`). Read from every market's handle twice a second (only what changed is
redrawn); nothing here runs on a worker thread."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Final

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.markets.overview_rows import budget_line, market_rows, wallet_rows
from ama_tui.tui.markets.tabs import TAB_BINDINGS, MarketTabsBar, TabKeys
from ama_tui.tui.markets_run import MarketHandles
from ama_tui.tui.widgets.header_bar import BADGE_STYLES

REFRESH_S: Final = 0.5
MARKET_COLUMNS: Final = (
    ("market", "Market"),
    ("state", "State"),
    ("weight", "Weight"),
    ("share", "Share"),
    ("orders", "B/S"),
    ("fills", "Fills"),
    ("pnl", "PnL"),
    ("util", "Util"),
    ("cycle", "Cycle"),
)


class FleetOverviewScreen(TabKeys, Screen[None]):
    CSS_PATH = "markets.tcss"
    BINDINGS: ClassVar[list[BindingType]] = TAB_BINDINGS

    def __init__(self, handles: MarketHandles, *, refresh_s: float = REFRESH_S) -> None:
        super().__init__()
        self.handles = handles
        self.symbols = handles.symbols
        self.refresh_s = refresh_s
        self._shown: dict[str, tuple[object, ...]] = {}

    def compose(self) -> ComposeResult:
        yield MarketTabsBar(self.symbols, 0, id="market-tabs")
        yield Static("", id="overview-budget")
        markets: DataTable[Any] = DataTable(id="overview-markets", cursor_type="row", zebra_stripes=True)
        yield markets
        wallets: DataTable[Any] = DataTable(id="overview-wallets", cursor_type="row", zebra_stripes=True)
        yield wallets
        yield Footer()

    def on_mount(self) -> None:
        markets = self.query_one("#overview-markets", DataTable)
        markets.border_title = "Markets"
        for key, label in MARKET_COLUMNS:
            markets.add_column(label, key=key)
        for symbol in self.symbols:
            markets.add_row(symbol, *([""] * (len(MARKET_COLUMNS) - 1)), key=symbol)
        wallets = self.query_one("#overview-wallets", DataTable)
        wallets.border_title = "Wallets: margin held / cap in each market's share, and over all of them"
        wallets.add_column("Wallet", key="wallet")
        for index, symbol in enumerate(self.symbols):
            wallets.add_column(symbol, key=f"m{index}")
        for key, label in (("reserved", "Held"), ("cap", "Total cap"), ("use", "Use")):
            wallets.add_column(label, key=key)
        markets.focus()
        self.refresh_figures()
        self.set_interval(self.refresh_s, self.refresh_figures)

    def snapshots(self) -> dict[str, EngineSnapshot | None]:
        return {s: (h.latest if (h := self.handles.handle(s)) is not None else None) for s in self.symbols}

    def refresh_figures(self) -> None:
        snapshots = self.snapshots()
        split = self.handles.split
        markets: DataTable[Any] = self.query_one("#overview-markets", DataTable)
        wallets: DataTable[Any] = self.query_one("#overview-wallets", DataTable)
        with self.app.batch_update():
            budget = budget_line(self.symbols, split)
            if self._shown.get("budget") != (budget,):
                self._shown["budget"] = (budget,)
                badge = self.handles.handles[0].badge if self.handles.handles else ""
                line = Content.styled(f" {badge} ", BADGE_STYLES.get(badge, "bold")) if badge else Content("")
                self.query_one("#overview-budget", Static).update(
                    Content("").join([line, Content(f" {budget}")])
                )
            for row in market_rows(self.symbols, snapshots, split):
                cells: tuple[str, ...] = (
                    row.symbol,
                    row.state,
                    row.weight,
                    row.share,
                    row.orders,
                    row.fills,
                    row.pnl,
                    row.utilization,
                    row.cycle,
                )
                self._update_row(markets, row.symbol, cells, [key for key, _ in MARKET_COLUMNS])
            keys = ["wallet", *(f"m{i}" for i in range(len(self.symbols))), "reserved", "cap", "use"]
            for wallet in wallet_rows(self.symbols, snapshots, split):
                cells = (wallet.nickname, *wallet.per_market, wallet.reserved, wallet.cap, wallet.use)
                if wallet.nickname not in wallets.rows:
                    wallets.add_row(*cells, key=wallet.nickname)
                    self._shown[f"w:{wallet.nickname}"] = cells
                else:
                    self._update_row(wallets, wallet.nickname, cells, keys, prefix="w:")

    def _update_row(
        self,
        table: DataTable[Any],
        key: str,
        cells: Sequence[object],
        columns: Sequence[str],
        prefix: str = "",
    ) -> None:
        """Only the cells that changed (a keyed, diffed table)."""
        before = self._shown.get(prefix + key, ())
        for index, (column, cell) in enumerate(zip(columns, cells, strict=True)):
            if index >= len(before) or before[index] != cell:
                table.update_cell(key, column, cell, update_width=True)
        self._shown[prefix + key] = tuple(cells)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a market: its tab."""
        event.stop()
        if event.data_table.id == "overview-markets":
            self.action_goto_tab(event.cursor_row + 1)
