"""The ClickHouse side: the table's DDL (a file in this package) and the queries run against it,
the same on a server and on chdb (in process) in the tests."""

from __future__ import annotations

from importlib.resources import files
from typing import Final

TABLE: Final = "ama_journal"
KEY_COLUMNS: Final = ("runId", "ts", "trader", "action", "txHash", "lineHash", "occurrence")
INSERT_COLUMNS: Final = (
    *KEY_COLUMNS,
    "chainId",
    "orderBook",
    "marketIdBytes32",
    "nickname",
    "role",
    "params",
    "error",
    "line",
    "source",
    "lineNo",
)


def table_ddl() -> str:
    return files("ama_tui.analytics").joinpath("clickhouse_journal.sql").read_text(encoding="utf-8")


EXISTING_KEYS: Final = f"""
SELECT {", ".join(KEY_COLUMNS)} FROM {TABLE} FINAL WHERE runId IN {{run_ids:Array(String)}}
"""
"""The keys already stored for some runs: what an export leaves out."""

ROWS: Final = f"SELECT count() FROM {TABLE} FINAL"

LINES_BY_ACTION: Final = f"""
SELECT action, count() AS lines FROM {TABLE} FINAL GROUP BY action ORDER BY lines DESC, action
"""

FILL_RATE_BY_MARKET: Final = f"""
SELECT chainId, lower(orderBook) AS market,
    countIf(action = 'PLACE_LIMIT') AS placements,
    countIf(action = 'FILL') AS fills,
    if(placements = 0, NULL, round(fills / placements, 4)) AS fill_rate
FROM {TABLE} FINAL GROUP BY chainId, market ORDER BY chainId, market
"""
