"""The state folder's file names and the journal's line limit: plain constants, so a reader of the
folder (the report, `fleet status`) can name its files without loading the store's models."""

from __future__ import annotations

from typing import Final

JOURNAL_FILE_NAME: Final = "actions.jsonl"
CHECKPOINT_FILE_NAME: Final = "checkpoint.json"
MAX_LINE_BYTES: Final = 1024 * 1024
"""The longest journal line (newline excluded) a reader will hold; longer ones are skipped."""
