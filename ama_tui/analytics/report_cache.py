"""The cache a report reads through, for the command and the analytics screen alike.

A journal the cache has never seen is parsed in memory (quicker than into the cache file: the
report is on the user's screen sooner), and its table is left to a child started once the report
is shown (`cache_keeper.refresh_later`); the next report reads the table. With the keeper turned
off (`AMA_TUI_REPORT_CACHE=off`) there is no child, so the report fills the cache itself."""

from __future__ import annotations

from pathlib import Path

from ama_tui.analytics import cache_keeper
from ama_tui.analytics.journal_cache import REPORT_LOCK_WAIT_S, JournalCache


def report_cache(cache_dir: Path | None) -> JournalCache | None:
    """The cache over `cache_dir` (None: no cache), deferring new journals' tables when it can."""
    if cache_dir is None:
        return None
    return JournalCache(cache_dir, lock_wait_s=REPORT_LOCK_WAIT_S, defer_full=cache_keeper.keeper_enabled())


def build_deferred(cache: JournalCache | None) -> bool:
    """After the report is shown: a child builds the tables `cache` deferred. True if one started."""
    if cache is None or not cache.deferred:
        return False
    return cache_keeper.refresh_later(cache.deferred, cache.folder) is not None
