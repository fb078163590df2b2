"""History at a glance on the dashboard: what is sampled from each wallet and from the fleet (PnL,
position, utilization, once a second of snapshot time: `sparkline`), and the sparklines drawn from
it — three columns of the wallets table and three short lines in the totals strip.

PnL and position are scaled between their own lowest and highest value in the window (the shape
of the move); utilization between 0 and the cap, so a line near the top means near the cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ama_tui.engine.snapshot import WalletView
from ama_tui.tui.sparkline import SampleRing, fold, spark
from ama_tui.tui.widgets.text import pnl_style
from ama_tui.tui.widgets.util_bar import utilization_style

PNL, POSITION, UTILIZATION = 0, 1, 2
"""Where each series sits in a sample."""
FULL_BPS: Final = 10_000
WALLET_TREND_WIDTH: Final = 10
"""Cells of a sparkline in the wallets table."""
FLEET_TREND_WIDTH: Final = 10
"""Cells of a sparkline in the totals strip."""
POSITION_STYLE: Final = "cyan"

Cell = tuple[str, str]
NO_TRENDS: Final[tuple[Cell, Cell, Cell]] = (("", ""), ("", ""), ("", ""))


def wallet_sample(wallet: WalletView) -> tuple[int, int, int]:
    """(PnL usdc6, position amount18, utilization bps); a utilization not known yet counts as 0."""
    return wallet.pnl6, wallet.position18, wallet.utilization_bps if wallet.balances_known else 0


def fleet_sample(wallets: Sequence[WalletView]) -> tuple[int, int, int]:
    """The fleet's (PnL usdc6, net position amount18, utilization bps: margin reserved over the
    caps, of the wallets whose balances are known)."""
    pnl6 = sum(w.pnl6 for w in wallets)
    net18 = sum(w.position18 for w in wallets)
    known = [w for w in wallets if w.balances_known]
    cap6 = sum(w.cap6 for w in known)
    reserved6 = sum(w.reserved6 for w in known)
    return pnl6, net18, reserved6 * FULL_BPS // cap6 if cap6 > 0 else 0


def trends(ring: SampleRing, width: int) -> tuple[Cell, Cell, Cell]:
    """The ring's PnL, position and utilization as sparklines `width` cells wide, each coloured
    by its newest value (the samples folded once for the three)."""
    if not ring.samples:
        blank = (" " * width, "")
        return blank, blank, blank
    folded = fold(list(ring.samples), width, ring.first_slot)
    pnl, position, util = folded[-1]
    return (
        (spark([cell[PNL] for cell in folded], width), pnl_style(pnl)),
        (spark([cell[POSITION] for cell in folded], width), POSITION_STYLE if position else "dim"),
        (
            spark([cell[UTILIZATION] for cell in folded], width, low=0, high=FULL_BPS),
            utilization_style(util),
        ),
    )


def wallet_trends(ring: SampleRing | None, width: int = WALLET_TREND_WIDTH) -> tuple[Cell, Cell, Cell]:
    """The PnL, position and utilization sparklines of a wallet's row."""
    if ring is None:
        return NO_TRENDS
    return trends(ring, width)


def fleet_trends(ring: SampleRing, width: int = FLEET_TREND_WIDTH) -> tuple[Cell, Cell, Cell]:
    """The fleet's PnL, net position and utilization sparklines (the totals strip), each as long
    as its samples (up to `width`): inside a line of text, a short history is not padded."""
    pnl, net, util = ((text.lstrip(), style) for text, style in trends(ring, width))
    return pnl, net, util
