"""A comparison's plan and its leaderboard, apart from the command line: `arena compare` and the
TUI's Arena screen build the same jobs and write the same leaderboard files from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ama_tui.arena.batch import Job, JobResult
from ama_tui.arena.leaderboard import (
    LEADERBOARD_JSON,
    LEADERBOARD_MD,
    LEADERBOARD_PNG,
    build_entries,
    leaderboard_json,
    render_leaderboard,
    write_chart,
)
from ama_tui.arena.run_reports import write_json_atomic
from ama_tui.arena.runner import check_spec
from ama_tui.arena.spec import RunSpec, check_numbers, strategy_slug

DEFAULT_DURATION_S = 600.0


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What every run of a command shares (the command line's run options, checked by `spec`)."""

    market: str = "ETH-USD"
    wallets: int = 4
    duration_s: float | None = None
    """None: the default (600 s; with bars, the bars' span)."""
    overrides: tuple[tuple[str, str], ...] = ()
    bars: Path | None = None
    maker_fee_bps: int = 0
    taker_fee_bps: int = 0

    def spec(self, strategy: str, preset: str) -> RunSpec:
        """The run of `strategy` on `preset` (seed 0), its numbers checked (ArenaInputError)."""
        check_numbers(
            wallets=self.wallets,
            duration_s=self.duration_s,
            maker_fee_bps=self.maker_fee_bps,
            taker_fee_bps=self.taker_fee_bps,
        )
        if self.duration_s is not None:
            duration = self.duration_s
        else:
            duration = 0.0 if self.bars else DEFAULT_DURATION_S
        return RunSpec(
            strategy=strategy.strip(),
            market=self.market.strip(),
            preset=preset,
            wallets=self.wallets,
            duration_s=duration,
            overrides=self.overrides,
            bars=self.bars,
            maker_fee_bps=self.maker_fee_bps,
            taker_fee_bps=self.taker_fee_bps,
        )


def jobs_of(spec: RunSpec, seeds: Sequence[int], presets: Sequence[str], folder: Path) -> list[Job]:
    """Every (preset, seed) of one strategy; the strategy, market and parameters are checked once."""
    inputs = check_spec(spec)
    jobs = []
    for preset in presets:
        for seed in seeds:
            one = replace(spec, preset=preset, seed=seed)
            jobs.append(Job(one, folder / one.folder_name(), {**inputs, "preset": preset, "seed": seed}))
    return jobs


def seed_text(seeds: Sequence[int]) -> str:
    if len(seeds) > 2 and list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}-{seeds[-1]}"
    return ",".join(str(s) for s in seeds)


@dataclass(frozen=True, slots=True)
class ComparePlan:
    folder: Path
    strategies: tuple[str, ...]
    seeds: tuple[int, ...]
    presets: tuple[str, ...]
    jobs: list[Job]
    labels: dict[str, str] = field(default_factory=dict)
    """Strategy as asked -> as results name it (a file by its name)."""


def plan_compare(
    strategies: Sequence[str],
    seeds: Sequence[int],
    presets: Sequence[str],
    options: RunOptions,
    folder: Path,
) -> ComparePlan:
    """Every strategy x preset x seed, each run's folder under `folder/runs/<strategy>/`. Raises
    ArenaInputError for the first strategy, option or parameter that cannot run."""
    names = tuple(dict.fromkeys(s.strip() for s in strategies))
    jobs: list[Job] = []
    labels: dict[str, str] = {}
    for strategy in names:
        spec = options.spec(strategy, presets[0])
        more = jobs_of(spec, seeds, presets, folder / "runs" / strategy_slug(strategy))
        labels[strategy] = more[0].inputs["strategy"] if more else strategy
        jobs += more
    return ComparePlan(folder, names, tuple(seeds), tuple(presets), jobs, labels)


def write_leaderboard(plan: ComparePlan, results: Sequence[JobResult]) -> dict[str, Any]:
    """leaderboard.json, .md and .png in the plan's folder from the finished runs; the board."""
    jobs, labels, folder = plan.jobs, plan.labels, plan.folder
    pairs = [(labels[r.job.spec.strategy], r.result) for r in results if r.result is not None]
    overall, per_preset = build_entries(pairs, plan.presets)
    inputs = {
        "strategies": [labels[s] for s in plan.strategies],
        "market": jobs[0].spec.market,
        "seeds": seed_text(plan.seeds),
        "presets": list(plan.presets),
        "wallets": jobs[0].spec.wallets,
        "durationS": jobs[0].inputs["durationS"],
        "set": jobs[0].inputs["set"],
        "barsSha256": jobs[0].inputs["barsSha256"],
        "makerFeeBps": jobs[0].spec.maker_fee_bps,
        "takerFeeBps": jobs[0].spec.taker_fee_bps,
    }
    runs: list[dict[str, Any]] = [
        {
            "strategy": labels[r.job.spec.strategy],
            "preset": r.job.spec.preset,
            "seed": r.job.spec.seed,
            "pnl": r.result["figures"]["pnl"]["total"],
            "folder": str(r.job.folder.relative_to(folder)),
        }
        for r in results
        if r.result is not None
    ]
    folder.mkdir(parents=True, exist_ok=True)
    board = leaderboard_json(inputs, overall, per_preset, runs)
    write_json_atomic(folder / LEADERBOARD_JSON, board)
    (folder / LEADERBOARD_MD).write_text(render_leaderboard(inputs, overall, per_preset), encoding="utf-8")
    write_chart(folder / LEADERBOARD_PNG, per_preset, inputs["strategies"], plan.presets)
    return board


def leaderboard_line(board: Mapping[str, Any], results: Sequence[JobResult], folder: Path) -> dict[str, Any]:
    """The comparison in one JSON line (what `arena compare` prints and notifications carry)."""
    return {
        "ranking": [
            {
                "rank": row["rank"],
                "strategy": row["strategy"],
                "pnlMean": row["pnl"]["mean"],
                "pnlCi95": [row["pnl"]["ci95Low"], row["pnl"]["ci95High"]],
                "runs": row["runs"],
            }
            for row in board["ranking"]
        ],
        "ran": sum(1 for r in results if not r.skipped),
        "skipped": sum(1 for r in results if r.skipped),
        "out": str(folder),
    }
