"""The leaderboard of a comparison: every strategy over the same seeds and presets, ranked by its
mean PnL, with the spread of each figure and a 95 % confidence interval for the PnL.

Built from the runs' result.json files only, so it can be rebuilt from a results folder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ama_tui.arena.stats import Spread, spread

LEADERBOARD_JSON = "leaderboard.json"
LEADERBOARD_MD = "leaderboard.md"
LEADERBOARD_PNG = "leaderboard.png"


@dataclass(frozen=True, slots=True)
class Entry:
    strategy: str
    preset: str | None
    """None: every preset together."""
    runs: int
    pnl: Spread
    ret: Spread | None
    drawdown: Spread | None
    sharpe: Spread | None
    win_rate: Spread | None
    fills: Spread | None
    others: tuple[tuple[str, Spread | None], ...]
    """More figures' spreads, by their result.json name (leaderboard.json only)."""
    taker_fills: int
    cap_breaches: int
    stopped_early: int
    """Runs the kill switch or the sandbox stopped before their end."""


def _decimals(values: Sequence[Any]) -> list[Decimal]:
    return [Decimal(str(v)) for v in values if v is not None]


def _entry(strategy: str, preset: str | None, results: Sequence[dict[str, Any]]) -> Entry:
    figures = [r["figures"] for r in results]
    pnl = spread(_decimals([f["pnl"]["total"] for f in figures]))
    assert pnl is not None
    return Entry(
        strategy=strategy,
        preset=preset,
        runs=len(results),
        pnl=pnl,
        ret=spread(_decimals([f["return"] for f in figures])),
        drawdown=spread(_decimals([f["maxDrawdown"] for f in figures])),
        sharpe=spread(_decimals([f["sharpe"] for f in figures])),
        win_rate=spread(_decimals([f["trades"]["winRate"] for f in figures])),
        fills=spread(_decimals([f["fills"]["count"] for f in figures])),
        others=(
            ("sortino", spread(_decimals([f["sortino"] for f in figures]))),
            ("trades", spread(_decimals([f["trades"]["count"] for f in figures]))),
            ("fillRate", spread(_decimals([f["orders"]["fillRate"] for f in figures]))),
            ("timeInMarket", spread(_decimals([f["exposure"]["timeInMarket"] for f in figures]))),
            ("fees", spread(_decimals([f["pnl"]["fees"] for f in figures]))),
        ),
        taker_fills=sum(int(f["safety"]["takerFills"]) for f in figures),
        cap_breaches=sum(int(f["safety"]["capBreaches"]) for f in figures),
        stopped_early=sum(1 for r in results if r["run"]["killSwitch"] or r["run"]["strategyStopped"]),
    )


def _rank_key(entry: Entry) -> tuple[Decimal, str]:
    return (-entry.pnl.mean, entry.strategy)


def build_entries(
    results: Sequence[tuple[str, dict[str, Any]]], presets: Sequence[str]
) -> tuple[list[Entry], list[Entry]]:
    """(overall ranking, per-preset rankings) from (strategy label, result) pairs."""
    by_strategy: dict[str, list[dict[str, Any]]] = {}
    for label, result in results:
        by_strategy.setdefault(label, []).append(result)
    overall = sorted((_entry(s, None, rs) for s, rs in by_strategy.items()), key=_rank_key)
    per_preset: list[Entry] = []
    for preset in presets:
        group = [
            _entry(s, preset, [r for r in rs if r["inputs"]["preset"] == preset])
            for s, rs in by_strategy.items()
            if any(r["inputs"]["preset"] == preset for r in rs)
        ]
        per_preset += sorted(group, key=_rank_key)
    return overall, per_preset


def _spread_json(value: Spread | None) -> dict[str, str | int | None] | None:
    if value is None:
        return None
    text = lambda d: None if d is None else str(d)  # noqa: E731
    return {
        "n": value.n,
        "mean": text(value.mean),
        "stdev": text(value.stdev),
        "ci95Low": text(value.ci_low),
        "ci95High": text(value.ci_high),
        "min": text(value.low),
        "max": text(value.high),
    }


def entry_json(rank: int, entry: Entry) -> dict[str, Any]:
    return {
        "rank": rank,
        "strategy": entry.strategy,
        "preset": entry.preset,
        "runs": entry.runs,
        "pnl": _spread_json(entry.pnl),
        "return": _spread_json(entry.ret),
        "maxDrawdown": _spread_json(entry.drawdown),
        "sharpe": _spread_json(entry.sharpe),
        "winRate": _spread_json(entry.win_rate),
        "fills": _spread_json(entry.fills),
        **{name: _spread_json(value) for name, value in entry.others},
        "takerFills": entry.taker_fills,
        "capBreaches": entry.cap_breaches,
        "stoppedEarly": entry.stopped_early,
    }


