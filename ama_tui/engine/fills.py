"""Fills of our wallets: journaled from the venue's feed, checked against the orders that shrank.

The feed is the truth for what executed. Reconciliation compares it with what left our orders
between two reads (shrunk or vanished orders we did not cancel); volume that stays unexplained
for several cycles is journaled as a warning, because an order that disappears without a fill
or a cancel of ours is something a user must hear about.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final

from ama_tui.core.market import OpenOrder
from ama_tui.core.models import ActionKind, ActionLogLine
from ama_tui.core.units import to_json_number, usdc_human
from ama_tui.engine.journaling import JournalContext, amount_fields, price_fields
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.venues.base import Fill

UNEXPLAINED_CYCLES: Final = 3
"""A feed may lag the order reads by a cycle or two; only a persistent gap is reported."""


class FillLedger:
    def __init__(self, keep: int) -> None:
        self._recent: deque[Fill] = deque(maxlen=keep)
        self._seen: set[str] = set()
        self._filled_since_read: dict[str, int] = {}
        self.total = 0

    def recent(self) -> tuple[Fill, ...]:
        """Newest first."""
        return tuple(reversed(self._recent))

    def record(
        self,
        fills: Iterable[Fill],
        wallets: Sequence[WalletRuntime],
        context: JournalContext,
        now_ms: Callable[[], int],
        taker_context: Callable[[int], Mapping[str, str] | None] = lambda order_id: None,
    ) -> list[ActionLogLine]:
        """New fills of our wallets as FILL lines; updates positions and realized PnL. A fill of
        ours that took liquidity carries why: the tops its order was decided on and sent against."""
        by_address = {w.key: w for w in wallets}
        lines: list[ActionLogLine] = []
        for fill in fills:
            wallet = by_address.get(fill.trader.lower())
            if wallet is None or fill.fill_id in self._seen:
                continue
            self._seen.add(fill.fill_id)
            self._recent.append(fill)
            self.total += 1
            wallet.position = wallet.position.apply_fill(fill.is_buy, fill.price6, fill.amount18)
            self._filled_since_read[wallet.key] = self._filled_since_read.get(wallet.key, 0) + fill.amount18
            params = {
                "isBuy": fill.is_buy,
                "side": "BUY" if fill.is_buy else "SELL",
                **price_fields(fill.price6),
                **amount_fields(fill.amount18),
                "fillId": fill.fill_id,
                "counterparty": fill.counterparty,
            }
            if fill.order_id is not None:
                params["orderId"] = str(fill.order_id)
            if fill.is_maker is not None:
                params["isMaker"] = fill.is_maker
            if fill.fee6 is not None:
                params["fee"] = to_json_number(usdc_human(fill.fee6))
                params["fee6"] = str(fill.fee6)
            if fill.is_maker is False and fill.order_id is not None:
                params.update(taker_context(fill.order_id) or {"takerWhy": "order not placed by this run"})
            lines.append(
                context.line(
                    ActionKind.FILL,
                    ts_ms=now_ms(),
                    trader=wallet.address,
                    nickname=wallet.entry.nickname,
                    params=params,
                    tx_hash=fill.tx_hash,
                )
            )
        return lines

    def reconcile(
        self,
        wallet: WalletRuntime,
        current: tuple[OpenOrder, ...],
        context: JournalContext,
        now_ms: Callable[[], int],
        journal: Callable[[list[ActionLogLine]], None],
    ) -> None:
        """Compare what left the wallet's orders since the last read with the fills seen."""
        now_by_id = {o.order_id: o for o in current}
        left18 = 0
        for order in wallet.orders:
            still = now_by_id.get(order.order_id)
            if still is None:
                if order.order_id not in wallet.cancelled_ids:
                    left18 += order.amount18
            elif still.amount18 < order.amount18:
                left18 += order.amount18 - still.amount18
        wallet.cancelled_ids = {k: v for k, v in wallet.cancelled_ids.items() if k in now_by_id}
        filled = self._filled_since_read.pop(wallet.key, 0)
        wallet.unexplained18 = max(0, wallet.unexplained18 + left18 - filled)
        if wallet.unexplained18 == 0:
            wallet.unexplained_cycles = 0
            return
        wallet.unexplained_cycles += 1
        if wallet.unexplained_cycles >= UNEXPLAINED_CYCLES:
            journal(
                [
                    context.line(
                        ActionKind.ERROR,
                        ts_ms=now_ms(),
                        trader=wallet.address,
                        nickname=wallet.entry.nickname,
                        error=f"reconcile: {wallet.unexplained18} amount18 left our orders without a fill "
                        "or a cancel of ours",
                    )
                ]
            )
            wallet.unexplained18 = 0
            wallet.unexplained_cycles = 0
