"""Journals into DuckDB: one table of typed lines, read straight from the JSONL files.

Every line becomes a row (DuckDB's `ignore_errors` turns a line it cannot read into a row of
NULLs), so malformed lines are counted, never fatal: a line is a journal record when it has the
fields every record has (`ts`, `runId`, `chainId`, `orderBook`, `action`), as the store's reader
requires. Blank lines are skipped, as the store's reader skips them.

Each file is parsed into its own table (or taken from `journal_cache`, which keeps them parsed
between runs). Figures read the view `journal`: the valid lines inside the window, with money and sizes as
integers (`price6`, `amount18`, `margin6`; the original tool's human numbers are converted from
their JSON text, exactly) and actions under their one name (`CANCEL` -> `CANCEL_ORDER`).

The parse is most of a report's time, so a table holds only what some figure reads: the long
strings are kept on the lines that use them (`trader` on fills, errors and session and run lines,
`nickname` on errors and session and run lines, `tx_hash` on placements without an order id) and
NULL elsewhere, and the original tool's human numbers are converted only on lines without the
integer field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb

from ama_tui.analytics.timespec import Window
from ama_tui.core.actions import LEGACY_ACTION_NAMES, ActionKind
from ama_tui.store.layout import MAX_LINE_BYTES

PARAMS_TYPE: Final = (
    "STRUCT(isBuy BOOLEAN, price VARCHAR, price6 VARCHAR, amount VARCHAR, amount18 VARCHAR, "
    "estMarginRequired VARCHAR, margin6 VARCHAR, orderId VARCHAR, isMaker BOOLEAN, reason VARCHAR, "
    "expiry VARCHAR, placeTx VARCHAR, wallets VARCHAR, dryRun BOOLEAN)"
)
"""The params fields the figures use. Numbers are read as their JSON text (no float on the way)."""
COLUMNS: Final = {
    "ts": "BIGINT",
    "runId": "VARCHAR",
    "chainId": "BIGINT",
    "orderBook": "VARCHAR",
    "trader": "VARCHAR",
    "nickname": "VARCHAR",
    "action": "VARCHAR",
    "params": PARAMS_TYPE,
    "txHash": "VARCHAR",
    "error": "VARCHAR",
}
_E18: Final = "1000000000000000000::HUGEINT"


def _scaled(text: str, decimals: int) -> str:
    """SQL for an exact decimal text times 10**decimals, as an integer (NULL if unreadable)."""
    value = f"TRY_CAST({text} AS DECIMAL(38,{decimals}))"
    scale = f"{10**decimals}::HUGEINT"
    return (
        f"(CAST(floor({value}) AS HUGEINT) * {scale} + CAST(({value} - floor({value})) * {scale} AS HUGEINT))"
    )


def _integer(text: str, cast: str, human_text: str, decimals: int, human: bool) -> str:
    """SQL for an integer field (`price6`); with `human`, on a line without a readable one, its
    human number (`price`) times 10**decimals. The CASE keeps DuckDB from converting the human
    number on every line (its common-subexpression pass would hoist it out of `coalesce`)."""
    if not human:
        return f"TRY_CAST({text} AS {cast})"
    legacy = f"TRY_CAST({_scaled(human_text, decimals)} AS {cast})"
    return f"coalesce(TRY_CAST({text} AS {cast}), CASE WHEN {human_text} IS NOT NULL THEN {legacy} END)"


def _only_on(actions: tuple[str, ...], value: str) -> str:
    """`value` on the lines of `actions` (spelled as written), NULL on the others. A CASE, not
    `IN (...)`: DuckDB plans an IN list as a join, which does not keep the lines in file order."""
    return "CASE action " + " ".join(f"WHEN {_sql_string(a)} THEN {value}" for a in actions) + " END"


_SESSION_AND_RUN: Final = (
    ActionKind.RUN_START.value,
    ActionKind.RUN_STOP.value,
    ActionKind.SESSION_INIT.value,
    ActionKind.SESSION_PENDING.value,
)
TRADER_ACTIONS: Final = (ActionKind.FILL.value, ActionKind.ERROR.value, *_SESSION_AND_RUN)
"""The lines whose `trader` a figure reads: fills (positions), errors (by wallet), session events."""
NICKNAME_ACTIONS: Final = (ActionKind.ERROR.value, *_SESSION_AND_RUN)


def _canonical_action_sql() -> str:
    cases = " ".join(f"WHEN '{old}' THEN '{new.value}'" for old, new in LEGACY_ACTION_NAMES.items())
    return f"CASE action {cases} ELSE action END"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _columns_sql() -> str:
    return "{" + ", ".join(f"{_sql_string(k)}: {_sql_string(v)}" for k, v in COLUMNS.items()) + "}"


@dataclass(frozen=True)
class FileStats:
    path: str
    lines: int
    """Non-blank lines."""
    malformed: int


def parse_sql(file_parameter: str, *, human_numbers: bool = False) -> str:
    """A SELECT of one JSONL file's lines as typed rows (`$<file_parameter>` names the file).
    With `human_numbers`, a line without `price6` / `amount18` / `margin6` takes them from its
    `price` / `amount` / `estMarginRequired` (the original tool's lines): reading those as text
    costs about a quarter of the parse, so `parse_journal` does it only for a journal that needs it."""
    return f"""
        SELECT
            (ts IS NOT NULL AND runId IS NOT NULL AND chainId IS NOT NULL AND orderBook IS NOT NULL
                AND action IS NOT NULL) AS valid,
            ts,
            runId AS run_id,
            chainId AS chain_id,
            lower(orderBook) AS order_book,
            {_only_on(TRADER_ACTIONS, "lower(coalesce(trader, 'unknown'))")} AS trader,
            {_only_on(NICKNAME_ACTIONS, "nickname")} AS nickname,
            {_canonical_action_sql()} AS action,
            params.isBuy AS is_buy,
            {_integer("params.price6", "BIGINT", "params.price", 6, human_numbers)} AS price6,
            {_integer("params.amount18", "HUGEINT", "params.amount", 18, human_numbers)} AS amount18,
            {_integer("params.margin6", "BIGINT", "params.estMarginRequired", 6, human_numbers)} AS margin6,
            TRY_CAST(params.orderId AS HUGEINT) AS order_id,
            params.isMaker AS is_maker,
            params.reason AS reason,
            TRY_CAST(params.expiry AS BIGINT) AS expiry,
            params.placeTx AS place_tx,
            TRY_CAST(params.wallets AS BIGINT) AS wallets,
            CASE WHEN action = 'PLACE_LIMIT' AND TRY_CAST(params.orderId AS HUGEINT) IS NULL
                THEN lower(txHash) END AS tx_hash,
            error
        FROM read_json(
            ${file_parameter}, format = 'newline_delimited', columns = {_columns_sql()}, ignore_errors = true,
            maximum_object_size = {MAX_LINE_BYTES + 1}
        )
        """


NEEDS_HUMAN_NUMBERS_SQL: Final = """
SELECT count(*) FROM {table} WHERE valid AND (
    ((action = 'PLACE_LIMIT' OR action = 'PLACE_MINED') AND (amount18 IS NULL OR margin6 IS NULL))
    OR (action = 'FILL' AND (price6 IS NULL OR amount18 IS NULL))
)
"""
"""Lines a figure reads a size, price or margin of (placements: size and margin; fills: price and
size) that the integer fields do not give: read the file again with `human_numbers`. ama-tui
writes each human number with its integer field, so its own journals are read once (a taker's
or a recovered placement has no margin at all: such a journal is read twice, to be exact)."""


def parse_journal(con: duckdb.DuckDBPyConnection, path: Path, table: str, create: str) -> None:
    """`{create} {table} AS` the parsed lines of the JSONL file at `path`, e.g. `create` =
    "CREATE OR REPLACE TEMP TABLE"."""
    parameters = {"file": str(path)}
    con.execute(f"{create} {table} AS {parse_sql('file')}", parameters)
    row = con.execute(NEEDS_HUMAN_NUMBERS_SQL.format(table=table)).fetchone()
    if row and row[0]:
        con.execute(f"{create} {table} AS {parse_sql('file', human_numbers=True)}", parameters)


TableFinder = Callable[[Path, int, duckdb.DuckDBPyConnection], str | None]
"""Where a journal's parsed lines already are (a cache), or None to parse the file now."""


def load_journals(
    paths: Sequence[Path],
    window: Window,
    con: duckdb.DuckDBPyConnection,
    cached: TableFinder | None = None,
    on_file: Callable[[int], None] | None = None,
) -> list[FileStats]:
    """Parse `paths` (or take their lines from `cached`), define the view `lines` (every line,
    with `seq`: journal order) and the view `journal` (valid lines inside `window`). Returns what
    each file held. `on_file` is told the index of each file as its reading starts, then
    `len(paths)` once all are read."""
    if not paths:
        raise ValueError("no journal to read")
    tables: list[str] = []
    for index, path in enumerate(paths):
        if on_file is not None:
            on_file(index)
        table = cached(path, index, con) if cached is not None else None
        if table is None:
            table = f"parsed_{index}"
            parse_journal(con, path, table, "CREATE OR REPLACE TEMP TABLE")
        tables.append(table)
    if on_file is not None:
        on_file(len(paths))
    members = [
        f"SELECT ({index}::BIGINT << 40) + rowid AS seq, {_sql_string(str(path))} AS source, * FROM {table}"
        for index, (path, table) in enumerate(zip(paths, tables, strict=True))
    ]
    con.execute(f"CREATE OR REPLACE TEMP VIEW lines AS {' UNION ALL '.join(members)}")
    bounds = []
    if window.since_ms is not None:
        bounds.append(f"ts >= {int(window.since_ms)}")
    if window.until_ms is not None:
        bounds.append(f"ts <= {int(window.until_ms)}")
    where = " AND ".join(["valid", *bounds])
    con.execute(f"CREATE OR REPLACE TEMP VIEW journal AS SELECT * FROM lines WHERE {where}")
    stats: list[FileStats] = []
    for path, table in zip(paths, tables, strict=True):
        row = con.execute(f"SELECT count(*), count(*) FILTER (WHERE NOT valid) FROM {table}").fetchone()
        total, bad = (int(row[0]), int(row[1])) if row else (0, 0)
        stats.append(FileStats(str(path), total, bad))
    return stats
