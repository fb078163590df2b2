"""The analytics' DuckDB connections.

DuckDB draws its own progress bar on standard output for any query that runs past two seconds,
whatever standard output is: into `report --format json > file`, the export's summary, or across
the TUI's screen. Every connection here keeps DuckDB's progress (`query_progress`, which the
commands show on stderr themselves) but never prints it."""

from __future__ import annotations

import duckdb


def connect(*, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never prints (`threads`: its worker threads; default: one a core)."""
    con = duckdb.connect(config={"threads": threads} if threads is not None else {})
    con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
    return con
