"""The report as titled tables of text: what both the terminal and the Markdown renderers draw."""

from __future__ import annotations

from dataclasses import dataclass

from ama_tui.analytics.model import Count, Report
from ama_tui.analytics.text_format import duration, fixed, money, ratio, size, utc_time
from ama_tui.analytics.timespec import Window

SESSION_EVENTS_SHOWN = 12
RUNS_SHOWN = 20


@dataclass(frozen=True)
class Section:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    right: tuple[bool, ...] = ()
    """Per column: align right (numbers)."""
    note: str = ""
    """A sentence under the title (e.g. why the table is empty)."""


def _counts(title: str, what: str, counts: tuple[Count, ...], empty: str) -> Section:
    rows = tuple((c.key, f"{c.count:,}") for c in counts)
    return Section(title, (what, "count"), rows, (False, True), "" if rows else empty)


def _window(window: Window) -> str:
    if window == Window():
        return "all lines"
    return f"{utc_time(window.since_ms) if window.since_ms is not None else 'start'} to " + (
        utc_time(window.until_ms) if window.until_ms is not None else "end"
    )


def overview(report: Report) -> Section:
    rows = [
        ("journals", f"{len(report.files):,}"),
        ("lines read", f"{report.lines_read:,}"),
        ("malformed lines (skipped)", f"{report.malformed:,}"),
        ("window", _window(report.window)),
        ("lines in the window", f"{report.lines:,}"),
        ("first line", utc_time(report.first_ms)),
        ("last line", utc_time(report.last_ms)),
    ]
    return Section("Overview", ("", ""), tuple(rows), (False, False))


def orders(report: Report) -> Section:
    o = report.orders
    reasons = ", ".join(f"{c.key} {c.count:,}" for c in o.cancel_reasons) or "–"
    rows = [
        ("placements", f"{o.placements:,}"),
        ("fills", f"{o.fills:,}"),
        ("fill rate (fills / placements)", ratio(o.fill_rate)),
        ("orders with a fill", f"{o.filled_orders:,}"),
        ("cancels", f"{o.cancels:,}"),
        ("churn (cancels / placements)", ratio(o.churn)),
        ("cancel reasons", reasons),
    ]
    note = "no fills recorded" if o.fills == 0 else ""
    return Section("Orders", ("", ""), tuple(rows), (False, True), note)


def lifetimes(report: Report) -> Section:
    life = report.lifetimes
    if life.orders == 0:
        return Section(
            "Order lifetimes", (), (), note="no placement names its order id: lifetimes unavailable"
        )
    rows = [
        ("orders (placements with an id)", f"{life.orders:,}"),
        ("ended: cancelled / filled", f"{life.cancelled:,} / {life.filled:,}"),
        ("still open", f"{life.still_open:,}"),
        ("min", duration(life.min_ms)),
        ("p50", duration(life.p50_ms)),
        ("p90", duration(life.p90_ms)),
        ("p99", duration(life.p99_ms)),
        ("max", duration(life.max_ms)),
        ("mean", duration(life.mean_ms)),
    ]
    return Section("Order lifetimes (placement to cancel or full fill)", ("", ""), tuple(rows), (False, True))


def histogram(report: Report) -> Section:
    buckets = report.lifetimes.histogram
    if not buckets:
        return Section("Lifetime histogram", (), (), note="no order has ended")
    peak = max(b.count for b in buckets) or 1
    rows = tuple((b.label, f"{b.count:,}", "█" * round(24 * b.count / peak)) for b in buckets)
    return Section("Lifetime histogram", ("lifetime", "orders", ""), rows, (False, True, False))


def maker_taker(report: Report) -> Section:
    m = report.maker_taker
    if m.maker_fills + m.taker_fills + m.unknown_fills == 0:
        return Section("Maker / taker", (), (), note="no fills recorded")
    rows = [
        ("maker", f"{m.maker_fills:,}", size(m.maker_volume)),
        ("taker", f"{m.taker_fills:,}", size(m.taker_volume)),
        ("not said", f"{m.unknown_fills:,}", size(m.unknown_volume)),
    ]
    return Section("Maker / taker", ("side", "fills", "volume (base)"), tuple(rows), (False, True, True))


def markets(report: Report) -> Section:
    rows = tuple(
        (
            m.label,
            f"{m.lines:,}",
            f"{m.placements:,}",
            f"{m.fills:,}",
            f"{m.cancels:,}",
            f"{m.errors:,}",
            size(m.position) if m.fills else "–",
            fixed(m.last_price, 6) if m.last_price is not None else "–",
            money(m.realized_pnl) if m.fills else "–",
            money(m.total_pnl) if m.fills else "–",
        )
        for m in report.markets
    )
    headers = (
        "market",
        "lines",
        "placed",
        "fills",
        "cancels",
        "errors",
        "position",
        "last fill",
        "realized",
        "PnL",
    )
    return Section("Markets (PnL in USDC, marked to the last fill)", headers, rows, (False, *([True] * 9)))


def runs(report: Report) -> Section:
    shown = report.runs[-RUNS_SHOWN:]
    rows = tuple(
        (
            r.run_id,
            utc_time(r.first_ms),
            duration(r.last_ms - r.first_ms),
            f"{r.lines:,}",
            f"{r.placements:,}",
            f"{r.fills:,}",
            f"{r.errors:,}",
            r.stop_reason or "–",
        )
        for r in shown
    )
    note = f"the last {RUNS_SHOWN} of {len(report.runs)}" if len(report.runs) > RUNS_SHOWN else ""
    headers = ("run", "started", "lasted", "lines", "placed", "fills", "errors", "stopped")
    return Section("Runs", headers, rows, (False, False, True, True, True, True, True, False), note)


def sessions(report: Report) -> list[Section]:
    counts = _counts("Session history", "event", report.session_counts, "no session or run lines")
    shown = report.sessions[-SESSION_EVENTS_SHOWN:]
    events = Section(
        f"Latest session and run events ({len(shown)})",
        ("time", "event", "wallet", "detail"),
        tuple((utc_time(e.ts_ms), e.action, e.wallet, e.detail) for e in shown),
    )
    return [counts, events] if shown else [counts]


def all_sections(report: Report) -> list[Section]:
    return [
        overview(report),
        orders(report),
        lifetimes(report),
        histogram(report),
        maker_taker(report),
        markets(report),
        _counts("Errors by code", "code", report.errors_by_code, "no errors recorded"),
        _counts("Errors by wallet", "wallet", report.errors_by_wallet, "no errors recorded"),
        *sessions(report),
        runs(report),
    ]
