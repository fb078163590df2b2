"""Strategy files written with the kit exactly as a user writes one (`ama-tui run --strategy FILE`).

They run sandboxed like any user's file; `run --strategy ema-cross` finds this folder's copy."""

from pathlib import Path

EXAMPLES = Path(__file__).parent
"""Where the example files are (each `NAME.py` runs as `--strategy NAME` with `-` for `_`)."""
