"""Command line entry point (skeleton; subcommands arrive with later issues)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ama_tui import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ama-tui", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ama-tui {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    build_parser().parse_args(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
