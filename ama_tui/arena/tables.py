"""fills.csv and trades.csv: one row per fill, one per trade (a fill that reduced a position),
with plain decimals and UTC times."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ama_tui.arena.ledger import FillRow, TradeRow
from ama_tui.core.units import amount_human, price_human, usdc_human

FILLS_CSV = "fills.csv"
TRADES_CSV = "trades.csv"
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
