"""Where parsed journals are kept between reports (`journal_cache`); no DuckDB here, so a run can
name the folder to its `cache_keeper` without loading it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

CACHE_DIR_ENV: Final = "AMA_TUI_CACHE_DIR"
"""The user's cache folder for ama-tui (the remembered markets live there too); else
`$XDG_CACHE_HOME/ama-tui`, else `~/.cache/ama-tui`."""


def default_cache_dir() -> Path:
    chosen = os.environ.get(CACHE_DIR_ENV)
    if chosen:
        return Path(chosen) / "journal-tables"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ama-tui" / "journal-tables"
