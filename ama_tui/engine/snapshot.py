"""What the engine publishes once per cycle: immutable, so the UI thread can read it freely."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ama_tui.core.market import OpenOrder
from ama_tui.core.models import ActionLogLine, PackerParams, RunConfig
from ama_tui.core.units import format_usdc6
from ama_tui.venues.base import BookSnapshot, Fill, MarketInfo


class EngineState(StrEnum):
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"


@dataclass(frozen=True, slots=True)
class WalletView:
    index: int
    nickname: str
    address: str
    open_buys: int
    open_sells: int
    available6: int
    cap6: int
    reserved6: int
    utilization_bps: int
    """reserved / cap in basis points (0 when the cap is 0)."""
    position18: int
    realized_pnl6: int
    unrealized_pnl6: int
    session_expiry: int | None
    last_action_at: int | None
    """Unix ms, as the journal's `ts`."""
    last_error: str | None
    orders: tuple[OpenOrder, ...] = ()
    last_error_age_s: float | None = None
    """How long ago `last_error` happened (None with no error)."""
    balances_known: bool = True
    """False until the venue's collateral has been read for this wallet (its 0s mean "not yet")."""
    skip_reason: str | None = None
    """Why the wallet is not placing what it wants (None when it is)."""
    needs_session: bool = True
    """False on a venue that trades without sessions: no session is nothing to warn of."""
    errors: int = 0
    """Errors this wallet had in the run so far (the last one is `last_error` until it recovers)."""

    @property
    def pnl6(self) -> int:
        return self.realized_pnl6 + self.unrealized_pnl6


@dataclass(frozen=True, slots=True)
class CycleStats:
    cycle: int
    duration_ms: float
    venue_calls: int
    placed: int
    cancelled: int
    fills: int
    errors: int
    skipped: int = 0
    """Placements wanted but not made (every reason)."""


@dataclass(frozen=True, slots=True)
class FillTotals:
    """What our wallets' fills add up to since this process started the run (the dashboard's
    totals strip)."""

    fills: int = 0
    volume18: int = 0
    """Base amount traded, both sides together."""
    notional6: int = 0
    """USDC value traded (price × amount of each fill)."""
    maker: int = 0
    taker: int = 0
    """Fills whose role the venue did not say count in neither."""
    fees6: int | None = None
    """usdc6 paid in fees by the fills whose fee the venue said; None while no fill's fee is known."""

    def add(self, fill: Fill) -> FillTotals:
        fees6 = self.fees6 if fill.fee6 is None else (self.fees6 or 0) + fill.fee6
        return FillTotals(
            fills=self.fills + 1,
            volume18=self.volume18 + fill.amount18,
            notional6=self.notional6 + fill.price6 * fill.amount18 // 10**18,
            maker=self.maker + (fill.is_maker is True),
            taker=self.taker + (fill.is_maker is False),
            fees6=fees6,
        )


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    run_id: str
    state: EngineState
    market: MarketInfo
    book: BookSnapshot | None
    wallets: tuple[WalletView, ...]
    journal_tail: tuple[ActionLogLine, ...]
    recent_fills: tuple[Fill, ...]
    last_cycle: CycleStats | None
    totals: CycleStats
    """Totals since the run (this process) started; `cycle` is the number of cycles."""
    consecutive_failed_cycles: int
    config: RunConfig
    packer: PackerParams
    started_at: float
    """Unix seconds (venue clock) when this process started the run."""
    now: float
    dry_run: bool = False
    stop_reason: str | None = None
    notices: tuple[str, ...] = field(default_factory=tuple)
    floor_ticks: int = 0
    """The safety floor in force: ticks every order keeps from the anchor and the other side."""
    sigma6: float | None = None
    """The mid's measured volatility, price6 per square-root second."""
    latency_s: float = 0.0
    """The relay round trip the floor assumes."""
    skips_by_reason: tuple[tuple[str, int], ...] = ()
    concurrency_limit: int = 1
    """How many trades the fleet may have in flight now (adapts to the relay)."""
    relay_p50_s: float | None = None
    """Median relay round trip of the recent trades (None before any)."""
    relay_p95_s: float | None = None
    fill_totals: FillTotals | None = None
    """The run's fills added up (None: not counted by whoever built this snapshot)."""
    strategy: str = "packer"
    """The strategy the run uses (a file's path behind `file:`)."""
    cancel_progress: tuple[tuple[str, int, int], ...] = ()
    """While (and once) cancel-all runs: (wallet nickname, orders cancelled, orders it had)."""


def relay_text(snapshot: EngineSnapshot) -> str:
    """`relay 820/1900 ms ≤12` (or `relay 1.2/3.4 s ≤12` once slower than a second): the relay's
    median and 95th-percentile round trip, and how many trades the fleet may have in flight now
    (the adaptive limit)."""
    p50, p95 = snapshot.relay_p50_s, snapshot.relay_p95_s
    if p50 is None or p95 is None:
        times = "–"
    elif p95 < 1.0:
        times = f"{p50 * 1000:.0f}/{p95 * 1000:.0f} ms"
    else:
        times = f"{p50:.1f}/{p95:.1f} s"
    return f"relay {times} ≤{snapshot.concurrency_limit}"


def run_summary_text(snapshot: EngineSnapshot, state_folder: object | None = None) -> str:
    """A few lines for the terminal once the dashboard has closed: what the run did and where its
    state is (nothing secret: no key, no session id)."""
    totals = snapshot.totals
    pnl6 = sum(w.pnl6 for w in snapshot.wallets)
    realized6 = sum(w.realized_pnl6 for w in snapshot.wallets)
    sign = "+" if pnl6 > 0 else "-" if pnl6 < 0 else ""
    rsign = "+" if realized6 > 0 else "-" if realized6 < 0 else ""
    lines = [
        f"ama-tui: run {snapshot.run_id} on {snapshot.market.symbol}: {totals.cycle} cycles, "
        f"{totals.placed} placed, {totals.cancelled} cancelled, {totals.fills} fills, "
        f"PnL {sign}{format_usdc6(abs(pnl6))} USDC (realized {rsign}{format_usdc6(abs(realized6))})",
    ]
    if snapshot.stop_reason:
        lines.append(f"stopped: {snapshot.stop_reason}")
    if state_folder is not None:
        lines.append(f"state: {state_folder}")
    return "\n".join(lines)
