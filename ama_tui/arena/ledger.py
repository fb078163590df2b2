"""A run's journal read back as fills, trades and orders, in integers (price6, amount18, usdc6).

A *trade* is a fill that reduces a wallet's position: it realizes PnL against the wallet's
average entry (`core.pnl.PositionBook`, the engine's own arithmetic) and wins when that is
positive. Fees come from the arena's fee model (bps of each fill's notional, maker or taker);
the embedded exchange itself charges none."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ama_tui.core.models import CANCEL_ACTIONS, ActionLogLine
from ama_tui.core.pnl import PositionBook
from ama_tui.core.units import AMOUNT_SCALE

BPS = 10_000


@dataclass(frozen=True, slots=True)
class FillRow:
    ts_ms: int
    wallet: str
    is_buy: bool
    price6: int
    amount18: int
    order_id: int | None
    is_maker: bool | None
    fee6: int

    @property
    def notional6(self) -> int:
        return self.price6 * self.amount18 // AMOUNT_SCALE


@dataclass(frozen=True, slots=True)
class TradeRow:
    ts_ms: int
    wallet: str
    is_buy: bool
    """The closing fill's side (a sell closes a long)."""
    price6: int
    closed18: int
    entry6: int
    pnl6: int
    """Realized by this fill, before fees."""


@dataclass(slots=True)
class OrderLife:
    order_id: int
    placed_ms: int
    amount18: int
    filled18: int = 0
    ended_ms: int | None = None
    end: str = "open"
    """open, filled or cancelled."""


@dataclass
class Ledger:
    fills: list[FillRow] = field(default_factory=list)
    orders: dict[int, OrderLife] = field(default_factory=dict)
    placements: int = 0
    market_orders: int = 0
    cancels: int = 0
    errors: int = 0
    skips: int = 0
    unusable_fills: int = 0
    fill_ids: set[str] = field(default_factory=set)
    """The journal's fill ids (to find the exchange's fills it has not journaled yet)."""
    unjournaled_fills: int = 0
    """Fills the exchange made that the journal had not recorded when the run stopped."""


def fee6(notional6: int, bps: int) -> int:
    """bps of a notional, rounded toward zero (a negative bps is a rebate)."""
    magnitude = abs(notional6 * bps) // BPS
    return magnitude if bps >= 0 else -magnitude


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def read_ledger(lines: Iterable[ActionLogLine], *, maker_fee_bps: int = 0, taker_fee_bps: int = 0) -> Ledger:
    ledger = Ledger()
    pending: dict[str, tuple[int, int]] = {}
    """txHash -> (placed ms, amount18) of a placement answered without an order id."""
    for line in lines:
        params = line.params or {}
        action = line.action
        if action == "PLACE_LIMIT":
            ledger.placements += 1
            order_id, amount18 = _int(params.get("orderId")), _int(params.get("amount18")) or 0
            if order_id is not None:
                ledger.orders.setdefault(order_id, OrderLife(order_id, line.ts, amount18))
            elif line.tx_hash:
                pending[line.tx_hash] = (line.ts, amount18)
        elif action == "PLACE_MINED":
            order_id = _int(params.get("orderId"))
            placed = pending.pop(str(params.get("placeTx") or line.tx_hash or ""), None)
            if order_id is not None and placed is not None:
                ledger.orders.setdefault(order_id, OrderLife(order_id, placed[0], placed[1]))
        elif action == "PLACE_MARKET":
            ledger.market_orders += 1
        elif action in CANCEL_ACTIONS:
            ledger.cancels += 1
            order = ledger.orders.get(_int(params.get("orderId")) or -1)
            if order is not None and order.ended_ms is None:
                order.ended_ms, order.end = line.ts, "cancelled"
        elif action == "ERROR":
            ledger.errors += 1
        elif action == "SKIP":
            ledger.skips += 1
        elif action == "FILL":
            _add_fill(ledger, line, maker_fee_bps, taker_fee_bps)
    return ledger


def _add_fill(ledger: Ledger, line: ActionLogLine, maker_fee_bps: int, taker_fee_bps: int) -> None:
    params = line.params or {}
    price6, amount18, is_buy = _int(params.get("price6")), _int(params.get("amount18")), params.get("isBuy")
    if not price6 or not amount18 or price6 <= 0 or amount18 <= 0 or not isinstance(is_buy, bool):
        ledger.unusable_fills += 1
        return
    is_maker = params.get("isMaker")
    fill_id = params.get("fillId")
    if isinstance(fill_id, str):
        ledger.fill_ids.add(fill_id)
    book_fill(
        ledger,
        ts_ms=line.ts,
        wallet=line.nickname or line.trader,
        is_buy=is_buy,
        price6=price6,
        amount18=amount18,
        order_id=_int(params.get("orderId")),
        is_maker=is_maker if isinstance(is_maker, bool) else None,
        maker_fee_bps=maker_fee_bps,
        taker_fee_bps=taker_fee_bps,
    )


def book_fill(
    ledger: Ledger,
    *,
    ts_ms: int,
    wallet: str,
    is_buy: bool,
    price6: int,
    amount18: int,
    order_id: int | None,
    is_maker: bool | None,
    maker_fee_bps: int,
    taker_fee_bps: int,
) -> None:
    """Add a fill to the ledger (with its fee) and to its order's filled size."""
    notional6 = price6 * amount18 // AMOUNT_SCALE
    fill = FillRow(
        ts_ms=ts_ms,
        wallet=wallet,
        is_buy=is_buy,
        price6=price6,
        amount18=amount18,
        order_id=order_id,
        is_maker=is_maker,
        fee6=fee6(notional6, taker_fee_bps if is_maker is False else maker_fee_bps),
    )
    ledger.fills.append(fill)
    order = ledger.orders.get(order_id) if order_id is not None else None
    if order is not None:
        order.filled18 += amount18
        if order.ended_ms is None and order.amount18 and order.filled18 >= order.amount18:
            order.ended_ms, order.end = ts_ms, "filled"


def fills_in_time_order(fills: Iterable[FillRow]) -> list[FillRow]:
    """Stable by time: fills of one instant keep their journal order."""
    return sorted(fills, key=lambda fill: fill.ts_ms)


def trades_of(fills: Iterable[FillRow]) -> list[TradeRow]:
    """Every fill that reduced its wallet's position, with the PnL it realized."""
    books: dict[str, PositionBook] = {}
    trades: list[TradeRow] = []
    for fill in fills_in_time_order(fills):
        before = books.get(fill.wallet, PositionBook())
        after = before.apply_fill(fill.is_buy, fill.price6, fill.amount18)
        books[fill.wallet] = after
        reducing = before.size18 != 0 and (before.size18 > 0) != fill.is_buy
        if reducing:
            trades.append(
                TradeRow(
                    ts_ms=fill.ts_ms,
                    wallet=fill.wallet,
                    is_buy=fill.is_buy,
                    price6=fill.price6,
                    closed18=min(abs(before.size18), fill.amount18),
                    entry6=before.entry6,
                    pnl6=after.realized6 - before.realized6,
                )
            )
    return trades
