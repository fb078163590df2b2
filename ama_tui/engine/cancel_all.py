"""Cancel-all: every open order of the fleet cancelled through each wallet's session (best
effort, each cancel journaled), the wallets side by side on the trade pool, the progress counted
per wallet and published at most CANCEL_PROGRESS_EVERY_S (and once at the end).

An order filled (or cancelled) between the read and its cancel is answered `order_not_found`
(reference section 7: market state, skip it). It is off the book, which is what cancel-all wants:
it leaves the wallet's count of orders to cancel, with a `SKIP` line saying so, instead of being
counted as an order still resting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final

from ama_tui.core.market import OpenOrder
from ama_tui.core.models import ActionKind, ActionLogLine
from ama_tui.engine.executor import WalletOutcome
from ama_tui.engine.order_commands import order_gone_params
from ama_tui.engine.session_keeper import LineMaker
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import CancelOrder, TradeRejected, Venue, VenueError

CANCEL_PROGRESS_EVERY_S: Final = 0.2
GONE_CODES: Final = frozenset({ErrorCode.ORDER_NOT_FOUND, ErrorCode.UNKNOWN_ORDER})
"""A cancel refused with one of these found its order already off the book."""
GONE_BEFORE_CANCEL: Final = "already off the book (filled or cancelled since the book was read)"


def cancel_orders(
    orders: Mapping[str, tuple[OpenOrder, ...]],
    wallets: Sequence[WalletRuntime],
    progress: Mapping[int, list[int]],
    *,
    venue: Venue,
    order_book: str,
    line: LineMaker,
    journal: Callable[[Iterable[ActionLogLine]], None],
    run_all: Callable[
        [Callable[[WalletRuntime], WalletOutcome], Sequence[WalletRuntime]], list[WalletOutcome]
    ],
    publish: Callable[[], None],
) -> int:
    """Cancel `orders` (per address, as just read); `progress[index][0]` counts each wallet's
    cancels as they are answered, `progress[index][1]` loses each order found already gone.
    Returns how many were cancelled."""
    lock = threading.Lock()
    last_shown = [0.0]

    def show(force: bool = False) -> None:
        with lock:  # one publisher at a time: the wallets' cancels run on the pool
            now = time.monotonic()
            if not force and now - last_shown[0] < CANCEL_PROGRESS_EVERY_S:
                return
            last_shown[0] = now
            publish()

    def cancel(wallet: WalletRuntime) -> WalletOutcome:
        out = WalletOutcome()
        session_id = wallet.trade_session_id
        if session_id is None:
            return out
        who = {"trader": wallet.address, "nickname": wallet.entry.nickname}
        for order in orders.get(wallet.address, ()):
            try:
                receipt = venue.submit(order_book, session_id, CancelOrder(wallet.address, order.order_id))
            except VenueError as exc:
                if isinstance(exc, TradeRejected) and exc.code in GONE_CODES:
                    with lock:
                        progress[wallet.index][1] -= 1
                    gone = order_gone_params(order.order_id, GONE_BEFORE_CANCEL)
                    out.lines.append(line(ActionKind.SKIP, params=gone, **who))
                    show()
                    continue
                out.errors += 1
                out.lines.append(
                    line(ActionKind.ERROR, error=f"cancel {order.order_id} failed: {exc}", **who)
                )
                continue
            out.cancelled += 1
            wallet.cancelled_ids[order.order_id] = venue.clock.now()  # gone by our hand, not filled
            with lock:
                progress[wallet.index][0] += 1
            params = {"orderId": str(order.order_id), "isBuy": order.is_buy, "reason": "cancel-all"}
            out.lines.append(line(ActionKind.CANCEL_ORDER, params=params, tx_hash=receipt.tx_hash, **who))
            show()
        journal(out.lines)
        return out

    total = sum(o.cancelled for o in run_all(cancel, wallets))
    show(force=True)
    return total
