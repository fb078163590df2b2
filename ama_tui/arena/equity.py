"""The fleet's equity over simulated time, and what is read from it: drawdown, Sharpe, Sortino.

Equity at a sample is the fleet's collateral at the start plus realized PnL, plus the open
positions marked to the book's mid at that instant, minus fees, all in usdc6. Samples are on a
regular grid of simulated time, so the returns between them are comparable."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ama_tui.arena.ledger import FillRow, fills_in_time_order
from ama_tui.core.pnl import PositionBook
from ama_tui.core.units import AMOUNT_SCALE

SECONDS_PER_YEAR = 365 * 86_400


@dataclass(frozen=True, slots=True)
class Sample:
    ts_ms: int
    mark6: int


@dataclass(frozen=True, slots=True)
class EquityPoint:
    ts_ms: int
    mark6: int
    equity6: int
    realized6: int
    unrealized6: int
    fees6: int
    position18: int
    """The fleet's net position."""
    gross18: int
    """The sum of the wallets' absolute positions."""


def equity_curve(samples: Sequence[Sample], fills: Sequence[FillRow], capital6: int) -> list[EquityPoint]:
    """A point per sample, with every fill up to and including its instant applied."""
    ordered = fills_in_time_order(fills)
    books: dict[str, PositionBook] = {}
    fees6 = 0
    index = 0
    points: list[EquityPoint] = []
    for sample in samples:
        while index < len(ordered) and ordered[index].ts_ms <= sample.ts_ms:
            fill = ordered[index]
            books[fill.wallet] = books.get(fill.wallet, PositionBook()).apply_fill(
                fill.is_buy, fill.price6, fill.amount18
            )
            fees6 += fill.fee6
            index += 1
        realized6 = sum(book.realized6 for book in books.values())
        unrealized6 = sum(book.unrealized6(sample.mark6) for book in books.values())
        points.append(
            EquityPoint(
                ts_ms=sample.ts_ms,
                mark6=sample.mark6,
                equity6=capital6 + realized6 + unrealized6 - fees6,
                realized6=realized6,
                unrealized6=unrealized6,
                fees6=fees6,
                position18=sum(book.size18 for book in books.values()),
                gross18=sum(abs(book.size18) for book in books.values()),
            )
        )
    return points


def drawdowns6(equity6: Sequence[int]) -> list[int]:
    """How far below its running peak the equity is at each point (>= 0)."""
    peak = equity6[0] if equity6 else 0
    out: list[int] = []
    for value in equity6:
        peak = max(peak, value)
        out.append(peak - value)
    return out


def max_drawdown(equity6: Sequence[int]) -> tuple[int, float]:
    """(the largest fall from a peak in usdc6, that fall as a fraction of the peak)."""
    peak = equity6[0] if equity6 else 0
    worst6, worst_fraction = 0, 0.0
    for value in equity6:
        peak = max(peak, value)
        if peak - value > worst6:
            worst6 = peak - value
            worst_fraction = worst6 / peak if peak > 0 else 0.0
    return worst6, worst_fraction


def returns(equity6: Sequence[int], capital6: int) -> list[float]:
    """Each step's change of equity over the starting capital (simple, not compounded)."""
    if capital6 <= 0:
        return []
    return [(b - a) / capital6 for a, b in pairwise(equity6)]


def sharpe(step_returns: Sequence[float], step_s: float) -> float | None:
    """Mean over standard deviation of the returns, annualized (365 days); None when the returns
    do not vary (a flat curve has no risk to measure)."""
    if len(step_returns) < 2 or step_s <= 0:
        return None
    mean = math.fsum(step_returns) / len(step_returns)
    variance = math.fsum((r - mean) ** 2 for r in step_returns) / (len(step_returns) - 1)
    if variance <= 0:
        return None
    return mean / math.sqrt(variance) * math.sqrt(SECONDS_PER_YEAR / step_s)


def sortino(step_returns: Sequence[float], step_s: float) -> float | None:
    """Mean over downside deviation (the root mean square of the negative returns), annualized;
    None when no return is negative."""
    if len(step_returns) < 2 or step_s <= 0:
        return None
    mean = math.fsum(step_returns) / len(step_returns)
    downside = math.fsum(min(r, 0.0) ** 2 for r in step_returns) / len(step_returns)
    if downside <= 0:
        return None
    return mean / math.sqrt(downside) * math.sqrt(SECONDS_PER_YEAR / step_s)


def notional6(size18: int, mark6: int) -> int:
    return abs(size18) * mark6 // AMOUNT_SCALE
