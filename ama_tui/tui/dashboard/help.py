"""The dashboard's own key help, used when the app does not provide a help screen."""

from __future__ import annotations

from typing import ClassVar, Final

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP_TEXT: Final = """\
[b]Dashboard keys[/b]

  [b]p[/b]   pause / resume (no new orders while paused)
  [b]x[/b]   cancel every order of ours, then stop (asks first)
  [b]e[/b]   edit the live parameters (applied at the next cycle)
  [b]/[/b]   filter the log: wallet and/or action, e.g. [i]Sim001 FILL[/i]
        Enter applies, Esc clears
  [b]w[/b]   export the fills, orders and wallets shown as CSV
  [b]j[/b]   the whole journal, searchable
  [b]b[/b]   the terminal bell on alerts: on / off
  [b]?[/b]   this help
  [b]q[/b]   stop the run
  [b]Tab[/b] next panel; arrows and PgUp/PgDn scroll it. Scrolled back, the
        log stops following: End follows again (Home in the fills)
  [b]Enter[/b] on the wallets: why each one skips, and its last error, in full

[b]Orders panel[/b] (Tab to it)

  [b]↑ ↓[/b] move the cursor   [b]s[/b] sort by the next column   [b]r[/b] reverse
  [b]c[/b]   cancel the order under the cursor (asks first)
  [b]a[/b]   cancel every order of that order's wallet (asks first)
  [b]/[/b]   filter the orders: wallet, side or status

The ladder marks our orders with [b]●n[/b]: how many of them rest at that price;
under it, the safety floor every order keeps from the mid and the other
side (safetySigmas × σ × √latency).
Cap = maxWalletUtilization × (free collateral + margin held by our open
orders); Util = margin held by our open orders / Cap: green below 70 %,
yellow below 90 %, red above. Status: why a wallet skips, its last error.
Alerts (banner, log line, bell): kill switch, a wallet over its cap, 5 errors
within 30 s, a running wallet without a session.

Esc, q or ? closes this help."""


class DashboardHelp(ModalScreen[None]):
    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    def compose(self) -> ComposeResult:
        # scrolls (arrows, pgup/pgdn) where the screen is shorter than the text (80x24)
        with VerticalScroll(id="dashboard-help"):
            yield Static(HELP_TEXT)

    def action_close(self) -> None:
        self.dismiss(None)
