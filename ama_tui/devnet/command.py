"""`ama-tui devnet`: start anvil, the exchange contracts, seeded markets and the relay API; print
the `.env` lines that point ama-tui at them; run until Ctrl+C or SIGTERM, then stop everything.

This module imports only the standard library at load time so `ama-tui --help` stays fast; the
devnet itself is imported when the command runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, Final, TextIO

DEFAULT_RPC_PORT: Final = 8545
DEFAULT_APP_PORT: Final = 3000
DEFAULT_TAKER_INTERVAL_S: Final = 3.0
HEALTH_POLL_S: Final = 0.5

EX_OK: Final = 0
EX_FAILED: Final = 1
EX_USAGE: Final = 2
EX_INTERRUPTED: Final = 130


def add_devnet_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `devnet` subcommand to an argparse subparsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "devnet",
        help="run a local devnet (anvil, the exchange contracts, the relay API)",
        description=(
            "Start anvil, deploy and seed the exchange (ETH-USD, BTC-USD, HENRY-HUB-PRICE), fund the "
            "wallets and serve the relay API; print the .env lines for ama-tui; stop on Ctrl+C."
        ),
    )
    add_devnet_arguments(parser)
    return parser


def add_devnet_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wallets",
        type=int,
        metavar="N",
        help="wallets to fund: the first N of --csv, or N new ones (default: all of --csv, else 5)",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        metavar="PATH",
        help="wallets CSV to fund; created (mode 0600) with new wallets if it does not exist "
        "(default: a temporary file removed when the devnet stops)",
    )
    parser.add_argument(
        "--rpc-port",
        type=int,
        default=DEFAULT_RPC_PORT,
        metavar="P",
        help=f"anvil's port on 127.0.0.1 (default {DEFAULT_RPC_PORT}; 0 = any free port)",
    )
    parser.add_argument(
        "--app-port",
        type=int,
        default=DEFAULT_APP_PORT,
        metavar="P",
        help=f"the relay API's port on 127.0.0.1 (default {DEFAULT_APP_PORT}; 0 = any free port)",
    )
    parser.add_argument(
        "--takers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="send small market orders in the background so fills happen (default: on)",
    )
    parser.add_argument(
        "--wait-for-mined",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="answer trades once mined ({txHash, blockNumber, mined}) instead of right after sending "
        "({txHash, pending}, what production answers by default) (default: off)",
    )
    parser.add_argument(
        "--block-time",
        type=int,
        metavar="SECONDS",
        help="mine a block every SECONDS (whole seconds; production's chain makes small blocks about "
        "every second), holding every transaction sent meanwhile, instead of one block per "
        "transaction at once (anvil's automine, the default); deployment and seeding still automine",
    )
    parser.add_argument(
        "--write-facts",
        type=Path,
        metavar="PATH",
        help="once up, write the devnet's facts as JSON to PATH (the .env values, the deployment's "
        "addresses, the wallets CSV's path and the wallets' addresses; never a key), for a harness "
        "in another process",
    )
    parser.add_argument(
        "--taker-interval",
        type=float,
        default=DEFAULT_TAKER_INTERVAL_S,
        metavar="SECONDS",
        help=f"seconds between background market orders (default {DEFAULT_TAKER_INTERVAL_S:g})",
    )


def _usage_problem(args: argparse.Namespace) -> str | None:
    for name in ("rpc_port", "app_port"):
        port = getattr(args, name)
        if not 0 <= port <= 65535:
            return f"--{name.replace('_', '-')} must be a port number from 0 to 65535, got {port}"
    if args.rpc_port and args.rpc_port == args.app_port:
        return "--rpc-port and --app-port must differ"
    if args.wallets is not None and args.wallets < 1:
        return f"--wallets must be at least 1, got {args.wallets}"
    if args.block_time is not None and args.block_time < 1:
        return f"--block-time must be a whole number of seconds, at least 1, got {args.block_time}"
    if not args.taker_interval > 0:
        return f"--taker-interval must be positive, got {args.taker_interval}"
    return None


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def devnet_facts(stack: Any) -> dict[str, Any]:
    """What a harness in another process needs of a running DevnetStack, as JSON data (no keys)."""
    seeded = stack.seeded
    return {
        "env": stack.env(),
        "deployment": seeded.deployment.to_json(),
        "wallets_csv": str(seeded.wallets_csv),
        "wallets": [wallet.address for wallet in seeded.wallets.wallets],
        "maker": seeded.maker,
        "taker": seeded.taker,
        "anvil_pid": stack.node.pid,
        "startup_seconds": stack.startup_seconds,
    }


def _write_facts(path: Path, facts: dict[str, Any]) -> None:
    """Write whole or not at all: a reader polling for the file never sees half of it."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _print_ready(stack: Any, args: argparse.Namespace, out: TextIO) -> None:
    seeded = stack.seeded
    env = stack.env()
    lines = [
        f"ama-tui devnet is up in {stack.startup_seconds:.1f} s "
        f"({len(seeded.deployment.markets)} markets, {len(seeded.wallets.wallets)} funded wallets)",
        "",
        "# .env for ama-tui:",
        *(f"{name}={value}" for name, value in env.items()),
        "",
        "# wallets CSV (private keys inside, mode 0600"
        + (", removed when the devnet stops)" if args.csv is None else ")")
        + ":",
        f"WALLETS_CSV={seeded.wallets_csv}",
        "",
        "# markets:",
        *(
            f"#   {m.symbol:<16} {m.order_book}  tick {m.tick6 / 1e6:g}  initial {m.initial_price6 / 1e6:g}"
            for m in seeded.deployment.markets
        ),
        f"# background takers: {f'every {args.taker_interval:g} s' if args.takers else 'off'}",
        f"# trades answered: {'once mined' if args.wait_for_mined else 'pending, right after sending'}",
        f"# blocks: {f'every {args.block_time} s' if args.block_time else 'one per transaction (automine)'}",
        "",
        "Press Ctrl+C to stop.",
    ]
    print("\n".join(lines), file=out, flush=True)


