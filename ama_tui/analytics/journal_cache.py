"""Parsed journals kept between runs, so a report re-reads only what a journal gained.

A journal only grows (the writer appends; a crash's torn tail is cut before anything is added),
so each journal's parsed lines live in a DuckDB file of their own under the cache folder, with
how many bytes were parsed and a checksum of the first and the last of those. The next run
parses only the bytes after them when they are unchanged, and the whole file again otherwise
(rewritten, replaced, truncated). A line still being written (no newline yet) waits for the
next run. The cache holds what the journal holds (no keys are ever in a journal); deleting the
folder is always safe.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Final

import duckdb

from ama_tui.analytics.load import parse_journal

CACHE_VERSION: Final = 2
"""Bumped whenever `load.parse_sql`'s columns change: older caches are rebuilt."""
CHECK_BYTES: Final = 4096
_COPY_CHUNK: Final = 1024 * 1024


LOCK_POLL_S: Final = 0.05
REPORT_LOCK_WAIT_S: Final = 3.0
"""How long a report waits for a table another process has open before parsing the journal itself
(a full parse of a long journal takes longer than that)."""


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    """Another process has the journal's table open (DuckDB allows one writer per file)."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def _checksum(path: Path, end: int) -> str:
    """Of the first and the last `CHECK_BYTES` of the journal's first `end` bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        digest.update(handle.read(min(end, CHECK_BYTES)))
        handle.seek(max(0, end - CHECK_BYTES))
        digest.update(handle.read(min(end, CHECK_BYTES)))
    return digest.hexdigest()


def _complete_end(path: Path, size: int) -> int:
    """The offset just after the last newline (0 if none)."""
    with open(path, "rb") as handle:
        end = size
        while end > 0:
            start = max(0, end - 64 * 1024)
            handle.seek(start)
            newline = handle.read(end - start).rfind(b"\n")
            if newline >= 0:
                return start + newline + 1
            end = start
    return 0


def _copy_range(path: Path, start: int, end: int, folder: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix="tail-", suffix=".jsonl", dir=folder)
    with os.fdopen(handle, "wb") as out, open(path, "rb") as source:
        source.seek(start)
        left = end - start
        while left > 0:
            chunk = source.read(min(_COPY_CHUNK, left))
            if not chunk:
                break
            out.write(chunk)
            left -= len(chunk)
    return Path(name)


class JournalCache:
    """`load_journals(..., cached=JournalCache(folder))`: each journal's table, brought up to date.

    A table another process has open (a report, or the run's `cache_keeper` bringing it up to
    date, which takes well under a second for a few minutes' lines) is waited for up to
    `lock_wait_s`, then the journal is parsed in full this once.

    With `defer_full`, a journal whose table would have to be built from nothing (never seen,
    rewritten, or cut) is not: it is left to the caller to parse in memory, which is quicker
    than parsing into the cache file, and named in `deferred` so the caller can have the table
    built afterwards (`cache_keeper.refresh_later`). A table that only lacks the lines the journal
    gained is still brought up to date here."""

    def __init__(self, folder: Path, *, lock_wait_s: float = 0.0, defer_full: bool = False) -> None:
        self.folder = folder
        self.lock_wait_s = lock_wait_s
        self.defer_full = defer_full
        self.deferred: list[Path] = []

    def __call__(self, path: Path, index: int, con: duckdb.DuckDBPyConnection) -> str | None:
        deadline = time.monotonic() + self.lock_wait_s
        while True:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                return self._attach(path, index, con)
            except duckdb.Error as exc:
                if not _is_lock_conflict(exc) or time.monotonic() >= deadline:
                    return None  # held too long, or unusable: parse this journal once
            except OSError:
                return None  # the folder is unusable: parse this once
            time.sleep(LOCK_POLL_S)

    def _attach(self, path: Path, index: int, con: duckdb.DuckDBPyConnection) -> str | None:
        resolved = path.resolve()
        key = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:24]
        alias = f"cache_{index}"
        con.execute(f"ATTACH '{self.folder / (key + '.duckdb')}' AS {alias}")
        stat = os.stat(resolved)
        end = _complete_end(resolved, stat.st_size)
        con.begin()  # the lines and the note of how far they go change together, or not at all
        try:
            start = self._reusable_bytes(con, alias, resolved, stat.st_ino, end)
            if start is None and self.defer_full:
                con.rollback()
                con.execute(f"DETACH {alias}")
                self.deferred.append(path)
                return None
            if start is None:
                con.execute(f"DROP TABLE IF EXISTS {alias}.lines")
                start = 0
            if end > start or not self._has_lines(con, alias):
                self._parse(con, alias, resolved, start, end)
            con.execute(
                f"CREATE OR REPLACE TABLE {alias}.meta AS SELECT ? AS version, ? AS path, ? AS inode, "
                "? AS parsed, ? AS checksum",
                [CACHE_VERSION, str(resolved), stat.st_ino, end, _checksum(resolved, end)],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return f"{alias}.lines"

    @staticmethod
    def _has_lines(con: duckdb.DuckDBPyConnection, alias: str) -> bool:
        row = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = 'lines'", [alias]
        ).fetchone()
        return bool(row and row[0])

    def _reusable_bytes(
        self, con: duckdb.DuckDBPyConnection, alias: str, path: Path, inode: int, end: int
    ) -> int | None:
        """How many leading bytes of the journal the cached table already holds, or None."""
        found = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = 'meta'", [alias]
        ).fetchone()
        if not found or not found[0] or not self._has_lines(con, alias):
            return None
        row = con.execute(f"SELECT version, path, inode, parsed, checksum FROM {alias}.meta").fetchone()
        if row is None:
            return None
        version, cached_path, cached_inode, parsed, checksum = row
        if version != CACHE_VERSION or cached_path != str(path) or cached_inode != inode or parsed > end:
            return None
        return int(parsed) if _checksum(path, int(parsed)) == checksum else None

    def _parse(self, con: duckdb.DuckDBPyConnection, alias: str, path: Path, start: int, end: int) -> None:
        if start == 0 and end == os.stat(path).st_size:
            parse_journal(con, path, f"{alias}.lines", "CREATE OR REPLACE TABLE")
            if os.stat(path).st_size == end:
                return
            # the journal grew while it was read (a run writing it): the table may hold lines past
            # `end`, which the next refresh would add again; read exactly the first `end` bytes
        source = _copy_range(path, start, end, self.folder)
        try:
            if start == 0:
                parse_journal(con, source, f"{alias}.lines", "CREATE OR REPLACE TABLE")
            else:
                parse_journal(con, source, "journal_tail", "CREATE OR REPLACE TEMP TABLE")
                con.execute(f"INSERT INTO {alias}.lines SELECT * FROM journal_tail")
                con.execute("DROP TABLE journal_tail")
        finally:
            if source != path:
                source.unlink(missing_ok=True)
