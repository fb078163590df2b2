"""The `arena` subcommand's options (standard library only: `ama-tui` builds its parsers at every
start). Values are checked by the command, which says what is wrong in one line."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ARENA_HELP = "backtest strategies on the embedded exchange: reports and leaderboards"


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--market", default="ETH-USD", help="market symbol on the embedded exchange")
    parser.add_argument(
        "--wallets", type=int, default=4, metavar="N", help="wallets of the fleet (default 4)"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="SECONDS",
        help="simulated seconds per run (default 600; with --bars, the bars' span)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="name=value",
        help="a run, packer or strategy parameter by its checkpoint name (repeatable)",
    )
    parser.add_argument(
        "--bars",
        type=Path,
        default=None,
        metavar="FILE",
        help="replay historical OHLCV bars: a CSV timestamp,open,high,low,close,volume or ccxt-style "
        "JSON arrays (timestamps in s or ms)",
    )
    parser.add_argument("--maker-fee-bps", type=int, default=0, metavar="BPS", help="fee on maker fills")
    parser.add_argument("--taker-fee-bps", type=int, default=0, metavar="BPS", help="fee on taker fills")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help="results folder")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="processes side by side when there are several runs (default: the machine's cores)",
    )


def add_arena_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    arena = sub.add_parser("arena", help=ARENA_HELP, description=ARENA_HELP[0].upper() + ARENA_HELP[1:] + ".")
    kinds = arena.add_subparsers(dest="arena_command", metavar="{run,compare}")
    kinds.required = True

    run = kinds.add_parser(
        "run",
        help="one strategy: result.json, report.md, trades.csv, fills.csv and charts per run",
        description="Run one strategy on the embedded exchange's virtual clock and write its reports.",
    )
    run.add_argument("strategy", metavar="STRATEGY", help="a built-in's name, ema-cross, or a strategy file")
    run.add_argument("--preset", default="REALISTIC", help="embedded exchange preset (default REALISTIC)")
    seeds = run.add_mutually_exclusive_group()
    seeds.add_argument("--seed", default=None, metavar="N", help="the seed (default 0)")
    seeds.add_argument("--seeds", default=None, metavar="SEEDS", help="several seeds: 1-20 or 1,3,5")
    _add_run_options(run)

    compare = kinds.add_parser(
        "compare",
        help="several strategies on the same seeds and presets: a ranked leaderboard",
        description="Run every strategy on every seed and preset in parallel processes and rank them. "
        "Finished runs are kept: running the same command again skips them.",
    )
    compare.add_argument("strategies", nargs="+", metavar="STRATEGY", help="built-in names or strategy files")
    compare.add_argument("--seeds", default="1-5", metavar="SEEDS", help="1-20 or 1,3,5 (default 1-5)")
    compare.add_argument(
        "--presets", default="REALISTIC", metavar="P1,P2", help="comma-separated presets (default REALISTIC)"
    )
    compare.add_argument("--fresh", action="store_true", help="run again even the runs already finished")
    _add_run_options(compare)
