"""Hand-made engine snapshots: only what the notification events read differs between them."""

from __future__ import annotations

from ama_tui.core.models import PackerParams, RunConfig
from ama_tui.engine.snapshot import CycleStats, EngineSnapshot, EngineState, WalletView
from ama_tui.venues.base import MarketInfo

RUN_ID = "run-0001"
MARKET = MarketInfo(
    symbol="ETH-USD",
    order_book="0x" + "11" * 20,
    market_id_bytes32="0x" + "22" * 32,
    chain_id=31337,
    tick6=10_000,
    margin_bps=1_000,
    vault="0x" + "33" * 20,
)


def wallet(
    index: int,
    *,
    last_error: str | None = None,
    error_age_s: float | None = None,
    utilization_bps: int = 5_000,
    session_expiry: int | None = 2_000_000_000,
) -> WalletView:
    cap6 = 100_000_000
    return WalletView(
        index=index,
        nickname=f"w{index}",
        address="0x" + f"{index:040x}",
        open_buys=3,
        open_sells=3,
        available6=500_000_000,
        cap6=cap6,
        reserved6=cap6 * utilization_bps // 10_000,
        utilization_bps=utilization_bps,
        position18=0,
        realized_pnl6=1_250_000,
        unrealized_pnl6=0,
        session_expiry=session_expiry,
        last_action_at=None,
        last_error=last_error,
        last_error_age_s=error_age_s if last_error else None,
    )


def snapshot(
    *,
    now: float = 1_000.0,
    state: EngineState = EngineState.RUNNING,
    errors: int = 0,
    cycle: int = 1,
    wallets: tuple[WalletView, ...] = (),
    stop_reason: str | None = None,
    run_id: str = RUN_ID,
    dry_run: bool = False,
) -> EngineSnapshot:
    totals = CycleStats(
        cycle=cycle, duration_ms=0.0, venue_calls=0, placed=12, cancelled=4, fills=2, errors=errors
    )
    return EngineSnapshot(
        run_id=run_id,
        state=state,
        market=MARKET,
        book=None,
        wallets=wallets or (wallet(0), wallet(1)),
        journal_tail=(),
        recent_fills=(),
        last_cycle=None,
        totals=totals,
        consecutive_failed_cycles=0,
        config=RunConfig(),
        packer=PackerParams(),
        started_at=900.0,
        now=now,
        dry_run=dry_run,
        stop_reason=stop_reason,
    )
