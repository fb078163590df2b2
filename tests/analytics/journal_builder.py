"""Small hand-written journals for the analytics tests, in the state folder's layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RUN = "11111111-2222-3333-4444-555555555555"
CHAIN = 1337001
BOOK = "0x883Ab90A60713CEB9337AbB3aCe03d6898C95589"
ALICE = "0xAAAA000000000000000000000000000000000001"
BOB = "0xBBBB000000000000000000000000000000000002"
T0 = 1_767_225_600_000  # 2026-01-01 00:00:00 UTC
E18 = 10**18


def line(
    ts: int,
    action: str,
    *,
    trader: str | None = ALICE,
    nickname: str | None = "Alice",
    params: dict[str, Any] | None = None,
    tx: str | None = None,
    error: str | None = None,
    run: str = RUN,
    book: str = BOOK,
) -> str:
    record: dict[str, Any] = {"ts": T0 + ts, "runId": run, "chainId": CHAIN, "orderBook": book}
    record["trader"] = trader or "unknown"
    if nickname:
        record["nickname"] = nickname
        record["role"] = "MAKER"
    record["action"] = action
    if params is not None:
        record["params"] = params
    if tx is not None:
        record["txHash"] = tx
    if error is not None:
        record["error"] = error
    return json.dumps(record, separators=(",", ":"))


def place(
    ts: int, order_id: int | None, is_buy: bool, price6: int, amount18: int, margin6: int, **kw: Any
) -> str:
    params: dict[str, Any] = {
        "isBuy": is_buy,
        "price": price6 / 1e6,
        "price6": str(price6),
        "amount": amount18 / E18,
        "amount18": str(amount18),
        "estMarginRequired": margin6 / 1e6,
        "margin6": str(margin6),
        "level": 0,
    }
    if order_id is None:
        params["pending"] = True
    else:
        params["orderId"] = str(order_id)
    return line(ts, "PLACE_LIMIT", params=params, tx=kw.pop("tx", f"0x{ts:064x}"), **kw)


def fill(
    ts: int, order_id: int, is_buy: bool, price6: int, amount18: int, *, maker: bool | None, **kw: Any
) -> str:
    params: dict[str, Any] = {
        "isBuy": is_buy,
        "side": "BUY" if is_buy else "SELL",
        "price": price6 / 1e6,
        "price6": str(price6),
        "amount": amount18 / E18,
        "amount18": str(amount18),
        "fillId": f"f{ts}",
        "orderId": str(order_id),
    }
    if maker is not None:
        params["isMaker"] = maker
    return line(ts, "FILL", params=params, tx=f"0xf{ts:063x}", **kw)


def cancel(ts: int, order_id: int, *, action: str = "CANCEL_ORDER", **kw: Any) -> str:
    params = {"orderId": str(order_id), "isBuy": True, "reason": kw.pop("reason", "out-of-band")}
    return line(ts, action, params=params, tx=f"0xc{ts:063x}", **kw)


def market_folder(state: Path, book: str = BOOK, chain: int = CHAIN, symbol: str | None = None) -> Path:
    folder = state / str(chain) / book.lower()
    folder.mkdir(parents=True, exist_ok=True)
    if symbol is not None:
        checkpoint = {"market": {"symbol": symbol}, "chainId": chain, "orderBook": book}
        (folder / "checkpoint.json").write_text(json.dumps(checkpoint), encoding="utf-8")
    return folder


def write_journal(state: Path, lines: list[str], **kw: Any) -> Path:
    path = market_folder(state, **kw) / "actions.jsonl"
    path.write_text("".join(text + "\n" for text in lines), encoding="utf-8")
    return path
