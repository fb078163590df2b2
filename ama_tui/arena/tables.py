"""fills.csv, trades.csv and equity.csv: one row per fill, one per trade (a fill that reduced a
position), one per sample of the equity curve (what the TUI's Arena screen plots), with plain
decimals and UTC times."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ama_tui.arena.equity import EquityPoint, drawdowns6
from ama_tui.arena.ledger import FillRow, TradeRow
from ama_tui.core.units import amount_human, price_human, usdc_human

FILLS_CSV = "fills.csv"
TRADES_CSV = "trades.csv"
EQUITY_CSV = "equity.csv"
EQUITY_COLUMNS = (
    "time",
    "ts_ms",
    "mid",
    "equity",
    "drawdown",
    "realized",
    "unrealized",
    "fees",
    "position",
    "gross_position",
)
FILLS_COLUMNS = (
    "time",
    "ts_ms",
    "wallet",
    "side",
    "price",
    "amount",
    "notional",
    "order_id",
    "liquidity",
    "fee",
)


def utc_ms(ts_ms: int) -> str:
    moment = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts_ms % 1000:03d}Z"


def _side(is_buy: bool) -> str:
    return "BUY" if is_buy else "SELL"


def write_fills(path: Path, fills: Sequence[FillRow]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(
            ["time", "ts_ms", "wallet", "side", "price", "amount", "notional", "order_id", "liquidity", "fee"]
        )
        for f in fills:
            liquidity = "maker" if f.is_maker is True else "taker" if f.is_maker is False else ""
            out.writerow(
                [
                    utc_ms(f.ts_ms),
                    f.ts_ms,
                    f.wallet,
                    _side(f.is_buy),
                    price_human(f.price6),
                    amount_human(f.amount18),
                    usdc_human(f.notional6),
                    "" if f.order_id is None else f.order_id,
                    liquidity,
                    usdc_human(f.fee6),
                ]
            )


def write_trades(path: Path, trades: Sequence[TradeRow]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["time", "ts_ms", "wallet", "side", "price", "closed", "entry", "pnl"])
        for t in trades:
            out.writerow(
                [
                    utc_ms(t.ts_ms),
                    t.ts_ms,
                    t.wallet,
                    _side(t.is_buy),
                    price_human(t.price6),
                    amount_human(t.closed18),
                    price_human(t.entry6),
                    usdc_human(t.pnl6),
                ]
            )


def write_equity(path: Path, curve: Sequence[EquityPoint]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(EQUITY_COLUMNS)
        for p, drawdown6 in zip(curve, drawdowns6([p.equity6 for p in curve]), strict=True):
            out.writerow(
                [
                    utc_ms(p.ts_ms),
                    p.ts_ms,
                    price_human(p.mark6),
                    usdc_human(p.equity6),
                    usdc_human(drawdown6),
                    usdc_human(p.realized6),
                    usdc_human(p.unrealized6),
                    usdc_human(p.fees6),
                    f"{amount_human(p.position18):f}",
                    f"{amount_human(p.gross18):f}",
                ]
            )
