"""Every figure of a run, from its ledger, its equity curve and what the exchange counted.

Money and sizes stay integers (usdc6, amount18) until `as_json`, which writes them as exact
decimal strings; ratios are floats rounded to 6 places (so a result file is stable text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ama_tui.arena.equity import EquityPoint, max_drawdown, notional6, returns, sharpe, sortino
from ama_tui.arena.ledger import Ledger, TradeRow
from ama_tui.core.units import amount_human, from_units, usdc_human

PERCENTILES = (50, 90, 99)


@dataclass(frozen=True, slots=True)
class SafetyCounts:
    taker_fills: int
    """Our orders that executed on arrival, as the exchange counted them."""
    cap_breaches: int
    """Placements that would have taken a wallet's open-order margin over its cap."""
    self_matches: int


@dataclass(frozen=True, slots=True)
class Figures:
    capital6: int
    realized6: int
    unrealized6: int
    fees6: int
    pnl6: int
    return_ratio: float
    max_drawdown6: int
    max_drawdown_ratio: float
    sharpe: float | None
    sortino: float | None
    step_s: float
    trades: int
    wins: int
    losses: int
    win_rate: float | None
    avg_win6: int | None
    avg_loss6: int | None
    exposure_time: float
    mean_abs_notional6: int
    max_abs_position18: int
    fills: int
    maker_fills: int
    taker_side_fills: int
    unknown_side_fills: int
    maker_volume18: int
    taker_volume18: int
    placed: int
    market_orders: int
    cancelled: int
    orders_filled: int
    fill_rate: float | None
    open_at_end: int
    lifetimes_ms: tuple[int, ...]
    """Sorted: placement to cancel or complete fill, for the orders that ended."""
    safety: SafetyCounts

    def lifetime_percentile_ms(self, pct: int) -> int | None:
        return percentile(self.lifetimes_ms, pct)


def percentile(sorted_values: Sequence[int], pct: int) -> int | None:
    """The nearest-rank percentile (an observed value; None for no values)."""
    if not sorted_values:
        return None
    rank = max(1, -(-pct * len(sorted_values) // 100))
    return sorted_values[rank - 1]


def _mean6(values: Sequence[int]) -> int | None:
    return sum(values) // len(values) if values else None


def compute_figures(
    ledger: Ledger,
    trades: Sequence[TradeRow],
    curve: Sequence[EquityPoint],
    *,
    capital6: int,
    step_s: float,
    safety: SafetyCounts,
) -> Figures:
    last = curve[-1] if curve else None
    realized6 = last.realized6 if last else 0
    unrealized6 = last.unrealized6 if last else 0
    fees6 = last.fees6 if last else 0
    pnl6 = realized6 + unrealized6 - fees6
    equity6 = [p.equity6 for p in curve]
    drawdown6, drawdown_ratio = max_drawdown(equity6)
    steps = returns(equity6, capital6)
    wins = [t.pnl6 for t in trades if t.pnl6 > 0]
    losses = [t.pnl6 for t in trades if t.pnl6 < 0]
    maker = [f for f in ledger.fills if f.is_maker is True]
    taker = [f for f in ledger.fills if f.is_maker is False]
    ended = sorted(o.ended_ms - o.placed_ms for o in ledger.orders.values() if o.ended_ms is not None)
    filled = sum(1 for o in ledger.orders.values() if o.filled18 > 0)
    held = [p for p in curve if p.position18 != 0]
    return Figures(
        capital6=capital6,
        realized6=realized6,
        unrealized6=unrealized6,
        fees6=fees6,
        pnl6=pnl6,
        return_ratio=pnl6 / capital6 if capital6 > 0 else 0.0,
        max_drawdown6=drawdown6,
        max_drawdown_ratio=drawdown_ratio,
        sharpe=sharpe(steps, step_s),
        sortino=sortino(steps, step_s),
        step_s=step_s,
        trades=len(trades),
        wins=len(wins),
        losses=len(losses),
        win_rate=len(wins) / len(trades) if trades else None,
        avg_win6=_mean6(wins),
        avg_loss6=_mean6(losses),
        exposure_time=len(held) / len(curve) if curve else 0.0,
        mean_abs_notional6=_mean6([notional6(p.position18, p.mark6) for p in curve]) or 0,
        max_abs_position18=max((abs(p.position18) for p in curve), default=0),
        fills=len(ledger.fills),
        maker_fills=len(maker),
        taker_side_fills=len(taker),
        unknown_side_fills=len(ledger.fills) - len(maker) - len(taker),
        maker_volume18=sum(f.amount18 for f in maker),
        taker_volume18=sum(f.amount18 for f in taker),
        placed=len(ledger.orders) if ledger.orders else ledger.placements,
        market_orders=ledger.market_orders,
        cancelled=ledger.cancels,
        orders_filled=filled,
        fill_rate=filled / len(ledger.orders) if ledger.orders else None,
        open_at_end=sum(1 for o in ledger.orders.values() if o.ended_ms is None),
        lifetimes_ms=tuple(ended),
        safety=safety,
    )


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _usdc(value6: int | None) -> str | None:
    return None if value6 is None else str(usdc_human(value6))


def _seconds(ms: int | None) -> str | None:
    return None if ms is None else str(from_units(ms, 3))


def as_json(f: Figures) -> dict[str, Any]:
    """The figures as result.json holds them: money as decimal strings (USDC), sizes in base
    units, times in seconds."""
    return {
        "pnl": {
            "realized": _usdc(f.realized6),
            "unrealized": _usdc(f.unrealized6),
            "fees": _usdc(f.fees6),
            "total": _usdc(f.pnl6),
        },
        "capital": _usdc(f.capital6),
        "return": _ratio(f.return_ratio),
        "maxDrawdown": _usdc(f.max_drawdown6),
        "maxDrawdownRatio": _ratio(f.max_drawdown_ratio),
        "sharpe": _ratio(f.sharpe),
        "sortino": _ratio(f.sortino),
        "equityStepS": f.step_s,
        "trades": {
            "count": f.trades,
            "wins": f.wins,
            "losses": f.losses,
            "winRate": _ratio(f.win_rate),
            "averageWin": _usdc(f.avg_win6),
            "averageLoss": _usdc(f.avg_loss6),
        },
        "exposure": {
            "timeInMarket": _ratio(f.exposure_time),
            "meanAbsNotional": _usdc(f.mean_abs_notional6),
            "maxAbsPosition": str(amount_human(f.max_abs_position18)),
        },
        "fills": {
            "count": f.fills,
            "maker": f.maker_fills,
            "taker": f.taker_side_fills,
            "unknown": f.unknown_side_fills,
            "makerVolume": str(amount_human(f.maker_volume18)),
            "takerVolume": str(amount_human(f.taker_volume18)),
            "makerShare": _ratio(f.maker_fills / f.fills if f.fills else None),
        },
        "orders": {
            "placed": f.placed,
            "marketOrders": f.market_orders,
            "cancelled": f.cancelled,
            "filled": f.orders_filled,
            "fillRate": _ratio(f.fill_rate),
            "openAtEnd": f.open_at_end,
        },
        "orderLifetimeS": {
            "ended": len(f.lifetimes_ms),
            **{f"p{pct}": _seconds(f.lifetime_percentile_ms(pct)) for pct in PERCENTILES},
            "mean": _seconds(_mean6(list(f.lifetimes_ms))),
        },
        "safety": {
            "takerFills": f.safety.taker_fills,
            "capBreaches": f.safety.cap_breaches,
            "selfMatches": f.safety.self_matches,
        },
    }
