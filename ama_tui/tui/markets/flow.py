"""The app's side of a run over several markets: the markets held while the user decides, the
message the engine worker ends with, and the tab screens (the overview, then a dashboard per
market) that the app switches between. The screens stay installed while the run lasts, so a tab
keeps its state (log, filters, sparklines) while another is shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from textual.app import App
from textual.message import Message
from textual.screen import Screen

from ama_tui.core.models import MarketCheckpoint, PackerParams
from ama_tui.engine.multi_market import MultiSummary
from ama_tui.engine.run_setup import multi_market_record
from ama_tui.headless_markets import UTILIZATION
from ama_tui.store import MarketStore
from ama_tui.tui.markets.market_dashboard import MarketDashboardScreen
from ama_tui.tui.markets.overview import FleetOverviewScreen
from ama_tui.tui.markets.tabs import TabWanted
from ama_tui.tui.markets_run import MarketHandles
from ama_tui.venues.base import MarketRow


@dataclass(frozen=True, slots=True)
class HeldMarkets:
    """The markets marked on the picker, their stores open and locked, while the user decides."""

    rows: tuple[MarketRow, ...]
    stores: tuple[MarketStore, ...]
    checkpoints: tuple[MarketCheckpoint | None, ...]

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(row.symbol for row in self.rows)

    @property
    def first_checkpoint(self) -> MarketCheckpoint | None:
        return next((c for c in self.checkpoints if c is not None), None)

    def kept_weights(self) -> dict[str, Decimal]:
        """Each market's weight as a previous run over them kept it (`multiMarket`)."""
        weights: dict[str, Decimal] = {}
        for row, checkpoint in zip(self.rows, self.checkpoints, strict=True):
            record = multi_market_record(checkpoint)
            if record is None:
                continue
            try:
                weight = Decimal(str(record.get("weight")))
            except InvalidOperation:
                continue
            if weight.is_finite() and weight > 0:
                weights[row.symbol] = weight
        return weights

    def kept_packer(self, packer: PackerParams) -> PackerParams:
        """`packer` with the wallets' total utilization a previous run over these markets kept
        (its checkpoint's own is that market's share)."""
        for checkpoint in self.checkpoints:
            record = multi_market_record(checkpoint)
            total = record.get(UTILIZATION) if record is not None else None
            if total is None:
                continue
            try:
                return packer.model_copy(update={"max_wallet_utilization": Decimal(str(total))})
            except InvalidOperation:
                continue
        return packer

    def close(self) -> None:
        for store in self.stores:
            store.close()


class MarketsFinished(Message):
    """The run over several markets returned (`summary`) or died (`error`, one line)."""

    def __init__(self, summary: MultiSummary | None, error: str | None) -> None:
        super().__init__()
        self.summary = summary
        self.error = error


def finished_text(summary: MultiSummary, *, cancelled_all: bool = False) -> str:
    """What the run did, per market, for the message at its end."""
    lines = [f"{summary.stop_reason}.", ""]
    if cancelled_all:
        lines[0:0] = ["Every open order of our wallets was cancelled in every market (cancel all).", ""]
    for market in summary.markets:
        s = market.summary
        lines.append(
            f"{market.symbol} (run {s.run_id}): {s.cycles} cycles, {s.placed} orders placed, "
            f"{s.cancelled} cancelled, {s.fills} fills, {s.errors} errors."
        )
    lines += ["", "Every market's checkpoint is saved."]
    return "\n".join(lines)


class MarketTabs:
    """The tab screens of a running multi-market run: 0 the overview, then one per market."""

    def __init__(
        self,
        app: App[Any],
        handles: MarketHandles,
        *,
        bell: bool,
        folders: Mapping[str, Path],
        screen_options: Mapping[str, Any] | None = None,
    ) -> None:
        """`screen_options`: more for every market's `DashboardScreen` (tests: a fixed clock)."""
        self.app = app
        self.handles = handles
        symbols = handles.symbols
        screens: list[Screen[Any]] = [FleetOverviewScreen(handles)]
        for index, symbol in enumerate(symbols, 1):
            handle = handles.handle(symbol)
            assert handle is not None, "every market has its handle before the first snapshot"
            screens.append(
                MarketDashboardScreen(
                    handle,
                    symbols=symbols,
                    tab=index,
                    bell=bell,
                    state_folder=folders.get(symbol),
                    **(screen_options or {}),
                )
            )
        self.screens: Sequence[Screen[Any]] = screens
        self.shown = 0
        for index, screen in enumerate(screens):
            app.install_screen(screen, name=self.name(index))

    @staticmethod
    def name(index: int) -> str:
        return f"market-tab-{index}"

    def target(self, wanted: TabWanted) -> int:
        count = len(self.screens)
        if wanted.index is not None:
            return wanted.index if 0 <= wanted.index < count else self.shown
        return (self.shown + wanted.step) % count

    def switch(self, wanted: TabWanted) -> None:
        """Show the tab asked for, unless a dialog is up over the tab shown."""
        target = self.target(wanted)
        if target != self.shown and self.app.screen is self.screens[self.shown]:
            self.shown = target
            self.app.switch_screen(self.screens[target])

    def uninstall(self) -> None:
        """Once no tab is on the stack: the screens go (their timers with them)."""
        for index, screen in enumerate(self.screens):
            if screen in self.app.screen_stack:
                continue
            self.app.uninstall_screen(self.name(index))
            if screen.is_attached:
                screen.remove()
