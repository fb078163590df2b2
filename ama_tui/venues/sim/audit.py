"""What the sim knows about every order's fate, for tests and benchmarks to check the packer against.

A *session trader* is any wallet that opened a session. A *taker fill* is one of their orders that
executed on arrival: a limit order (or a modify's new order) that crossed the spread and matched at
once, or a market order that took anything. The packer must never produce one. A *self match* is a
trade whose maker and taker are both session traders (two wallets of the fleet). One wallet never
trades with itself: the exchange cancels its resting order instead (self-trade prevention, reference
§7), which `self_trade_cancels` counts, since a wallet that crosses itself silently loses its quote.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from ama_tui.venues.sim.plain import as_dict, as_float, as_int, as_list

_COUNTS: Final = (
    "placements", "market_orders", "modifies", "cancels", "taker_fills", "self_matches", "maker_fills",
    "session_trades", "trades", "sessions_created", "relay_failures", "landed_failures",
)  # fmt: skip
_LATER_COUNTS: Final = ("self_trade_cancels",)
"""Counts added after the snapshot format was fixed: a snapshot without them reads them as 0."""


@dataclass(frozen=True, slots=True)
class SimAudit:
    placements: int = 0
    """Limit orders placed by session traders (modifies counted apart)."""
    market_orders: int = 0
    modifies: int = 0
    cancels: int = 0
    rejections: int = 0
    rejections_by_code: tuple[tuple[str, int], ...] = ()
    taker_fills: int = 0
    self_matches: int = 0
    self_trade_cancels: int = 0
    """Resting orders the exchange cancelled because their own trader's incoming order (a placement,
    modify or market order) would have matched them (self-trade prevention)."""
    maker_fills: int = 0
    """Trades in which a session trader's resting order was the maker."""
    session_trades: int = 0
    """Trades with a session trader on at least one side."""
    trades: int = 0
    """Every trade, participants included."""
    sessions_created: int = 0
    relay_failures: int = 0
    landed_failures: int = 0
    """Relay failures reported after the trade had landed."""
    relay_latency_s: float = 0.0
    """Total relay latency drawn (slept on the wall clock, only recorded on the virtual clock)."""
    taker_fill_order_ids: tuple[int, ...] = field(default=())
    """The order ids behind `taker_fills` (the latest 1000)."""


class AuditCounters:
    """The mutable tally behind `SimAudit` (the venue holds its lock while counting)."""

    __slots__ = (
        "_taker_ids",
        "cancels",
        "landed_failures",
        "maker_fills",
        "market_orders",
        "modifies",
        "placements",
        "rejections",
        "relay_failures",
        "relay_latency_s",
        "self_matches",
        "self_trade_cancels",
        "session_trades",
        "sessions_created",
        "taker_fills",
        "trades",
    )

    def __init__(self) -> None:
        self.placements = 0
        self.market_orders = 0
        self.modifies = 0
        self.cancels = 0
        self.rejections: Counter[str] = Counter()
        self.taker_fills = 0
        self.self_matches = 0
        self.self_trade_cancels = 0
        self.maker_fills = 0
        self.session_trades = 0
        self.trades = 0
        self.sessions_created = 0
        self.relay_failures = 0
        self.landed_failures = 0
        self.relay_latency_s = 0.0
        self._taker_ids: list[int] = []

    def taker_fill(self, order_id: int) -> None:
        self.taker_fills += 1
        self._taker_ids.append(order_id)
        if len(self._taker_ids) > 1000:
            del self._taker_ids[:-1000]

    def snapshot(self) -> SimAudit:
        return SimAudit(
            placements=self.placements,
            market_orders=self.market_orders,
            modifies=self.modifies,
            cancels=self.cancels,
            rejections=sum(self.rejections.values()),
            rejections_by_code=tuple(sorted(self.rejections.items())),
            taker_fills=self.taker_fills,
            self_matches=self.self_matches,
            self_trade_cancels=self.self_trade_cancels,
            maker_fills=self.maker_fills,
            session_trades=self.session_trades,
            trades=self.trades,
            sessions_created=self.sessions_created,
            relay_failures=self.relay_failures,
            landed_failures=self.landed_failures,
            relay_latency_s=self.relay_latency_s,
            taker_fill_order_ids=tuple(self._taker_ids),
        )

    def to_plain(self) -> dict[str, Any]:
        counts = {name: getattr(self, name) for name in (*_COUNTS, *_LATER_COUNTS)}
        return {
            **counts,
            "rejections": dict(self.rejections),
            "relay_latency_s": self.relay_latency_s,
            "taker_fill_order_ids": list(self._taker_ids),
        }

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> AuditCounters:
        counters = cls()
        for name in _COUNTS:
            setattr(counters, name, as_int(data[name], minimum=0))
        for name in _LATER_COUNTS:
            setattr(counters, name, as_int(data.get(name, 0), minimum=0))
        counters.rejections = Counter(
            {str(code): as_int(count, minimum=0) for code, count in as_dict(data["rejections"]).items()}
        )
        counters.relay_latency_s = as_float(data["relay_latency_s"])
        counters._taker_ids = [as_int(order_id) for order_id in as_list(data["taker_fill_order_ids"])]
        return counters
