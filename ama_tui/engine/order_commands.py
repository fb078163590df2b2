"""What the dashboard asks the engine to do between two cycles: cancel some of our orders (one, or
every order of one wallet) and journal that the user paused or resumed quoting.

The UI thread only puts commands in a `CommandInbox`; the engine thread takes them all at once
after a cycle and carries them out there (`carry_out`), so the journal and the wallets' state have
one writer, as everything else the engine does. A cancel goes through the wallet's session as the
packer's own cancels do, is journaled as a `CANCEL_ORDER` with reason `user`, and is remembered in
the wallet's `cancelled_ids` (its order's disappearance is then not mistaken for a fill). Only an
order the wallet holds as of the last read is cancelled: one filled or cancelled since is left
alone (a `SKIP` line with reason `ORDER_GONE` says so). Nothing is sent in a dry run (a `DRY_RUN`
line says what would have been).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from ama_tui.core.models import ActionKind, ActionLogLine
from ama_tui.engine.journaling import amount_fields, price_fields
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.venues.base import CancelOrder, Venue, VenueError

USER_REASON: Final = "user"
"""The `reason` of a cancel the user asked for (the packer's own say why it moved an order)."""
ORDER_GONE: Final = "ORDER_GONE"
GONE_MESSAGE: Final = "no longer resting (filled or cancelled since the dashboard showed it)"


def order_gone_params(order_id: int, why: str = GONE_MESSAGE) -> dict[str, str]:
    """A `SKIP` line's params for a cancel not needed: its order was already off the book."""
    return {"reason": ORDER_GONE, "message": f"cancel {order_id}: {why}", "orderId": str(order_id)}


NOTE_ACTIONS: Final = frozenset({ActionKind.PAUSE, ActionKind.RESUME})


@dataclass(frozen=True, slots=True)
class CancelOrders:
    """Cancel these orders of one wallet (by address, any case)."""

    trader: str
    order_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class JournalNote:
    """A line to journal for the user (`PAUSE`, `RESUME`)."""

    action: ActionKind


Command = CancelOrders | JournalNote


class CommandInbox:
    """Commands from the UI thread to the engine thread, in the order they were given."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._commands: deque[Command] = deque()

    def put(self, command: Command) -> None:
        if isinstance(command, JournalNote) and command.action not in NOTE_ACTIONS:
            raise ValueError(f"not a note the user may journal: {command.action}")
        with self._lock:
            self._commands.append(command)

    def take(self) -> list[Command]:
        """Every command given so far (then none)."""
        with self._lock:
            taken = list(self._commands)
            self._commands.clear()
        return taken

    def __len__(self) -> int:
        with self._lock:
            return len(self._commands)


@dataclass(slots=True)
class CommandOutcome:
    lines: list[ActionLogLine] = field(default_factory=list)
    cancelled: int = 0
    errors: int = 0


LineMaker = Callable[..., ActionLogLine]
"""`Packer._line`: (action, trader=, nickname=, params=, tx_hash=, error=) -> a journal line."""


def carry_out(
    commands: Iterable[object],
    *,
    venue: Venue,
    order_book: str,
    wallets: Sequence[WalletRuntime],
    line: LineMaker,
    now: Callable[[], float],
    dry_run: bool = False,
) -> CommandOutcome:
    """Carry out `commands` in order (on the engine thread). Returns the journal lines to write,
    how many orders were cancelled and how many cancels failed."""
    out = CommandOutcome()
    by_address = {wallet.address.lower(): wallet for wallet in wallets}
    for command in commands:
        if isinstance(command, JournalNote):
            out.lines.append(line(command.action))
        elif isinstance(command, CancelOrders):
            wallet = by_address.get(command.trader.lower())
            if wallet is not None:
                _cancel(wallet, command.order_ids, venue, order_book, line, now, dry_run, out)
    return out


def _cancel(
    wallet: WalletRuntime,
    order_ids: Sequence[int],
    venue: Venue,
    order_book: str,
    line: LineMaker,
    now: Callable[[], float],
    dry_run: bool,
    out: CommandOutcome,
) -> None:
    held = {order.order_id: order for order in wallet.orders}
    who = {"trader": wallet.address, "nickname": wallet.entry.nickname}
    for order_id in dict.fromkeys(order_ids):
        order = held.get(order_id)
        if order is None or order_id in wallet.cancelled_ids:
            # filled or cancelled since the dashboard showed it: say so (the user asked)
            out.lines.append(line(ActionKind.SKIP, params=order_gone_params(order_id), **who))
            continue
        params = {
            "orderId": str(order_id),
            "isBuy": order.is_buy,
            **price_fields(order.price6),
            **amount_fields(order.amount18),
            "reason": USER_REASON,
        }
        if dry_run:
            would = {"wouldDo": ActionKind.CANCEL_ORDER, **params}
            out.lines.append(line(ActionKind.DRY_RUN, params=would, **who))
            continue
        session_id = wallet.trade_session_id
        if session_id is None:
            out.errors += 1
            out.lines.append(
                line(ActionKind.ERROR, error=f"cancel {order_id} not sent: the wallet has no session", **who)
            )
            continue
        try:
            request = CancelOrder(wallet.address, order_id)
            receipt = venue.submit(order_book, session_id, request)
        except VenueError as exc:
            out.errors += 1
            wallet.note_error(f"cancel {order_id} failed: {exc}", now())
            out.lines.append(line(ActionKind.ERROR, error=f"cancel {order_id} failed: {exc}", **who))
            continue
        wallet.cancelled_ids[order_id] = now()
        out.cancelled += 1
        out.lines.append(line(ActionKind.CANCEL_ORDER, params=params, tx_hash=receipt.tx_hash, **who))
