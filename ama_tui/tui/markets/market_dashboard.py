"""One market's tab in a run over several markets: that market's usual dashboard (its own
handle, so pause, edits, cancels, export, journal and analytics are its own) under the tab bar.

Its snapshot timer rests while another tab is shown: a hidden dashboard does not repaint."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Final

from textual.app import ComposeResult
from textual.binding import BindingType

from ama_tui.tui.dashboard import screen as dashboard_screen
from ama_tui.tui.dashboard.screen import DashboardScreen
from ama_tui.tui.engine_handle import EngineHandle
from ama_tui.tui.key_help import HelpSection, section
from ama_tui.tui.markets.tabs import TAB_BINDINGS, MarketTabsBar, TabKeys

HERE: Final = Path(__file__).parent
DASHBOARD_CSS: Final = Path(dashboard_screen.__file__).parent / "dashboard.tcss"


def tabs_help() -> HelpSection:
    return section(
        "Several markets: tabs",
        TAB_BINDINGS,
        extra=(("enter", "overview: open the highlighted market's tab"),),
    )


class MarketDashboardScreen(TabKeys, DashboardScreen):
    CSS_PATH = [str(DASHBOARD_CSS), str(HERE / "markets.tcss")]  # type: ignore[assignment]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = TAB_BINDINGS

    def __init__(self, handle: EngineHandle, *, symbols: Sequence[str], tab: int, **kwargs: Any) -> None:
        super().__init__(handle, **kwargs)
        self.symbols = tuple(symbols)
        self.tab = tab
        """This market's tab (1.. in the bar's order)."""
        self.params_market = self.symbols[tab - 1]
        """`e` edits this market's parameters alone (its handle's)."""

    def compose(self) -> ComposeResult:
        yield MarketTabsBar(self.symbols, self.tab, id="market-tabs")
        yield from super().compose()

    def cancel_all_sent(self) -> None:
        """Cancel-all stops every market: the overview shows each one's progress."""
        self.action_goto_tab(0)

    @classmethod
    def help_sections(cls) -> tuple[HelpSection, ...]:
        return (*DashboardScreen.help_sections(), tabs_help())

    def on_screen_suspend(self) -> None:
        if self._timer is not None:
            self._timer.pause()

    def on_screen_resume(self) -> None:
        if self._timer is not None:
            self.pull()
            self._timer.resume()
