"""Counts over the journal: actions, errors (by code and by wallet), session and run history,
and per-market and per-run totals.

The counts come from one pass (`count_lines`: lines per run, market and action, with their first
and last time), which every count here reads instead of scanning the journal again."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Final

import duckdb

from ama_tui.analytics.error_codes import error_code
from ama_tui.analytics.model import Count, RunRow, SessionEvent
from ama_tui.core.actions import ActionKind

SESSION_ACTIONS: Final = (
    ActionKind.RUN_START.value,
    ActionKind.SESSION_PENDING.value,
    ActionKind.SESSION_INIT.value,
    ActionKind.RUN_STOP.value,
)
SESSION_EVENTS_KEPT: Final = 100
NO_WALLET: Final = "(no wallet)"


def _in_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def wallet_label(trader: str | None, nickname: str | None) -> str:
    if nickname:
        return nickname
    if not trader or trader == "unknown":
        return NO_WALLET
    return f"{trader[:6]}…{trader[-4:]}" if len(trader) > 12 else trader


LINE_COUNTS_SQL: Final = """
CREATE OR REPLACE TEMP TABLE line_counts AS
SELECT run_id, order_book, action, any_value(chain_id) AS chain_id, count(*) AS lines,
    min(ts) AS first_ts, max(ts) AS last_ts
FROM journal GROUP BY run_id, order_book, action
"""


def count_lines(con: duckdb.DuckDBPyConnection) -> None:
    """The `line_counts` table the other counts here read."""
    con.execute(LINE_COUNTS_SQL)


def action_counts(con: duckdb.DuckDBPyConnection) -> tuple[Count, ...]:
    rows = con.execute("SELECT action, sum(lines) FROM line_counts GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    return tuple(Count(str(a), int(n)) for a, n in rows)


def span(con: duckdb.DuckDBPyConnection) -> tuple[int, int | None, int | None]:
    row = con.execute(
        "SELECT coalesce(sum(lines), 0), min(first_ts), max(last_ts) FROM line_counts"
    ).fetchone()
    assert row is not None
    return int(row[0]), row[1], row[2]


def counts_of(con: duckdb.DuckDBPyConnection, actions: tuple[str, ...]) -> tuple[int, ...]:
    """Lines of each of `actions`."""
    sums = ", ".join(f"coalesce(sum(lines) FILTER (WHERE action = '{a}'), 0)" for a in actions)
    row = con.execute(f"SELECT {sums} FROM line_counts").fetchone()
    assert row is not None
    return tuple(int(n) for n in row)


def errors(con: duckdb.DuckDBPyConnection) -> tuple[tuple[Count, ...], tuple[Count, ...]]:
    """(by code, by wallet), most frequent first. Messages are grouped in SQL, coded here."""
    rows = con.execute(
        """
        SELECT error, trader, any_value(nickname), count(*) FROM journal
        WHERE action = 'ERROR' GROUP BY error, trader
        """
    ).fetchall()
    by_code: Counter[str] = Counter()
    by_wallet: Counter[str] = Counter()
    for message, trader, nickname, n in rows:
        by_code[error_code(message)] += int(n)
        by_wallet[wallet_label(trader, nickname)] += int(n)
    return _ranked(by_code), _ranked(by_wallet)


def _ranked(counter: Counter[str]) -> tuple[Count, ...]:
    return tuple(Count(k, n) for k, n in sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _detail(action: str, expiry: int | None, reason: str | None, wallets: int | None) -> str:
    if action in (ActionKind.SESSION_INIT, ActionKind.SESSION_PENDING) and expiry is not None:
        return f"expires {_utc(expiry)}"
    if action == ActionKind.RUN_STOP and reason:
        return reason
    if action == ActionKind.RUN_START and wallets is not None:
        return f"{wallets} wallets"
    return ""


def sessions(con: duckdb.DuckDBPyConnection) -> tuple[tuple[Count, ...], tuple[SessionEvent, ...]]:
    """(count per kind, the latest `SESSION_EVENTS_KEPT` events oldest first)."""
    kinds = _in_list(SESSION_ACTIONS)
    counts = con.execute(
        f"SELECT action, sum(lines) FROM line_counts WHERE action IN {kinds} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    rows = con.execute(
        f"""
        SELECT ts, run_id, action, trader, nickname, expiry, reason, wallets FROM journal
        WHERE action IN {kinds} ORDER BY ts DESC, seq DESC LIMIT {SESSION_EVENTS_KEPT}
        """
    ).fetchall()
    events = tuple(
        SessionEvent(int(ts), str(run), str(action), wallet_label(trader, nick), _detail(action, exp, why, n))
        for ts, run, action, trader, nick, exp, why, n in reversed(rows)
    )
    return tuple(Count(str(a), int(n)) for a, n in counts), events


def runs(con: duckdb.DuckDBPyConnection) -> tuple[RunRow, ...]:
    rows = con.execute(
        """
        WITH stops AS (
            SELECT run_id, arg_max(reason, seq) AS reason FROM journal
            WHERE action = 'RUN_STOP' GROUP BY run_id
        ), totals AS (
            SELECT run_id, min(first_ts) AS first_ts, max(last_ts) AS last_ts, sum(lines) AS lines,
                coalesce(sum(lines) FILTER (WHERE action = 'PLACE_LIMIT'), 0) AS placements,
                coalesce(sum(lines) FILTER (WHERE action = 'FILL'), 0) AS fills,
                coalesce(sum(lines) FILTER (WHERE action = 'ERROR'), 0) AS errors
            FROM line_counts GROUP BY run_id
        )
        SELECT t.run_id, t.first_ts, t.last_ts, t.lines, t.placements, t.fills, t.errors, s.reason
        FROM totals t LEFT JOIN stops s USING (run_id) ORDER BY 2, 1
        """
    ).fetchall()
    return tuple(
        RunRow(str(r), int(a), int(b), int(n), int(p), int(f), int(e), s) for r, a, b, n, p, f, e, s in rows
    )


def market_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, int, int, int, int, int]]:
    """(chain id, order book, lines, placements, fills, cancels, errors) per market."""
    rows = con.execute(
        """
        SELECT any_value(chain_id), order_book, sum(lines),
            coalesce(sum(lines) FILTER (WHERE action = 'PLACE_LIMIT'), 0),
            coalesce(sum(lines) FILTER (WHERE action = 'FILL'), 0),
            coalesce(sum(lines) FILTER (WHERE action = 'CANCEL_ORDER'), 0),
            coalesce(sum(lines) FILTER (WHERE action = 'ERROR'), 0)
        FROM line_counts GROUP BY order_book ORDER BY order_book
        """
    ).fetchall()
    return [(int(c), str(b), int(n), int(p), int(f), int(x), int(e)) for c, b, n, p, f, x, e in rows]
