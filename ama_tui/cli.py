"""Command line: `ama-tui` (the dashboard), `ama-tui run` (headless packer), `ama-tui devnet`,
`ama-tui report` and `ama-tui export` (journal analytics), `ama-tui arena` (backtests).

Start-up time matters (issue 13: launch to the first session request under a second), so this
module imports only the standard library; each command imports what it needs when it runs, and
the devnet's parser is built only when `devnet` is the command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ama_tui import __version__

VENUE_CHOICES = ("auto", "sim", "dexetra")
DEVNET_HELP = "run a local devnet (anvil, the exchange contracts, the relay API)"


def _add_common(parser: argparse.ArgumentParser, *, defaults: bool = True) -> None:
    """The options `ama-tui` and `ama-tui run` share. The subcommand adds them without defaults
    so `ama-tui --seed 3 run ...` keeps the 3 (a subparser's defaults would overwrite it)."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--venue",
        choices=VENUE_CHOICES,
        default=default("auto"),
        help="auto: the live exchange when .env configures one, else the embedded exchange",
    )
    parser.add_argument(
        "--csv", type=Path, default=default(None), help="wallets CSV (nickname,address,privateKey)"
    )
    parser.add_argument(
        "--wallets",
        type=int,
        metavar="N",
        default=default(None),
        help="use the first N wallets (or derive N on the sim)",
    )
    parser.add_argument(
        "--state-dir", type=Path, default=default(Path("state")), help="state folder (default: ./state)"
    )
    parser.add_argument(
        "--seed", type=int, default=default(0), help="seed of the embedded exchange and the delays"
    )
    parser.add_argument(
        "--preset",
        default=default("REALISTIC"),
        help="embedded exchange preset: PERFECT_EXECUTION, REALISTIC, CHAOTIC, GRADUAL_FILLS, NO_FILLS",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=default(False),
        help="read and plan, journal what would be done, submit nothing",
    )


def build_parser(*, devnet: bool = True) -> argparse.ArgumentParser:
    """The full parser; with `devnet=False` the `devnet` subcommand is a stand-in that takes any
    arguments (so `--help` lists it without importing the devnet package)."""
    parser = argparse.ArgumentParser(
        prog="ama-tui",
        description="A liquidity packer for Dexetra order-book markets, with a terminal dashboard. "
        "With no subcommand, opens the dashboard.",
    )
    parser.add_argument("--version", action="version", version=f"ama-tui {__version__}")
    _add_common(parser)  # no subcommand: the dashboard, with the same options as `run`
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser(
        "run", help="run the packer headless", description="Run the packer without a screen."
    )
    run.add_argument(
        "--market",
        required=True,
        action="append",
        help="market symbol (e.g. ETH-USD) or order-book address; repeat it to run several markets "
        "in one process (each wallet's budget split between them)",
    )
    run.add_argument(
        "--market-weight",
        action="append",
        default=[],
        metavar="MARKET=WEIGHT",
        help="a market's share of each wallet's maxWalletUtilization in a run over several markets "
        "(default: equal shares); --set maxWalletUtilization is then the wallets' total",
    )
    _add_common(run, defaults=False)
    start = run.add_mutually_exclusive_group()
    start.add_argument("--fresh", action="store_true", help="start a new run even if a checkpoint exists")
    start.add_argument("--resume", action="store_true", help="resume the market's checkpoint (error if none)")
    budget = run.add_mutually_exclusive_group()
    budget.add_argument("--cycles", type=int, metavar="N", help="stop after N cycles")
    budget.add_argument(
        "--duration", type=float, metavar="SECONDS", help="stop after this long (venue clock)"
    )
    run.add_argument(
        "--virtual-time", action="store_true", help="embedded exchange on a virtual clock (deterministic)"
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="name=value",
        help="override a run, packer or strategy parameter by its checkpoint name (repeatable)",
    )
    run.add_argument(
        "--strategy",
        default=None,
        metavar="NAME|PATH",
        help="what to run: a built-in (packer, the default; skewed-packer; taker-flow; rebalancer), "
        "an example (ema-cross) or a strategy file (PATH.py, run sandboxed); a resumed run keeps its own",
    )
    run.add_argument(
        "--max-in-flight",
        type=int,
        default=None,
        metavar="N",
        help="trades in flight at once to start with (it then adapts to the relay); "
        "default: sized to the fleet; 1: one trade at a time",
    )
    # the earlier engine's way, for benchmarks/bench_pack_devnet.py's comparison only
    run.add_argument("--one-trade-per-wallet", action="store_true", help=argparse.SUPPRESS)
    from ama_tui.analytics.cli_args import add_analytics_parsers  # standard library only

    add_analytics_parsers(sub)
    from ama_tui.arena.cli_args import add_arena_parser  # standard library only

    add_arena_parser(sub)
    from ama_tui.fleet.cli_args import add_fleet_parser  # standard library only

    add_fleet_parser(sub)
    if devnet:
        from ama_tui.devnet.command import add_devnet_parser

        add_devnet_parser(sub)
    else:
        sub.add_parser("devnet", help=DEVNET_HELP, add_help=False)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse without the devnet's parser, and again with it only when `devnet` is the command."""
    parser = build_parser(devnet=False)
    args, unknown = parser.parse_known_args(argv)
    if args.command == "devnet":
        return build_parser().parse_args(argv)
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "run":
        from ama_tui.venues.early_reads import begin_run_reads

        # the market's listing and the relayer set, asked for while the run's modules load
        early_reads = begin_run_reads(args.market, venue=args.venue)
        from ama_tui.engine.run_setup import StartMode
        from ama_tui.headless import HeadlessArgs, run_headless
        from ama_tui.wiring import VenueChoice

        mode = StartMode.FRESH if args.fresh else StartMode.RESUME if args.resume else StartMode.AUTO
        return run_headless(
            HeadlessArgs(
                market=args.market[0],
                more_markets=tuple(args.market[1:]),
                market_weights=tuple(args.market_weight),
                venue=VenueChoice(args.venue),
                csv=args.csv,
                wallets=args.wallets,
                state_dir=args.state_dir,
                mode=mode,
                cycles=args.cycles,
                duration=args.duration,
                seed=args.seed,
                preset=args.preset,
                virtual_time=args.virtual_time,
                set=tuple(args.set),
                dry_run=args.dry_run,
                max_in_flight=args.max_in_flight,
                pipeline=not args.one_trade_per_wallet,
                strategy=args.strategy,
                early_reads=early_reads,
            )
        )
    if args.command == "devnet":
        from ama_tui.devnet.command import run_devnet_command

        return run_devnet_command(args)
    if args.command == "fleet":
        from ama_tui.fleet.command import run_fleet_command

        return run_fleet_command(args)
    if args.command == "arena":
        from ama_tui.arena.command import run_arena_command

        return run_arena_command(args)
    if args.command in ("report", "export"):
        from ama_tui.analytics.command import run_export, run_report

        return run_report(args) if args.command == "report" else run_export(args)
    return _run_app(args)


def _run_app(args: argparse.Namespace) -> int:
    """The full-screen dashboard (textual is imported only here)."""
    from ama_tui.tui.app import make_app
    from ama_tui.tui.app_options import AppOptions
    from ama_tui.wiring import VenueChoice

    app = make_app(
        AppOptions(
            venue=VenueChoice(args.venue),
            csv=args.csv,
            wallets=args.wallets,
            state_dir=args.state_dir,
            seed=args.seed,
            preset=args.preset,
            dry_run=args.dry_run,
        )
    )
    app.run()
    summary = app.exit_summary()
    if summary:
        print(summary)
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
