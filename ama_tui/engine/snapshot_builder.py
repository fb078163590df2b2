"""Building the immutable snapshot the engine publishes (`engine.snapshot`) from its live state:
one wallet row per wallet, marked at the book's mark, and the run's figures beside them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ama_tui.core.models import ActionLogLine
from ama_tui.engine.fills import FillLedger
from ama_tui.engine.live_params import ParamsView
from ama_tui.engine.safety_floor import SafetyFloor
from ama_tui.engine.skips import SkipLog
from ama_tui.engine.snapshot import CycleStats, EngineSnapshot, EngineState, WalletView
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.venues.base import BookSnapshot, MarketInfo


def mark6_of(book: BookSnapshot | None) -> int:
    """The price positions are valued at: the mark, else the last trade, else the mid (0: no book)."""
    if book is None:
        return 0
    top = book.top
    return top.mark6 or top.traded6 or top.mid6


def wallet_view(wallet: WalletRuntime, mark6: int, now: float) -> WalletView:
    w = wallet
    return WalletView(
        index=w.index,
        nickname=w.entry.nickname,
        address=w.address,
        open_buys=sum(1 for o in w.orders if o.is_buy),
        open_sells=sum(1 for o in w.orders if not o.is_buy),
        available6=w.available6,
        cap6=w.cap6,
        reserved6=w.reserved6,
        utilization_bps=(w.reserved6 * 10_000 // w.cap6) if w.cap6 > 0 else 0,
        position18=w.position.size18,
        realized_pnl6=w.position.realized6,
        unrealized_pnl6=w.position.unrealized6(mark6),
        session_expiry=w.session.expiry if w.session else None,
        last_action_at=w.last_action_at,
        last_error=w.last_error,
        last_error_age_s=None if w.last_error_at is None else max(0.0, now - w.last_error_at),
        balances_known=w.balances_known,
        orders=w.orders,
        skip_reason=w.skip_reason,
        needs_session=w.needs_session,
        errors=w.error_count,
    )


def build_snapshot(
    *,
    run_id: str,
    state: EngineState,
    market: MarketInfo,
    book: BookSnapshot | None,
    wallets: Sequence[WalletRuntime],
    journal_tail: Iterable[ActionLogLine],
    fills: FillLedger,
    last_cycle: CycleStats | None,
    totals: CycleStats,
    consecutive_failed_cycles: int,
    params: ParamsView,
    started_at: float,
    now: float,
    dry_run: bool,
    stop_reason: str | None,
    notices: Iterable[str],
    safety: SafetyFloor,
    skips: SkipLog,
    concurrency_limit: int,
    strategy: str,
    cancel_progress: Mapping[int, Sequence[int]],
) -> EngineSnapshot:
    """`cancel_progress`: per wallet index, (cancelled, orders it had) while cancel-all runs."""
    mark6 = mark6_of(book)
    return EngineSnapshot(
        run_id=run_id,
        state=state,
        market=market,
        book=book,
        wallets=tuple(wallet_view(w, mark6, now) for w in wallets),
        journal_tail=tuple(journal_tail),
        recent_fills=fills.recent(),
        last_cycle=last_cycle,
        totals=totals,
        consecutive_failed_cycles=consecutive_failed_cycles,
        config=params.config,
        packer=params.packer,
        started_at=started_at,
        now=now,
        dry_run=dry_run,
        stop_reason=stop_reason,
        notices=tuple(notices),
        floor_ticks=safety.floor_ticks,
        sigma6=safety.sigma6,
        latency_s=safety.latency.estimate_s(),
        skips_by_reason=tuple(sorted(skips.totals.items())),
        concurrency_limit=concurrency_limit,
        relay_p50_s=safety.latency.quantile_s(0.5),
        relay_p95_s=safety.latency.quantile_s(0.95),
        strategy=strategy,
        cancel_progress=tuple(
            (wallets[index].entry.nickname, done, of)
            for index, (done, of) in sorted(cancel_progress.items())
            if of
        ),
    )
