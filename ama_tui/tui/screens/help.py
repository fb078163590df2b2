"""`?`: every key of the app, by screen, and what the dashboard's numbers mean (the wallets panel's
columns, the cap, the safety floor)."""

from __future__ import annotations

from typing import ClassVar, Final

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

KEYS: Final[tuple[tuple[str, tuple[tuple[str, str], ...]], ...]] = (
    (
        "Anywhere",
        (
            ("?  f1", "this help (again to close)"),
            ("q", "quit; during a run: stop, save the checkpoint, then quit"),
            ("ctrl+q, ctrl+c", "the same, even while typing in a field"),
        ),
    ),
    (
        "Market picker",
        (
            ("type", "filter the markets"),
            ("↑ ↓  pgup pgdn", "move in the list"),
            ("enter", "pick the market"),
            ("ctrl+l", "load more markets (when the exchange has more)"),
            ("r", "retry when the exchange did not answer"),
        ),
    ),
    ("Resume or fresh", (("r", "resume the saved run"), ("f", "start fresh"), ("escape", "back"))),
    (
        "Configuration",
        (("tab  shift+tab", "next / previous field"), ("ctrl+s", "start"), ("escape", "back")),
    ),
    (
        "Dashboard",
        (
            ("p", "pause / resume quoting"),
            ("x", "cancel all our orders, then stop (asks first)"),
            ("e", "edit the parameters of the running packer"),
            ("/", "filter the log (the orders when they have the focus)"),
            ("tab", "next panel; ↑ ↓ pgup pgdn scroll it"),
            ("enter", "on the wallets: why each one skips, and its last error, in full"),
            ("end  home", "log: follow the newest again; fills: back to the newest"),
            ("w", "export the fills, orders and wallets shown as CSV (beside the state folder)"),
            ("j", "the whole journal, searchable (escape closes it)"),
            ("b", "the terminal bell on alerts: on / off"),
        ),
    ),
    (
        "Orders panel",
        (
            ("↑ ↓", "move the cursor"),
            ("s  r", "sort by the next column (the header marks it); reverse"),
            ("c", "cancel the order under the cursor (asks first)"),
            ("a", "cancel every order of that order's wallet (asks first)"),
        ),
    ),
)

CAP_RULE: Final = (
    "Cap = maxWalletUtilization × (free collateral + margin held by our open orders); "
    "Util = margin held by our open orders / Cap."
)
ALERT_RULE: Final = (
    "Alerts (a red banner under the header, a line in the log, the terminal bell): the kill switch "
    "tripped, a wallet holding more than its cap, a burst of errors (5 within 30 s), a wallet of a "
    "running packer without a live session."
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
    (
        "Status",
        "skip: why the wallet is not placing what it wants (below min size: an order of the minimum "
        "size does not fit what is left of the Cap; cap reached; no session; top moved: the other "
        "side came within the floor); err: its last error. Enter on the panel shows both in full",
    ),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("f1", "close", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static("Keys, and what the dashboard shows", id="help-title")
            with VerticalScroll(id="help-body"):
                for section, keys in KEYS:
                    yield Static(Content(section), classes="help-section")
                    yield from self._rows(keys)
                yield Static(Content("Wallets panel: the columns"), id="help-legend", classes="help-section")
                yield Static(Content(CAP_RULE), classes="help-rule")
                yield from self._rows(COLUMNS)
                yield Static(Content(FLOOR_RULE), classes="help-rule")
                yield Static(Content(ALERT_RULE), classes="help-rule")
            yield Static("escape closes", id="help-hint")
        yield Footer()

    @staticmethod
    def _rows(rows: tuple[tuple[str, str], ...]) -> ComposeResult:
        """`name  what it means`, a long meaning wrapping under itself."""
        for name, meaning in rows:
            with Horizontal(classes="help-row"):
                yield Static(Content.styled(f"{name:>16}", "bold"), classes="help-name")
                yield Static(Content(meaning), classes="help-meaning")

    def action_close(self) -> None:
        self.dismiss(None)
