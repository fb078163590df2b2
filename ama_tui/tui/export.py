"""`w` on the dashboard: what the panels show now — fills, open orders, wallets — as three CSV
files in a folder next to the market's state folder (`<state folder>-export-<UTC time>`).

Numbers are plain decimals (no thousands separators) at the exchange's precision, times are UTC
ISO 8601 from the snapshot (venue time). Nothing secret is written: addresses are public, and no
key or session id is in a snapshot.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from ama_tui.core.units import amount_human, price_human, usdc_human
from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.widgets.orders_table import CANCELLING, RESTING, distance_ticks, wallet_order_rows

FILES: Final = ("fills.csv", "orders.csv", "wallets.csv")


def iso_utc(unix_seconds: float) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_folder(state_folder: Path, now: float) -> Path:
    """`<state folder>-export-20260102-000005`, beside the state folder (a second export within
    the same second gets `-2`, `-3`, ...)."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d-%H%M%S")
    base = state_folder.with_name(f"{state_folder.name}-export-{stamp}")
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


def _bool(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def fill_rows(snapshot: EngineSnapshot) -> list[list[object]]:
    names = {w.address.lower(): w.nickname for w in snapshot.wallets}
    rows: list[list[object]] = []
    for fill in snapshot.recent_fills:
        rows.append(
            [
                iso_utc(fill.timestamp),
                names.get(fill.trader.lower(), ""),
                fill.trader,
                "BUY" if fill.is_buy else "SELL",
                price_human(fill.price6),
                amount_human(fill.amount18),
                usdc_human(fill.price6 * fill.amount18 // 10**18),
                _bool(fill.is_maker),
                "" if fill.fee6 is None else usdc_human(fill.fee6),
                "" if fill.order_id is None else fill.order_id,
                fill.fill_id,
                fill.tx_hash or "",
            ]
        )
    return rows


FILL_HEADER: Final = (
    "time_utc",
    "wallet",
    "address",
    "side",
    "price",
    "amount",
    "notional_usdc",
    "maker",
    "fee_usdc",
    "order_id",
    "fill_id",
    "tx_hash",
)
ORDER_HEADER: Final = (
    "wallet",
    "address",
    "order_id",
    "side",
    "price",
    "size",
    "ticks_from_top",
    "level",
    "placed_utc",
    "age_s",
    "status",
)
WALLET_HEADER: Final = (
    "wallet",
    "address",
    "open_buys",
    "open_sells",
    "utilization_pct",
    "position",
    "pnl_usdc",
    "realized_usdc",
    "unrealized_usdc",
    "available_usdc",
    "reserved_usdc",
    "cap_usdc",
    "session_expires_utc",
    "skip_reason",
    "last_error",
)


def order_rows(snapshot: EngineSnapshot, cancelling: Collection[int] = ()) -> list[list[object]]:
    top = snapshot.book.top if snapshot.book is not None else None
    tick6 = snapshot.market.tick6
    rows: list[list[object]] = []
    for wallet in snapshot.wallets:
        for row in wallet_order_rows(wallet):
            distance = distance_ticks(row, top, tick6)
            rows.append(
                [
                    row.nickname,
                    row.trader,
                    row.order_id,
                    row.side,
                    price_human(row.price6),
                    amount_human(row.amount18),
                    "" if distance is None else distance,
                    row.level,
                    iso_utc(row.placed_at),
                    max(0, int(snapshot.now - row.placed_at)),
                    CANCELLING if row.order_id in cancelling else RESTING,
                ]
            )
    return rows


def wallet_rows(snapshot: EngineSnapshot) -> list[list[object]]:
    rows: list[list[object]] = []
    for w in snapshot.wallets:
        known = w.balances_known
        rows.append(
            [
                w.nickname,
                w.address,
                w.open_buys,
                w.open_sells,
                f"{w.utilization_bps / 100:.2f}" if known else "",
                amount_human(w.position18),
                usdc_human(w.pnl6),
                usdc_human(w.realized_pnl6),
                usdc_human(w.unrealized_pnl6),
                usdc_human(w.available6) if known else "",
                usdc_human(w.reserved6) if known else "",
                usdc_human(w.cap6) if known else "",
                "" if w.session_expiry is None else iso_utc(w.session_expiry),
                w.skip_reason or "",
                w.last_error or "",
            ]
        )
    return rows


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_exports(snapshot: EngineSnapshot, state_folder: Path, cancelling: Collection[int] = ()) -> Path:
    """Write the three files; returns their folder (raises OSError when it cannot)."""
    folder = export_folder(state_folder, snapshot.now)
    folder.mkdir(parents=True)
    _write(folder / "fills.csv", FILL_HEADER, fill_rows(snapshot))
    _write(folder / "orders.csv", ORDER_HEADER, order_rows(snapshot, cancelling))
    _write(folder / "wallets.csv", WALLET_HEADER, wallet_rows(snapshot))
    return folder
