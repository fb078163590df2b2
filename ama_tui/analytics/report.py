"""`build_report`: every figure of the journal report, from a list of journal files."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import duckdb

from ama_tui.analytics import activity, duck
from ama_tui.analytics.buckets import bucket_width_ms
from ama_tui.analytics.journal_cache import REPORT_LOCK_WAIT_S, JournalCache
from ama_tui.analytics.load import load_journals
from ama_tui.analytics.model import MakerTaker, MarketRow, MarketSeries, Point, Report
from ama_tui.analytics.orders import build_orders, lifetimes, order_figures, resting_margin6
from ama_tui.analytics.positions import UNUSABLE, MarketBooks, PnlPoint, fill_rows, pnl_series
from ama_tui.analytics.timespec import Window
from ama_tui.core.units import amount_human, price_human, usdc_human

ALL_TIME = Window()


def _import_numpy_meanwhile() -> None:
    """numpy (a tenth of a second to import) is needed only to fetch the fills, after the parse:
    imported on a thread while DuckDB parses (without the GIL), it is off the report's path."""
    threading.Thread(target=importlib.import_module, args=("numpy",), daemon=True).start()


def _maker_taker(con: duckdb.DuckDBPyConnection) -> tuple[MakerTaker, int]:
    """The maker / taker split and how many fills are unusable for positions (one pass over fills)."""
    rows = con.execute(
        f"""
        SELECT is_maker, count(*), coalesce(sum(amount18), 0), count(*) FILTER (WHERE {UNUSABLE})
        FROM journal WHERE action = 'FILL' GROUP BY is_maker
        """
    ).fetchall()
    by = {maker: (int(n), amount_human(int(volume))) for maker, n, volume, _ in rows}
    zero = (0, Decimal(0))
    split = MakerTaker(
        maker_fills=by.get(True, zero)[0],
        taker_fills=by.get(False, zero)[0],
        unknown_fills=by.get(None, zero)[0],
        maker_volume=by.get(True, zero)[1],
        taker_volume=by.get(False, zero)[1],
        unknown_volume=by.get(None, zero)[1],
    )
    return split, sum(int(unusable) for *_, unusable in rows)


def _series(
    order_book: str,
    label: str,
    margin: list[tuple[int, int]],
    pnl: list[PnlPoint],
) -> MarketSeries:
    return MarketSeries(
        order_book=order_book,
        label=label,
        resting_margin=tuple(Point(ts, usdc_human(m)) for ts, m in margin),
        position=tuple(Point(p.ts_ms, amount_human(p.size18)) for p in pnl),
        realized_pnl=tuple(Point(p.ts_ms, usdc_human(p.realized6)) for p in pnl),
        total_pnl=tuple(Point(p.ts_ms, usdc_human(p.total6)) for p in pnl),
    )


def _notes(report_parts: dict[str, int], window: Window) -> tuple[str, ...]:
    notes: list[str] = []
    if report_parts["malformed"]:
        notes.append(f"{report_parts['malformed']} malformed line(s) counted and skipped")
    if report_parts["lines"] == 0:
        notes.append("no journal lines in the window" if window != Window() else "no journal lines")
        return tuple(notes)
    if report_parts["placements"] == 0:
        notes.append("no placements recorded: fill rate and churn are not defined")
    if report_parts["fills"] == 0:
        notes.append(
            "no fills recorded (the original tool's journals have none): no PnL, positions "
            "or maker/taker split"
        )
    if report_parts["placements"] and report_parts["orders"] == 0:
        notes.append(
            "no placement names its order id (the original tool's journals do not): order "
            "lifetimes and resting margin cannot be measured"
        )
    if report_parts["unusable_fills"]:
        notes.append(
            f"{report_parts['unusable_fills']} fill line(s) without side, price or size left out of PnL"
        )
    if window != Window():
        notes.append("only the lines inside the window count: positions and PnL start flat at its start")
    return tuple(notes)


def build_report(
    paths: Sequence[Path],
    window: Window = ALL_TIME,
    labels: Mapping[str, str] | None = None,
    *,
    cache_dir: Path | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    on_file: Callable[[int], None] | None = None,
    cache: JournalCache | None = None,
) -> Report:
    """The report over `paths` (journal files), restricted to `window`. `labels` names markets
    by lower-case order book (e.g. their symbols). With `cache_dir`, journals parsed by an earlier
    report are read from there and only what they gained since is parsed (`journal_cache`).
    `on_file`: told which file is being read (`load_journals`). `cache`: the cache to use instead
    of one over `cache_dir` (the command's defers building tables from nothing)."""
    labels = labels or {}
    own = con is None
    db = duck.connect() if con is None else con
    try:
        if cache is None and cache_dir is not None:
            cache = JournalCache(cache_dir, lock_wait_s=REPORT_LOCK_WAIT_S)
        _import_numpy_meanwhile()
        files = load_journals(paths, window, db, cache, on_file)
        activity.count_lines(db)
        lines, first_ms, last_ms = activity.span(db)
        width = bucket_width_ms(first_ms, last_ms)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-pnl") as pool:
            # Positions and PnL are a Python loop over the fills: it runs on the other core while
            # DuckDB (which lets go of the GIL) works out the rest.
            pnl_work = pool.submit(pnl_series, fill_rows(db), width)
            build_orders(db)
            orders = order_figures(db)
            life = lifetimes(db)
            margin = resting_margin6(db, width)
            errors_by_code, errors_by_wallet = activity.errors(db)
            session_counts, session_events = activity.sessions(db)
            per_market = activity.market_counts(db)
            actions = activity.action_counts(db)
            maker_taker, unusable = _maker_taker(db)
            runs = activity.runs(db)
            pnl = pnl_work.result()
        markets: list[MarketRow] = []
        series: list[MarketSeries] = []
        for chain_id, book, n, placed, filled, cancelled, failed in per_market:
            label = labels.get(book, book)
            points, books = pnl.get(book, ([], MarketBooks()))
            last = points[-1] if points else PnlPoint(0, 0, 0, 0)
            markets.append(
                MarketRow(
                    chain_id=chain_id,
                    order_book=book,
                    label=label,
                    lines=n,
                    placements=placed,
                    fills=filled,
                    cancels=cancelled,
                    errors=failed,
                    position=amount_human(last.size18),
                    realized_pnl=usdc_human(last.realized6),
                    total_pnl=usdc_human(last.total6),
                    last_price=price_human(books.mark6) if books.mark6 else None,
                )
            )
            series.append(_series(book, label, margin.get(book, []), points))
        malformed = sum(f.malformed for f in files)
        notes = _notes(
            {
                "malformed": malformed,
                "lines": lines,
                "placements": orders.placements,
                "fills": orders.fills,
                "orders": life.orders,
                "unusable_fills": unusable,
            },
            window,
        )
        return Report(
            files=tuple(files),
            window=window,
            lines=lines,
            first_ms=first_ms,
            last_ms=last_ms,
            actions=actions,
            orders=orders,
            lifetimes=life,
            maker_taker=maker_taker,
            errors_by_code=errors_by_code,
            errors_by_wallet=errors_by_wallet,
            session_counts=session_counts,
            sessions=session_events,
            runs=runs,
            markets=tuple(markets),
            series=tuple(series),
            bucket_ms=width,
            notes=notes,
        )
    finally:
        if own:
            db.close()
