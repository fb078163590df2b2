"""Orders: fill rate, churn, lifetimes (placement to cancel or full fill, matched by order id)
and the margin our resting orders hold over time.

A placement answered `pending` gets its order id from the PLACE_MINED line that follows; its
lifetime starts at the PLACE_LIMIT line (matched by `placeTx`). An order ends at its first
cancel or at its last fill once its fills add up to its placed size (an order of unknown size: at
its first fill), whichever comes first; a
partly filled order keeps all its margin until then (the journal does not say how the exchange
releases it).
"""

from __future__ import annotations

from typing import Final

import duckdb

from ama_tui.analytics.activity import counts_of
from ama_tui.analytics.buckets import bucket_end
from ama_tui.analytics.model import Bucket, Count, Lifetimes, OrderFigures

HISTOGRAM_EDGES_MS: Final = (
    0,
    1_000,
    5_000,
    30_000,
    60_000,
    300_000,
    900_000,
    3_600_000,
    21_600_000,
    86_400_000,
)
_EDGE_LABELS: Final = ("0", "1 s", "5 s", "30 s", "1 min", "5 min", "15 min", "1 h", "6 h", "1 d")

ORDERS_SQL: Final = """
CREATE OR REPLACE TEMP TABLE order_ids AS
WITH order_lines AS (
    SELECT order_book, order_id,
        CASE action WHEN 'PLACE_LIMIT' THEN 0 WHEN 'FILL' THEN 1 ELSE 2 END AS kind, ts, amount18, margin6
    FROM journal
    WHERE order_id IS NOT NULL AND (action = 'PLACE_LIMIT' OR action = 'FILL' OR action = 'CANCEL_ORDER')
    UNION ALL
    SELECT m.order_book, m.order_id, 0, coalesce(p.ts, m.ts), m.amount18, m.margin6
    FROM journal m LEFT JOIN journal p
        ON p.action = 'PLACE_LIMIT' AND p.order_id IS NULL AND p.tx_hash = lower(m.place_tx)
        AND p.order_book = m.order_book
    WHERE m.action = 'PLACE_MINED' AND m.order_id IS NOT NULL
)
SELECT order_book, order_id,
    min(ts) FILTER (WHERE kind = 0) AS placed_ts,
    max(amount18) FILTER (WHERE kind = 0) AS amount18,
    max(margin6) FILTER (WHERE kind = 0) AS margin6,
    sum(amount18) FILTER (WHERE kind = 1) AS filled18,
    min(ts) FILTER (WHERE kind = 1) AS first_fill_ts,
    max(ts) FILTER (WHERE kind = 1) AS last_fill_ts,
    min(ts) FILTER (WHERE kind = 2) AS cancel_ts
FROM order_lines GROUP BY order_book, order_id;

CREATE OR REPLACE TEMP TABLE orders AS
WITH ends AS (
    SELECT order_book, order_id, placed_ts, margin6, cancel_ts,
        CASE
            WHEN first_fill_ts IS NULL THEN NULL
            WHEN amount18 IS NULL THEN first_fill_ts
            WHEN filled18 >= amount18 THEN last_fill_ts
        END AS full_ts
    FROM order_ids WHERE placed_ts IS NOT NULL
)
SELECT order_book, order_id, placed_ts, margin6, cancel_ts, full_ts,
    least(cancel_ts, full_ts) AS end_ts,
    CASE
        WHEN cancel_ts IS NULL AND full_ts IS NULL THEN NULL
        WHEN full_ts IS NULL OR cancel_ts <= full_ts THEN 'cancel'
        ELSE 'fill'
    END AS ended_by,
    CASE WHEN least(cancel_ts, full_ts) IS NOT NULL  -- greatest() skips NULLs: an open order has none
        THEN greatest(least(cancel_ts, full_ts) - placed_ts, 0)
    END AS life_ms
FROM ends
"""
"""One pass over the lines naming an order id: per order (`order_ids`: every id, placed in the
window or not) its placement, fills and first cancel; `orders`: the placed ones and their end."""


def build_orders(con: duckdb.DuckDBPyConnection) -> None:
    """The `order_ids` and `orders` tables that `order_figures`, `lifetimes` and
    `resting_margin6` read."""
    con.execute(ORDERS_SQL)


