"""`export --to clickhouse URL`: the journals' valid lines into the table of
`clickhouse_journal.sql`, through the official client (`clickhouse-connect`; a `chdb://` URL
selects its in-process engine). Lines already stored (same key) are left out, so exporting again
adds only what is new; malformed lines have no key and are counted, not sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np

from ama_tui.analytics.clickhouse_queries import EXISTING_KEYS, INSERT_COLUMNS, KEY_COLUMNS, TABLE, table_ddl
from ama_tui.analytics.export_lines import StagedLines, stage_lines

BATCH_ROWS: Final = 50_000


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


def _text(value: Any) -> str:
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def _load_stored_keys(client: Any, con: duckdb.DuckDBPyConnection) -> int:
    """The table `stored_keys`: the keys the server already holds for the runs being exported."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE stored_keys (runId VARCHAR, ts BIGINT, trader VARCHAR, action VARCHAR, "
        "txHash VARCHAR, lineHash VARCHAR, occurrence INTEGER)"
    )
    run_ids = [
        r[0] for r in con.execute("SELECT DISTINCT runId FROM export_lines WHERE NOT malformed").fetchall()
    ]
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


def export_clickhouse(paths: Sequence[Path], client: Any) -> ClickHouseExport:
    con = duckdb.connect()
    try:
        staged = stage_lines(paths, con)
        client.command(table_ddl())
        _load_stored_keys(client, con)
        con.execute(
            """
            CREATE OR REPLACE TEMP VIEW to_send AS
            SELECT runId, ts, coalesce(trader, 'unknown') AS trader, action, coalesce(txHash, '') AS txHash,
                lineHash, occurrence, chainId, orderBook, marketIdBytes32, nickname, role, params, error,
                line, source, lineNo, file_index
            FROM export_lines WHERE NOT malformed
            """
        )
        keys = ", ".join(KEY_COLUMNS)
        pending = con.execute(
            f"SELECT * EXCLUDE (file_index) FROM to_send ANTI JOIN stored_keys USING ({keys}) "
            "ORDER BY file_index, lineNo"
        )
        inserted = 0
        while batch := pending.fetchmany(BATCH_ROWS):
            client.insert(TABLE, batch, column_names=list(INSERT_COLUMNS))
            inserted += len(batch)
        valid = staged.rows - staged.malformed
        return ClickHouseExport(staged, inserted, valid - inserted)
    finally:
        con.close()
