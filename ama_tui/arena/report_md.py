"""report.md: a run's result as a person reads it, from the same dictionary result.json holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ama_tui.arena.charts import CHARTS


def _text(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f} %"


def render_report(result: dict[str, Any], charts: Sequence[str], notes: Sequence[str] = ()) -> str:
    inputs, run, fig = result["inputs"], result["run"], result["figures"]
    pnl, trades, fills, orders = fig["pnl"], fig["trades"], fig["fills"], fig["orders"]
    life, safety, exposure = fig["orderLifetimeS"], fig["safety"], fig["exposure"]
    lines = [
        f"# Arena run: {inputs['strategy']} on {inputs['market']} "
        f"({inputs['preset']}, seed {inputs['seed']})",
        "",
        f"{inputs['wallets']} wallets for {_text(inputs['durationS'])} simulated seconds on the embedded "
        f"exchange's virtual clock; stopped: {run['stopReason']}. "
        f"{run['cycles']} cycles, {run['errors']} errors, {run['skipped']} placements skipped.",
        "",
        "| inputs | |",
        "|---|---|",
        *(f"| {name} | {_text(value)} |" for name, value in inputs.items() if value not in (None, {})),
        "",
        "## Figures",
        "",
        "| figure | value |",
        "|---|---|",
        f"| PnL (USDC) | **{pnl['total']}** |",
        f"| realized / unrealized / fees | {pnl['realized']} / {pnl['unrealized']} / {pnl['fees']} |",
        f"| return on {fig['capital']} USDC | {_pct(fig['return'])} |",
        f"| max drawdown | {fig['maxDrawdown']} USDC ({_pct(fig['maxDrawdownRatio'])}) |",
        f"| Sharpe / Sortino (annualized, {_text(fig['equityStepS'])} s steps) | "
        f"{_text(fig['sharpe'])} / {_text(fig['sortino'])} |",
        f"| trades (fills that reduced a position) | {trades['count']} |",
        f"| win rate | {_pct(trades['winRate'])} ({trades['wins']} won, {trades['losses']} lost) |",
        f"| average win / loss (USDC) | {_text(trades['averageWin'])} / {_text(trades['averageLoss'])} |",
        f"| time in market | {_pct(exposure['timeInMarket'])} |",
        f"| mean position notional / largest position | {exposure['meanAbsNotional']} USDC / "
        f"{exposure['maxAbsPosition']} |",
        f"| fills maker / taker | {fills['maker']} / {fills['taker']} "
        f"(maker share {_pct(fills['makerShare'])}) |",
        f"| orders placed / filled / cancelled / open at the end | {orders['placed']} / {orders['filled']} / "
        f"{orders['cancelled']} / {orders['openAtEnd']} |",
        f"| fill rate (orders with a fill) | {_pct(orders['fillRate'])} |",
        f"| order lifetime p50 / p90 / p99 (s) | {_text(life['p50'])} / {_text(life['p90'])} / "
        f"{_text(life['p99'])} ({life['ended']} orders ended) |",
        f"| taker fills (exchange's count) | {safety['takerFills']} |",
        f"| cap breaches | {safety['capBreaches']} |",
        f"| self matches | {safety['selfMatches']} |",
        "",
    ]
    if notes:
        lines += ["## Notes", "", *(f"- {note}" for note in notes), ""]
    titles = dict((name, title) for title, name in CHARTS)
    for name in charts:
        lines += [f"![{titles.get(name, name)}]({name})", ""]
    lines += ["Fills: `fills.csv`; trades: `trades.csv`; every figure: `result.json`.", ""]
    return "\n".join(lines)
