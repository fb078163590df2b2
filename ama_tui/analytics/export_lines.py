"""Journal lines staged for export: one row per non-blank line, nothing dropped.

Python reads the lines (a line that is not valid UTF-8 keeps its odd bytes as `\\xNN` escapes);
DuckDB parses them. Each row keeps the line's text, its SHA-256 (`lineHash`) and its
`occurrence` (1 for the first copy of that exact text in its file, 2 for a second...), so that a
row's identity survives re-export from any host. A malformed line (not a JSON object with
`ts`, `runId`, `chainId`, `orderBook` and `action` of the right types) is kept, flagged
`malformed`, with its fields NULL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb
import numpy as np

FIELDS: Final = (
    ("ts", "$.ts"),
    ("runId", "$.runId"),
    ("chainId", "$.chainId"),
    ("orderBook", "$.orderBook"),
    ("marketIdBytes32", "$.marketIdBytes32"),
    ("trader", "$.trader"),
    ("nickname", "$.nickname"),
    ("role", "$.role"),
    ("action", "$.action"),
    ("txHash", "$.txHash"),
    ("error", "$.error"),
)
EXPORT_COLUMNS: Final = (
    "source",
    "lineNo",
    "line",
    "lineHash",
    "occurrence",
    "malformed",
    "ts",
    "runId",
    "chainId",
    "orderBook",
    "marketIdBytes32",
    "trader",
    "nickname",
    "role",
    "action",
    "params",
    "txHash",
    "error",
)


@dataclass(frozen=True)
class StagedLines:
    files: int
    rows: int
    malformed: int


def _read_lines(paths: Sequence[Path]) -> dict[str, np.ndarray]:
    indexes: list[int] = []
    sources: list[str] = []
    numbers: list[int] = []
    texts: list[str] = []
    for index, path in enumerate(paths):
        name = str(path)
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                indexes.append(index)
                sources.append(name)
                numbers.append(number)
                texts.append(raw.rstrip(b"\n").decode("utf-8", errors="backslashreplace"))
    return {
        "file_index": np.array(indexes, dtype=np.int64),
        "source": np.array(sources, dtype=object),
        "line_no": np.array(numbers, dtype=np.int64),
        "line": np.array(texts, dtype=object),
    }


def _paths_sql() -> str:
    return "[" + ", ".join(f"'{path}'" for _, path in FIELDS) + "]"


def stage_lines(paths: Sequence[Path], con: duckdb.DuckDBPyConnection) -> StagedLines:
    """Fill the table `export_lines` (columns `EXPORT_COLUMNS`, and `file_index`: the file's
    place in `paths`, for order) from `paths`."""
    raw_lines = _read_lines(paths)  # noqa: F841  (read by DuckDB below, by name)
    get = {name: f"v[{index}]" for index, (name, _) in enumerate(FIELDS, start=1)}
    kind = {name: f"t[{index}]" for index, (name, _) in enumerate(FIELDS, start=1)}
    whole = (
        f"{kind['ts']} IN ('UBIGINT', 'BIGINT') AND {kind['runId']} = 'VARCHAR' "
        f"AND {kind['chainId']} IN ('UBIGINT', 'BIGINT') AND {kind['orderBook']} = 'VARCHAR' "
        f"AND {kind['action']} = 'VARCHAR'"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE export_lines AS
        WITH parsed AS (
            SELECT file_index, source, line_no, line,
                CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END AS is_object
            FROM raw_lines
        ), typed AS (
            SELECT file_index, source, line_no, line,
                CASE WHEN is_object THEN json_extract_string(line, {_paths_sql()}) END AS v,
                CASE WHEN is_object THEN json_type(line, {_paths_sql()}) END AS t,
                CASE WHEN is_object THEN json_extract(line, '$.params')::VARCHAR END AS p
            FROM parsed
        ), checked AS (
            SELECT *, coalesce({whole}, false) AS ok FROM typed
        )
        SELECT
            file_index,
            source,
            line_no AS lineNo,
            line,
            sha256(line) AS lineHash,
            row_number() OVER (PARTITION BY source, sha256(line) ORDER BY line_no)::INTEGER AS occurrence,
            NOT ok AS malformed,
            CASE WHEN ok THEN TRY_CAST({get["ts"]} AS BIGINT) END AS ts,
            CASE WHEN ok THEN {get["runId"]} END AS runId,
            CASE WHEN ok THEN TRY_CAST({get["chainId"]} AS BIGINT) END AS chainId,
            CASE WHEN ok THEN {get["orderBook"]} END AS orderBook,
            CASE WHEN ok THEN {get["marketIdBytes32"]} END AS marketIdBytes32,
            CASE WHEN ok THEN {get["trader"]} END AS trader,
            CASE WHEN ok THEN {get["nickname"]} END AS nickname,
            CASE WHEN ok THEN {get["role"]} END AS role,
            CASE WHEN ok THEN {get["action"]} END AS action,
            CASE WHEN ok AND p <> 'null' THEN p END AS params,
            CASE WHEN ok THEN {get["txHash"]} END AS txHash,
            CASE WHEN ok THEN {get["error"]} END AS error
        FROM checked
        """
    )
    row = con.execute("SELECT count(*), count(*) FILTER (WHERE malformed) FROM export_lines").fetchone()
    rows, malformed = (int(row[0]), int(row[1])) if row else (0, 0)
    return StagedLines(files=len(paths), rows=rows, malformed=malformed)