def order_figures(con: duckdb.DuckDBPyConnection) -> OrderFigures:
    """Needs `build_orders` and `activity.count_lines` first."""
    placements, fills, cancels = counts_of(con, ("PLACE_LIMIT", "FILL", "CANCEL_ORDER"))
    row = con.execute("SELECT count(first_fill_ts) FROM order_ids").fetchone()
    filled_orders = row[0] if row else 0
    reasons = con.execute(
        """
        SELECT coalesce(reason, '(none)'), count(*) FROM journal WHERE action = 'CANCEL_ORDER'
        GROUP BY 1 ORDER BY 2 DESC, 1
        """
    ).fetchall()
    return OrderFigures(
        placements=int(placements),
        fills=int(fills),
        cancels=int(cancels),
        filled_orders=int(filled_orders),
        cancel_reasons=tuple(Count(str(reason), int(n)) for reason, n in reasons),
    )


def _histogram(con: duckdb.DuckDBPyConnection) -> tuple[Bucket, ...]:
    edges = list(HISTOGRAM_EDGES_MS)
    highs: list[int | None] = [*edges[1:], None]
    filters = [
        f"count(*) FILTER (WHERE life_ms >= {low}" + (f" AND life_ms < {high})" if high is not None else ")")
        for low, high in zip(edges, highs, strict=True)
    ]
    row = con.execute(f"SELECT {', '.join(filters)} FROM orders WHERE end_ts IS NOT NULL").fetchone()
    counts = row or (0,) * len(edges)
    labels = [
        f"{_EDGE_LABELS[i]} – {_EDGE_LABELS[i + 1]}" if i + 1 < len(edges) else f"≥ {_EDGE_LABELS[i]}"
        for i in range(len(edges))
    ]
    return tuple(
        Bucket(label, low, high, int(n))
        for label, low, high, n in zip(labels, edges, highs, counts, strict=True)
    )


def lifetimes(con: duckdb.DuckDBPyConnection) -> Lifetimes:
    """Needs `build_orders` first."""
    row = con.execute(
        """
        SELECT count(*), count(end_ts), count(*) FILTER (WHERE ended_by = 'cancel'),
            count(*) FILTER (WHERE ended_by = 'fill'),
            min(life_ms), quantile_cont(life_ms, [0.5, 0.9, 0.99]), max(life_ms), avg(life_ms)
        FROM orders
        """
    ).fetchone()
    assert row is not None
    orders, ended, cancelled, filled, low, quantiles, high, mean = row
    p50, p90, p99 = (float(q) for q in quantiles) if quantiles else (None, None, None)
    return Lifetimes(
        orders=int(orders),
        ended=int(ended),
        cancelled=int(cancelled),
        filled=int(filled),
        still_open=int(orders) - int(ended),
        min_ms=int(low) if low is not None else None,
        p50_ms=p50,
        p90_ms=p90,
        p99_ms=p99,
        max_ms=int(high) if high is not None else None,
        mean_ms=float(mean) if mean is not None else None,
        histogram=_histogram(con) if ended else (),
    )


def resting_margin6(con: duckdb.DuckDBPyConnection, width_ms: int) -> dict[str, list[tuple[int, int]]]:
    """Per order book, (bucket end, margin6 resting then) at every bucket where it changed.
    Needs `build_orders` first."""
    rows = con.execute(
        f"""
        WITH events AS (
            SELECT order_book, placed_ts AS ts, margin6 AS delta FROM orders WHERE margin6 IS NOT NULL
            UNION ALL
            SELECT order_book, end_ts, -margin6 FROM orders WHERE margin6 IS NOT NULL AND end_ts IS NOT NULL
        ), per_bucket AS (
            SELECT order_book, ts // {width_ms} AS bucket, sum(delta) AS delta FROM events GROUP BY ALL
        )
        SELECT order_book, bucket, sum(delta) OVER (PARTITION BY order_book ORDER BY bucket)
        FROM per_bucket ORDER BY order_book, bucket
        """
    ).fetchall()
    series: dict[str, list[tuple[int, int]]] = {}
    for order_book, bucket, total in rows:
        series.setdefault(order_book, []).append((bucket_end(int(bucket) * width_ms, width_ms), int(total)))
    return series
