"""Building journal lines in the original tool's shape, with exact numbers.

Human values (`price`, `amount`, `estMarginRequired`) are written as the shortest JSON number of
the exact decimal, so the original tool can still read them; the exact integers ride along as
decimal strings (`price6`, `amount18`, `margin6`) so nothing is ever lost to float rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ama_tui.core.models import ActionKind, ActionLogLine
from ama_tui.core.units import amount_human, price_human, to_json_number, usdc_human


def price_fields(price6: int) -> dict[str, Any]:
    return {"price": to_json_number(price_human(price6)), "price6": str(price6)}


def amount_fields(amount18: int) -> dict[str, Any]:
    return {"amount": to_json_number(amount_human(amount18)), "amount18": str(amount18)}


def margin_fields(margin6: int) -> dict[str, Any]:
    return {"estMarginRequired": to_json_number(usdc_human(margin6)), "margin6": str(margin6)}


@dataclass(frozen=True, slots=True)
class JournalContext:
    """What every line of this run repeats."""

    run_id: str
    chain_id: int
    order_book: str
    market_id_bytes32: str

    def line(
        self,
        action: ActionKind | str,
        *,
        ts_ms: int,
        trader: str = "unknown",
        nickname: str | None = None,
        params: Mapping[str, Any] | None = None,
        tx_hash: str | None = None,
        error: str | None = None,
    ) -> ActionLogLine:
        return ActionLogLine(
            ts=ts_ms,
            run_id=self.run_id,
            chain_id=self.chain_id,
            order_book=self.order_book,
            market_id_bytes32=self.market_id_bytes32,
            trader=trader,
            nickname=nickname,
            role="MAKER" if nickname is not None else None,
            action=str(action),
            params=dict(params) if params is not None else None,
            tx_hash=tx_hash,
            error=error,
        )
