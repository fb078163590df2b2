"""Journal lines staged for export: one row per non-blank line, nothing dropped.

Python reads the lines (a line that is not valid UTF-8 keeps its odd bytes as `\\xNN` escapes);
DuckDB parses them, a chunk at a time: an export holds one chunk in memory however long the
journals are, and says how far it got (bytes read of the files' total) after each.

Each row keeps the line's text, its SHA-256 (`lineHash`) and its `occurrence` (1 for the first
copy of that exact text in its file, 2 for a second...), so that a row's identity survives
re-export from any host. A malformed line (not a JSON object with
`ts`, `runId`, `chainId`, `orderBook` and `action` of the right types) is kept, flagged
`malformed`, with its fields NULL.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb
import numpy as np

from ama_tui.analytics.progress_line import Progress

FIELDS: Final = (
    "ts",
    "runId",
    "chainId",
    "orderBook",
    "marketIdBytes32",
    "trader",
    "nickname",
    "role",
    "action",
    "txHash",
    "error",
)
"""The top-level fields kept as columns (with `params`, kept as its JSON text)."""
EXPORT_COLUMNS: Final = (
    "source",
    "lineNo",
    "line",
    "lineHash",
    "occurrence",
    "malformed",
    *FIELDS[: FIELDS.index("action") + 1],
    "params",
    *FIELDS[FIELDS.index("action") + 1 :],
)


CHUNK_LINES: Final = 25_000
"""Lines parsed and written at a time: a 1,000,000-line export peaks at about 0.55 GB (100,000 a
chunk: 1.2 GB, no faster). Beyond the chunk, only each line's short hash is kept (to number
repeated lines): about 45 bytes a line."""
_RAW_COLUMNS: Final = ("file_index", "source", "line_no", "line", "line_hash", "occurrence")
_INTEGER_COLUMNS: Final = frozenset({"file_index", "line_no", "occurrence"})


@dataclass(frozen=True)
class StagedLines:
    files: int
    rows: int
    malformed: int


class _Chunker:
    """Lines in column chunks, each with its SHA-256 and its occurrence in its file."""

    def __init__(self) -> None:
        self.columns: dict[str, list[object]] = {name: [] for name in _RAW_COLUMNS}
        self.seen: Counter[bytes] = Counter()

    def add(self, index: int, source: str, number: int, text: str) -> None:
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        self.seen[digest[:8]] += 1  # 8 bytes number the copies of a line; the full hash is kept below
        for name, value in zip(
            _RAW_COLUMNS, (index, source, number, text, digest.hex(), self.seen[digest[:8]]), strict=True
        ):
            self.columns[name].append(value)

    def __len__(self) -> int:
        return len(self.columns["line"])

    def take(self) -> dict[str, np.ndarray]:
        chunk = {
            name: np.array(values, dtype=np.int64 if name in _INTEGER_COLUMNS else object)
            for name, values in self.columns.items()
        }
        self.columns = {name: [] for name in _RAW_COLUMNS}
        return chunk


def _read_lines(paths: Sequence[Path]) -> Iterator[tuple[dict[str, np.ndarray], int]]:
    """The non-blank lines in chunks of `CHUNK_LINES`, each with the bytes read so far."""
    done = 0
    for index, path in enumerate(paths):
        chunker = _Chunker()  # occurrences count within one file
        name = str(path)
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                done += len(raw)
                if raw.strip():
                    chunker.add(
                        index, name, number, raw.rstrip(b"\n").decode("utf-8", errors="backslashreplace")
                    )
                    if len(chunker) == CHUNK_LINES:
                        yield chunker.take(), done
        if len(chunker):
            yield chunker.take(), done


def _shape_sql() -> str:
    """Every field, and `params`, as its JSON text: one parse of the line takes them all out."""
    fields = ", ".join(f'"{name}": "JSON"' for name in FIELDS)
    return "'{" + fields + ', "params": "JSON"}' + "'"


CHUNK_TABLE: Final = "export_chunk"
_TABLE_SQL: Final = f"""
CREATE OR REPLACE TEMP TABLE {CHUNK_TABLE} (
    file_index BIGINT, source VARCHAR, lineNo BIGINT, line VARCHAR, lineHash VARCHAR, occurrence INTEGER,
    malformed BOOLEAN, ts BIGINT, runId VARCHAR, chainId BIGINT, orderBook VARCHAR, marketIdBytes32 VARCHAR,
    trader VARCHAR, nickname VARCHAR, role VARCHAR, action VARCHAR, params VARCHAR, txHash VARCHAR,
    error VARCHAR
)
"""


def _insert_sql() -> str:
    """Parse one registered chunk (`lines_chunk`) into `CHUNK_TABLE`. Each line is parsed once (a
    line that is not JSON gives NULL); each field's small JSON text is then typed and read. A line
    that is JSON but not an object has none of the fields, so it is malformed like any other."""
    get = {name: f"json_extract_string(f.{name}, '$')" for name in FIELDS}
    kind = {name: f"json_type(f.{name})" for name in FIELDS}
    whole = (
        f"{kind['ts']} IN ('UBIGINT', 'BIGINT') AND {kind['runId']} = 'VARCHAR' "
        f"AND {kind['chainId']} IN ('UBIGINT', 'BIGINT') AND {kind['orderBook']} = 'VARCHAR' "
        f"AND {kind['action']} = 'VARCHAR'"
    )
    return f"""
        INSERT INTO {CHUNK_TABLE}
        WITH parsed AS (
            SELECT file_index, source, line_no, line, line_hash, occurrence,
                try(json_transform(line, {_shape_sql()})) AS f
            FROM lines_chunk
        ), checked AS (
            SELECT *, coalesce({whole}, false) AS ok FROM parsed
        )
        SELECT
            file_index,
            source,
            line_no,
            line,
            line_hash,
            occurrence,
            NOT ok,
            CASE WHEN ok THEN TRY_CAST({get["ts"]} AS BIGINT) END,
            CASE WHEN ok THEN {get["runId"]} END,
            CASE WHEN ok THEN TRY_CAST({get["chainId"]} AS BIGINT) END,
            CASE WHEN ok THEN {get["orderBook"]} END,
            CASE WHEN ok THEN {get["marketIdBytes32"]} END,
            CASE WHEN ok THEN {get["trader"]} END,
            CASE WHEN ok THEN {get["nickname"]} END,
            CASE WHEN ok THEN {get["role"]} END,
            CASE WHEN ok THEN {get["action"]} END,
            CASE WHEN ok THEN f.params::VARCHAR END,
            CASE WHEN ok THEN {get["txHash"]} END,
            CASE WHEN ok THEN {get["error"]} END
        FROM checked
        ORDER BY file_index, line_no
        """


def create_chunk_table(con: duckdb.DuckDBPyConnection) -> None:
    """`CHUNK_TABLE`, empty (its columns: `EXPORT_COLUMNS` and `file_index`, the file's place in
    the paths)."""
    con.execute(_TABLE_SQL)


def stage_chunks(
    paths: Sequence[Path], con: duckdb.DuckDBPyConnection, progress: Progress | None = None
) -> Iterator[StagedLines]:
    """The lines of `paths`, a chunk at a time, in file and line order: before each yield the
    table `CHUNK_TABLE` holds the chunk's lines (and only them). Yields the totals so far."""
    total = sum(path.stat().st_size for path in paths)
    insert = _insert_sql()
    rows = malformed = 0
    for chunk, done in _read_lines(paths):
        create_chunk_table(con)
        con.register("lines_chunk", chunk)
        try:
            con.execute(insert)
        finally:
            con.unregister("lines_chunk")
        ((n, bad),) = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE malformed) FROM {CHUNK_TABLE}"
        ).fetchall()
        rows += int(n)
        malformed += int(bad)
        yield StagedLines(files=len(paths), rows=rows, malformed=malformed)
        if progress is not None:
            progress(done, total)
