"""Hand-made journal lines for the arena's figure tests."""

from __future__ import annotations

from typing import Any

from ama_tui.core.models import ActionLogLine

START_MS = 1_767_225_600_000


def line(action: str, ts_s: float, wallet: str = "W1", **params: Any) -> ActionLogLine:
    return ActionLogLine.model_validate(
        {
            "ts": START_MS + round(ts_s * 1000),
            "runId": "test",
            "chainId": 1,
            "orderBook": "0xbook",
            "trader": "0x" + wallet.encode().hex().ljust(40, "0"),
            "nickname": wallet,
            "action": action,
            "params": params or None,
        }
    )


def place(
    ts_s: float, order_id: int, amount: int, *, wallet: str = "W1", is_buy: bool = True
) -> ActionLogLine:
    return line("PLACE_LIMIT", ts_s, wallet, orderId=str(order_id), amount18=str(amount), isBuy=is_buy)


def fill(
    ts_s: float,
    is_buy: bool,
    price: int,
    amount: int,
    *,
    order_id: int | None = None,
    wallet: str = "W1",
    maker: bool = True,
) -> ActionLogLine:
    """`price` in whole USDC, `amount` in whole base units."""
    params: dict[str, Any] = {
        "isBuy": is_buy,
        "price6": str(price * 10**6),
        "amount18": str(amount * 10**18),
        "isMaker": maker,
    }
    if order_id is not None:
        params["orderId"] = str(order_id)
    return line("FILL", ts_s, wallet, **params)


def cancel(ts_s: float, order_id: int, *, wallet: str = "W1") -> ActionLogLine:
    return line("CANCEL_ORDER", ts_s, wallet, orderId=str(order_id))
