"""A tiny in-memory market that answers a sandboxed strategy's calls, and test helpers."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import psutil

from ama_tui.kit import (
    CallArgs,
    MarketData,
    MarketRef,
    Method,
    Order,
    OrderRef,
    OrderRequest,
    OrderStatus,
    Portfolio,
    Position,
    Quote,
)
from ama_tui.sandbox import Limits, Log, SandboxedStrategy

HOSTILE = Path(__file__).parent / "hostile"
FAKE_KEY = "0x" + "5eed" * 16
"""A private key that must never show up in anything the sandbox returns."""
FAST = Limits(call_timeout=5.0)
"""Generous per-call time for a loaded CI machine; tests of the time limit set their own."""


def tick(index: int, mid: Decimal | str = "100") -> MarketData:
    mid = Decimal(mid)
    half = Decimal("0.5")
    return MarketData(1_700_000_000_000 + index * 1000, mid - half, mid + half, mid, mid)


def write_strategy(folder: Path, source: str, name: str = "strategy_file.py") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def assert_gone(sandbox: SandboxedStrategy) -> None:
    """Neither the process we started nor the worker it forked is left, not even as a zombie."""
    for pid in {sandbox.pid, sandbox.worker_pid}:
        assert pid is not None
        assert not psutil.pid_exists(pid), f"process {pid} is still there"


class FakeMarket:
    """Market orders fill at once at the mid; limit orders rest until cancelled."""

    def __init__(self, market: str = "ETH-USD", mid: str = "100", balance: str = "1000") -> None:
        self.market = market
        self.mid = Decimal(mid)
        self.balance = Decimal(balance)
        self.size = Decimal(0)
        self.entry: Decimal | None = None
        self.orders: dict[str, Order] = {}
        self.statuses: dict[str, str] = {}
        self.calls: list[tuple[Method, CallArgs]] = []

    def _check(self, market: str) -> None:
        if market != self.market:
            raise ValueError(f"unknown market {market}")

    def answer(self, method: Method, args: CallArgs) -> object:
        self.calls.append((method, args))
        if isinstance(args, OrderRequest):
            self._check(args.market)
            order_id = f"o{len(self.orders) + 1}"
            filled = args.amount if args.order_type == "market" else Decimal(0)
            self.orders[order_id] = Order(
                order_id, args.market, args.side, args.order_type, args.amount, filled, args.limit_price
            )
            self.statuses[order_id] = "filled" if filled else "open"
            if filled:
                self.size += filled if args.side == "buy" else -filled
                self.entry = self.mid if self.size else None
            return order_id
        if isinstance(args, OrderRef):
            status = self.statuses.get(args.order_id, "unknown")
            if method == "cancel":
                if status != "open":
                    return False
                self.statuses[args.order_id] = "cancelled"
                return True
            order = self.orders.get(args.order_id)
            return OrderStatus(status, order.filled if order else Decimal(0))  # type: ignore[arg-type]
        if isinstance(args, MarketRef):
            self._check(args.market)
            if method == "get_current_price":
                return Quote(
                    success=True,
                    price=self.mid,
                    bid=self.mid - 1,
                    ask=self.mid + 1,
                    timestamp=1_700_000_000_000,
                )
            if method == "get_position":
                return Position(args.market, self.size, self.entry)
            return [order for oid, order in self.orders.items() if self.statuses[oid] == "open"]
        if method == "get_available_balance":
            return self.balance
        return Portfolio(
            self.balance, self.balance + self.size * self.mid, (Position(self.market, self.size),)
        )


def run_hostile(
    name: str,
    params: dict[str, object],
    limits: Limits = FAST,
    scratch: Path | None = None,
    market: FakeMarket | None = None,
) -> tuple[SandboxedStrategy, list[str]]:
    """Start `hostile/<name>.py`, feed it one tick and close it; the sandbox and its log lines.

    A StrategyStopped propagates (the sandbox is stopped and reaped first)."""
    market = market or FakeMarket()
    with SandboxedStrategy(limits, scratch_dir=scratch) as sandbox:
        try:
            sandbox.start("ETH-USD", params, HOSTILE / f"{name}.py", market.answer)
            events = sandbox.on_tick(tick(0), market.answer)
            sandbox.close(market.answer)
        finally:
            sandbox.stop()
            assert_gone(sandbox)
    return sandbox, [event.message for event in events if isinstance(event, Log)]