def _ranked(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    rank = 0
    preset: object = object()
    for entry in entries:
        rank = rank + 1 if entry.preset == preset else 1
        preset = entry.preset
        out.append(entry_json(rank, entry))
    return out


def leaderboard_json(
    inputs: dict[str, Any], overall: Sequence[Entry], per_preset: Sequence[Entry], runs: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "format": "ama-tui arena leaderboard",
        "formatVersion": 1,
        "inputs": inputs,
        "ranking": _ranked(overall),
        "byPreset": _ranked(per_preset),
        "runs": runs,
        "files": [LEADERBOARD_MD, LEADERBOARD_PNG],
    }


def _cell(value: Spread | None, places: int = 2) -> str:
    if value is None:
        return "–"
    quantum = Decimal(1).scaleb(-places)
    mean = value.mean.quantize(quantum)
    return f"{mean}" if value.stdev is None else f"{mean} ± {value.stdev.quantize(quantum)}"


def _ci(value: Spread) -> str:
    if value.ci_low is None or value.ci_high is None:
        return "–"
    return f"[{value.ci_low.quantize(Decimal('0.01'))}, {value.ci_high.quantize(Decimal('0.01'))}]"


def _table(entries: Sequence[Entry]) -> list[str]:
    lines = [
        "| rank | strategy | runs | PnL (USDC) mean ± sd | PnL 95 % CI | return | max drawdown | Sharpe | "
        "win rate | fills | taker fills | cap breaches |",
        "|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rank, entry in enumerate(entries, start=1):
        lines.append(
            f"| {rank} | {entry.strategy} | {entry.runs} | {_cell(entry.pnl)} | {_ci(entry.pnl)} | "
            f"{_cell(entry.ret, 5)} | {_cell(entry.drawdown)} | {_cell(entry.sharpe)} | "
            f"{_cell(entry.win_rate, 3)} | {_cell(entry.fills, 0)} | {entry.taker_fills} | "
            f"{entry.cap_breaches} |"
        )
    return lines


def render_leaderboard(inputs: dict[str, Any], overall: Sequence[Entry], per_preset: Sequence[Entry]) -> str:
    lines = [
        f"# Leaderboard: {', '.join(inputs['strategies'])} on {inputs['market']}",
        "",
        f"Seeds {inputs['seeds']}, presets {', '.join(inputs['presets'])}; {inputs['wallets']} wallets for "
        f"{inputs['durationS']} simulated seconds per run. Ranked by mean PnL; ± is the standard deviation "
        "over the runs, the interval is the mean's 95 % confidence interval (Student's t).",
        "",
        "## All presets",
        "",
        *_table(overall),
        "",
    ]
    for preset in inputs["presets"]:
        lines += [f"## {preset}", "", *_table([e for e in per_preset if e.preset == preset]), ""]
    lines += [f"![Mean PnL per strategy and preset]({LEADERBOARD_PNG})", ""]
    return "\n".join(lines)


def write_chart(
    path: Path, per_preset: Sequence[Entry], strategies: Sequence[str], presets: Sequence[str]
) -> None:
    """Mean PnL per strategy, a bar per preset, with the 95 % interval as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(strategies) * max(1, len(presets)) ** 0.5), 4))
    width = 0.8 / max(1, len(presets))
    for p_index, preset in enumerate(presets):
        found = {e.strategy: e for e in per_preset if e.preset == preset}
        xs, means, errors = [], [], []
        for s_index, strategy in enumerate(strategies):
            entry = found.get(strategy)
            if entry is None:
                continue
            xs.append(s_index + (p_index - (len(presets) - 1) / 2) * width)
            means.append(float(entry.pnl.mean))
            half = entry.pnl.ci_high - entry.pnl.mean if entry.pnl.ci_high is not None else Decimal(0)
            errors.append(float(half))
        ax.bar(xs, means, width=width, yerr=errors, capsize=3, label=preset)
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_xticks(range(len(strategies)), list(strategies))
    ax.set_ylabel("mean PnL (USDC), 95 % CI")
    ax.set_title("Leaderboard")
    ax.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(figure)
