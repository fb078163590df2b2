"""`export --to clickhouse URL`: the journals' valid lines into the table of
`clickhouse_journal.sql`, through the official client (`clickhouse-connect`; a `chdb://` URL
selects its in-process engine). Lines already stored (same key) are left out, so exporting again
adds only what is new; malformed lines have no key and are counted, not sent. The journals go a
chunk at a time (`export_lines`): the server's keys are asked for each run the first time a
chunk names it, and a chunk's keys join them once sent, so a line that comes twice in one export
(the same journal under two folders) is sent once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np

from ama_tui.analytics import duck
from ama_tui.analytics.clickhouse_queries import EXISTING_KEYS, INSERT_COLUMNS, KEY_COLUMNS, TABLE, table_ddl
from ama_tui.analytics.export_lines import CHUNK_TABLE, StagedLines, create_chunk_table, stage_chunks
from ama_tui.analytics.progress_line import Progress


@dataclass(frozen=True)
class ClickHouseExport:
    staged: StagedLines
    inserted: int
    already_stored: int


def connect(url: str) -> Any:
    """A clickhouse-connect client for `url` (http(s)://user:password@host:port/database, or
    chdb:///path for an in-process engine)."""
    import clickhouse_connect

    return clickhouse_connect.get_client(dsn=url)


def redacted(url: str, text: str | None = None) -> str:
    """`text` (default: `url` itself) with the URL's password replaced by `***`: a message may
    name the server, never its credentials."""
    from urllib.parse import unquote, urlsplit

    shown = url if text is None else text
    try:
        password = urlsplit(url).password
    except ValueError:
        return shown
    for secret in {password, unquote(password)} if password else ():
        shown = shown.replace(secret, "***")
    return shown


def _text(value: Any) -> str:
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


_KEYS_TABLE_SQL: Final = (
    "CREATE OR REPLACE TEMP TABLE stored_keys (runId VARCHAR, ts BIGINT, trader VARCHAR, action VARCHAR, "
    "txHash VARCHAR, lineHash VARCHAR, occurrence INTEGER)"
)


def _load_stored_keys(client: Any, con: duckdb.DuckDBPyConnection, asked: set[str]) -> int:
    """Into `stored_keys`: the keys the server holds for the runs of the chunk not `asked` yet."""
    run_ids = [
        r[0]
        for r in con.execute(f"SELECT DISTINCT runId FROM {CHUNK_TABLE} WHERE NOT malformed").fetchall()
        if r[0] not in asked
    ]
    asked.update(run_ids)
    rows = client.query(EXISTING_KEYS, parameters={"run_ids": run_ids}).result_rows if run_ids else []
    if rows:
        columns = list(zip(*rows, strict=True))
        keys = {  # noqa: F841  (read by DuckDB below, by name)
            "runId": np.array([_text(v) for v in columns[0]], dtype=object),
            "ts": np.array(columns[1], dtype=np.int64),
            "trader": np.array([_text(v) for v in columns[2]], dtype=object),
            "action": np.array([_text(v) for v in columns[3]], dtype=object),
            "txHash": np.array([_text(v) for v in columns[4]], dtype=object),
            "lineHash": np.array([_text(v) for v in columns[5]], dtype=object),
            "occurrence": np.array(columns[6], dtype=np.int64),
        }
        con.execute("INSERT INTO stored_keys SELECT * FROM keys")
    return len(rows)


_TO_SEND_SQL: Final = f"""
CREATE OR REPLACE TEMP VIEW to_send AS
SELECT runId, ts, coalesce(trader, 'unknown') AS trader, action, coalesce(txHash, '') AS txHash,
    lineHash, occurrence, chainId, orderBook, marketIdBytes32, nickname, role, params, error,
    line, source, lineNo, file_index
FROM {CHUNK_TABLE} WHERE NOT malformed
"""


def export_clickhouse(
    paths: Sequence[Path], client: Any, progress: Progress | None = None
) -> ClickHouseExport:
    con = duck.connect()
    try:
        client.command(table_ddl())
        con.execute(_KEYS_TABLE_SQL)
        create_chunk_table(con)
        con.execute(_TO_SEND_SQL)  # a view: it reads whichever chunk the table holds
        asked: set[str] = set()
        keys = ", ".join(KEY_COLUMNS)
        staged = StagedLines(files=len(paths), rows=0, malformed=0)
        inserted = 0
        for so_far in stage_chunks(paths, con, progress):
            staged = so_far
            _load_stored_keys(client, con, asked)
            con.execute(
                "CREATE OR REPLACE TEMP TABLE chunk_pending AS "
                f"SELECT * FROM to_send ANTI JOIN stored_keys USING ({keys})"
            )
            rows = con.sql(
                f"SELECT {', '.join(INSERT_COLUMNS)} FROM chunk_pending ORDER BY file_index, lineNo"
            ).to_arrow_table()
            if rows.num_rows:
                client.insert_arrow(TABLE, rows)  # columnar: no Python object per value
                inserted += rows.num_rows
            con.execute(f"INSERT INTO stored_keys SELECT {keys} FROM chunk_pending")
        valid = staged.rows - staged.malformed
        return ClickHouseExport(staged, inserted, valid - inserted)
    finally:
        con.close()