def run_devnet_command(
    args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run `ama-tui devnet` until Ctrl+C / SIGTERM; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    problem = _usage_problem(args)
    if problem is not None:
        print(f"ama-tui devnet: {problem}", file=err)
        return EX_USAGE

    previous: dict[signal.Signals, Callable[[int, FrameType | None], Any] | int | None] = {}
    if threading.current_thread() is threading.main_thread():  # SIGTERM stops cleanly, like Ctrl+C
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _raise_interrupt)
    stack: Any = None
    try:
        try:
            print("ama-tui devnet: starting anvil, deploying and seeding ...", file=out, flush=True)
            from ama_tui.devnet.stack import DevnetStack

            stack = DevnetStack(
                wallets=args.wallets,
                csv=args.csv,
                rpc_port=args.rpc_port,
                app_port=args.app_port,
                takers=args.takers,
                taker_interval=args.taker_interval,
                wait_for_mined=args.wait_for_mined,
                block_time=args.block_time,
            ).start()
        except KeyboardInterrupt:
            print("ama-tui devnet: interrupted during start-up; stopped", file=err)
            return EX_INTERRUPTED
        except Exception as error:
            print(f"ama-tui devnet: could not start: {_describe(error)}", file=err)
            return EX_FAILED
        try:
            if args.write_facts is not None:
                try:
                    _write_facts(args.write_facts, devnet_facts(stack))
                except OSError as error:
                    print(f"ama-tui devnet: cannot write {args.write_facts}: {_describe(error)}", file=err)
                    return EX_FAILED
            _print_ready(stack, args, out)
            while stack.healthy:
                time.sleep(HEALTH_POLL_S)
            print("ama-tui devnet: anvil or the relay server stopped unexpectedly", file=err)
            return EX_FAILED
        except KeyboardInterrupt:
            return EX_OK
    finally:
        for signum in previous:
            signal.signal(signum, signal.SIG_IGN)  # let the clean-up finish
        if stack is not None:
            stopping = time.monotonic()
            stack.stop()
            print(f"ama-tui devnet: stopped in {time.monotonic() - stopping:.1f} s", file=out, flush=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return text if text else type(error).__name__


def main(argv: list[str] | None = None) -> int:
    """`python -m ama_tui.devnet [options]`."""
    parser = argparse.ArgumentParser(prog="python -m ama_tui.devnet", description="Same as `ama-tui devnet`.")
    add_devnet_arguments(parser)
    return run_devnet_command(parser.parse_args(argv))
