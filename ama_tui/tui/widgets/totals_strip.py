"""The fleet's totals in one line under the header: net position, PnL (realized and unrealized)
and utilization, each with its sparkline (the last two minutes, `trends`), fills with their
maker/taker split, volume and fees. Cut between words at the screen's width, most telling first."""

from __future__ import annotations

from textual.strip import Strip

from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.sparkline import SampleRing
from ama_tui.tui.widgets.fills_panel import fees_total_text
from ama_tui.tui.widgets.header_bar import HeaderBar
from ama_tui.tui.widgets.styled_line import LineBuilder, StyledLine, clip_line, line_strip
from ama_tui.tui.widgets.text import NONE, amount_text, pnl_style, signed_usdc6, usdc_text
from ama_tui.tui.widgets.trends import FULL_BPS, Cell, fleet_sample, fleet_trends
from ama_tui.tui.widgets.util_bar import utilization_style


def totals_line(snapshot: EngineSnapshot, trends: tuple[Cell, Cell, Cell] | None = None) -> StyledLine:
    """` net -0.4723 ▁▂▄▆  PnL +0.54 ▂▄▆█ (realized +0.60, unrealized -0.06)  util 12% ▃▃▄
    fills 76 (70 maker, 6 taker)  volume 2.5000 = 7,501.00 USDC  fees —`: `trends` are the fleet's
    PnL, net position and utilization sparklines (none without). Figures the snapshot does not
    have show `—`."""
    wallets = snapshot.wallets
    net18 = sum(w.position18 for w in wallets)
    realized6 = sum(w.realized_pnl6 for w in wallets)
    unrealized6 = sum(w.unrealized_pnl6 for w in wallets)
    pnl6 = realized6 + unrealized6
    totals = snapshot.fill_totals
    line = LineBuilder()
    line.append(" net ", "dim").append(amount_text(net18), "" if net18 else "dim")
    if trends is not None:
        line.append(" ").append(*trends[1])
    line.append("  PnL ", "dim").append(signed_usdc6(pnl6), "bold " + pnl_style(pnl6))
    if trends is not None:
        line.append(" ").append(*trends[0])
    line.append(" (realized ", "dim").append(signed_usdc6(realized6), pnl_style(realized6))
    line.append(", unrealized ", "dim").append(signed_usdc6(unrealized6), pnl_style(unrealized6))
    line.append(")", "dim")
    util_bps = fleet_sample(wallets)[2]
    if any(w.balances_known for w in wallets):
        line.append("  util ", "dim").append(f"{util_bps * 100 // FULL_BPS}%", utilization_style(util_bps))
        if trends is not None:
            line.append(" ").append(*trends[2])
    line.append("  fills ", "dim").append(str(totals.fills if totals else snapshot.totals.fills))
    if totals is not None:
        line.append(f" ({totals.maker} maker, {totals.taker} taker)", "dim")
        line.append("  volume ", "dim").append(amount_text(totals.volume18))
        line.append(" = ", "dim").append(usdc_text(totals.notional6)).append(" USDC", "dim")
    else:
        line.append("  volume ", "dim").append(NONE, "dim")
    fees = totals.fees6 if totals is not None else None
    line.append("  fees ", "dim")
    line.append(NONE, "dim") if fees is None else line.append(fees_total_text(fees))
    return line.build()


class ClippedLines(HeaderBar):
    """Lines on the Line API, repainted only when their text changes, cut between words with an
    ellipsis where the screen is narrower."""

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if width != self._width:
            self._strips.clear()
            self._width = width
        strip = self._strips.get(y)
        if strip is None:
            line = self._lines[y] if 0 <= y < len(self._lines) else StyledLine()
            strip = line_strip(clip_line(line, width), width, self.base_style, self.app.console)
            self._strips[y] = strip
        return strip


class TotalsStrip(ClippedLines):
    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.history = SampleRing()
        """The fleet's PnL, net position and utilization, once a second of snapshot time."""
        self._run_id: str | None = None
        self._trends: tuple[Cell, Cell, Cell] | None = None

    def show_totals(self, snapshot: EngineSnapshot) -> None:
        if snapshot.run_id != self._run_id:  # another run: another history
            self._run_id = snapshot.run_id
            self.history = SampleRing()
            self._trends = None
        if self.history.add(snapshot.now, fleet_sample(snapshot.wallets)) or self._trends is None:
            self._trends = fleet_trends(self.history)
        self.set_lines([totals_line(snapshot, self._trends)])
