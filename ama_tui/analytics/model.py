"""The report: frozen dataclasses a renderer or a screen reads. Money and sizes are `Decimal`
(USDC, base units), converted once from the journal's integers; times are unix milliseconds."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ama_tui.analytics.load import FileStats
from ama_tui.analytics.timespec import Window


@dataclass(frozen=True)
class Count:
    key: str
    count: int


@dataclass(frozen=True)
class OrderFigures:
    placements: int
    """PLACE_LIMIT lines (a placement answered pending and mined later is still one)."""
    fills: int
    """FILL lines."""
    cancels: int
    """CANCEL_ORDER lines."""
    filled_orders: int
    """Distinct orders with at least one fill."""
    cancel_reasons: tuple[Count, ...]

    @property
    def fill_rate(self) -> Decimal | None:
        """Fills per placement."""
        return _ratio(self.fills, self.placements)

    @property
    def churn(self) -> Decimal | None:
        """Cancels per placement."""
        return _ratio(self.cancels, self.placements)


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class Bucket:
    label: str
    low_ms: int
    high_ms: int | None
    """Exclusive; None: no upper end."""
    count: int


@dataclass(frozen=True)
class Lifetimes:
    """Placement to the order's end (its cancel, or the fill that completes it), by order id."""

    orders: int
    """Placements that name their order id."""
    ended: int
    cancelled: int
    filled: int
    still_open: int
    """Placed but neither cancelled nor filled in full by the end of the journal (or window)."""
    min_ms: int | None
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: int | None
    mean_ms: float | None
    histogram: tuple[Bucket, ...]


@dataclass(frozen=True)
class Point:
    ts_ms: int
    value: Decimal


@dataclass(frozen=True)
class MarketSeries:
    """One market's figures over time (each point: the value at the end of its time bucket)."""

    order_book: str
    label: str
    resting_margin: tuple[Point, ...]
    """USDC of margin held by our resting orders (placed, not yet cancelled or filled in full)."""
    position: tuple[Point, ...]
    """Net base units over every wallet (buys minus sells)."""
    realized_pnl: tuple[Point, ...]
    total_pnl: tuple[Point, ...]
    """Realized plus the open position marked to the market's last fill price."""


@dataclass(frozen=True)
class MakerTaker:
    maker_fills: int
    taker_fills: int
    unknown_fills: int
    """Fills whose line does not say (`isMaker` missing)."""
    maker_volume: Decimal
    taker_volume: Decimal
    unknown_volume: Decimal
    """Base units."""


@dataclass(frozen=True)
class SessionEvent:
    ts_ms: int
    run_id: str
    action: str
    wallet: str
    detail: str


@dataclass(frozen=True)
class RunRow:
    run_id: str
    first_ms: int
    last_ms: int
    lines: int
    placements: int
    fills: int
    errors: int
    stop_reason: str | None


@dataclass(frozen=True)
class MarketRow:
    chain_id: int
    order_book: str
    label: str
    lines: int
    placements: int
    fills: int
    cancels: int
    errors: int
    position: Decimal
    """Net base units at the end."""
    realized_pnl: Decimal
    total_pnl: Decimal
    """Realized plus unrealized at the market's last fill price (USDC)."""
    last_price: Decimal | None


@dataclass(frozen=True)
class Report:
    files: tuple[FileStats, ...]
    window: Window
    lines: int
    """Valid lines inside the window."""
    first_ms: int | None
    last_ms: int | None
    actions: tuple[Count, ...]
    orders: OrderFigures
    lifetimes: Lifetimes
    maker_taker: MakerTaker
    errors_by_code: tuple[Count, ...]
    errors_by_wallet: tuple[Count, ...]
    session_counts: tuple[Count, ...]
    sessions: tuple[SessionEvent, ...]
    """The most recent session and run events (at most `SESSION_EVENTS_KEPT`)."""
    runs: tuple[RunRow, ...]
    markets: tuple[MarketRow, ...]
    series: tuple[MarketSeries, ...]
    bucket_ms: int
    notes: tuple[str, ...] = field(default=())
    """Plain sentences on what the journals could not tell (no fills, no order ids, ...)."""

    @property
    def malformed(self) -> int:
        return sum(f.malformed for f in self.files)

    @property
    def lines_read(self) -> int:
        return sum(f.lines for f in self.files)
