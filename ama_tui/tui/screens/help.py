"""`?`: every key of the app, by screen (made from the screens' bindings: `key_help`), and what the
dashboard's numbers mean (the wallets panel's columns, the cap, the safety floor)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Final

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ama_tui.tui.dashboard.screen import DashboardScreen
from ama_tui.tui.key_help import HelpSection, KeyRow, section
from ama_tui.tui.screens.config import ConfigScreen
from ama_tui.tui.screens.picker import PickerScreen
from ama_tui.tui.screens.resume import ResumeScreen

NAME_WIDTH: Final = 16

CAP_RULE: Final = (
    "Cap = maxWalletUtilization × (free collateral + margin held by our open orders); "
    "Util = margin held by our open orders / Cap."
)
ALERT_RULE: Final = (
    "Alerts (a red banner under the header, a line in the log, the terminal bell): the kill switch "
    "tripped, a wallet holding more than its cap, a burst of errors (5 within 30 s), a wallet of a "
    "running packer without a live session."
)
BOOK_RULE: Final = (
    "Book: each row's price, the book's size there, ours (our orders' size there, ●n: how many), "
    "cum (the size from the spread through that row) and a bar of the size; - and + group the "
    "rows by 2, 5, 10 … 1000 ticks (the title shows a row's price). The totals strip draws the "
    "fleet's net position, PnL and utilization over the last two minutes."
)
FLOOR_RULE: Final = (
    "Safety floor (under the book: floor N ticks) = safetySigmas × σ × √latency, σ the mid's "
    "measured volatility and latency the relay's round trip: every order keeps at least that far "
    "from the mid and from the other side's best price, so the market cannot reach it while it is "
    "being sent."
)
COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("Wallet", "the wallet's nickname"),
    ("B/S", "our open buy / sell orders"),
    ("Util", "margin held by our open orders / Cap: green under 70%, yellow under 90%, red above"),
    ("Position", "the wallet's position in this market, base units (negative: short)"),
    ("PnL", "realized + unrealized profit and loss, USDC"),
    ("PnL trend", "the PnL over the last two minutes, a sample a second (newest on the right)"),
    ("Session", "time left on the wallet's trading session (red under 5 minutes)"),
    ("Available", "free collateral, USDC: what positions and open orders do not hold"),
    (
        "Reserved",
        "margin held by our open orders: a buy holds its notional × the market's margin, "
        "a sell 150% of its notional",
    ),
    (
        "Cap",
        "the most margin our open orders may hold: maxWalletUtilization × (Available + Reserved); "
        "margin locked in positions shrinks it",
    ),
    ("Realized", "profit and loss locked in by closing fills, USDC"),
    ("Unreal.", "what the open position would make or lose at the mark price, USDC"),
    ("Pos trend", "the position over the last two minutes"),
    ("Util trend", "Util over the last two minutes, from 0 (bottom) to the Cap (top)"),
    (
        "Status",
        "skip: why the wallet is not placing what it wants (below min size: an order of the minimum "
        "size does not fit what is left of the Cap; cap reached; no session; top moved: the other "
        "side came within the floor); err: its last error. Enter on the panel shows both in full",
    ),
)


def app_sections(app_bindings: Iterable[BindingType]) -> tuple[HelpSection, ...]:
    """Every screen's keys, from the bindings (the app's own first: they work anywhere, so a
    screen's row for the same keys is left out)."""
    anywhere = section("Anywhere", app_bindings)
    taken = {key for row in anywhere.rows for key in row.keys}
    sections = (
        section("Market picker", PickerScreen.BINDINGS, extra=PickerScreen.HELP_EXTRA),
        section("Resume or fresh", ResumeScreen.BINDINGS),
        section("Configuration", ConfigScreen.BINDINGS, extra=ConfigScreen.HELP_EXTRA),
        *DashboardScreen.help_sections(),
    )
    return (
        anywhere,
        *(HelpSection(s.title, tuple(row for row in s.rows if not set(row.keys) <= taken)) for s in sections),
    )


def key_rows(rows: Iterable[KeyRow], name_width: int = NAME_WIDTH) -> ComposeResult:
    """`keys  what they do`, a long meaning wrapping under itself."""
    for row in rows:
        with Horizontal(classes="help-row"):
            yield Static(Content.styled(f"{row.keys_text:>{name_width}}", "bold"), classes="help-name")
            yield Static(Content(row.meaning), classes="help-meaning")


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("f1", "close", "Close", show=False),
    ]

    def __init__(self, *, extra: tuple[HelpSection, ...] = ()) -> None:
        """`extra`: sections of what runs now (the tabs of a run over several markets)."""
        super().__init__()
        self.extra = extra

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static("Keys, and what the dashboard shows", id="help-title")
            with VerticalScroll(id="help-body"):
                for keys in (*app_sections(type(self.app).BINDINGS), *self.extra):
                    yield Static(Content(keys.title), classes="help-section")
                    yield from key_rows(keys.rows)
                yield Static(Content("Wallets panel: the columns"), id="help-legend", classes="help-section")
                yield Static(Content(CAP_RULE), classes="help-rule")
                yield from key_rows(KeyRow((name,), meaning) for name, meaning in COLUMNS)
                yield Static(Content(BOOK_RULE), classes="help-rule")
                yield Static(Content(FLOOR_RULE), classes="help-rule")
                yield Static(Content(ALERT_RULE), classes="help-rule")
            yield Static("escape closes", id="help-hint")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
