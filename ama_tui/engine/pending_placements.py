"""Placements the venue accepted before they were mined: followed until their order id is known.

The production trade route answers `{txHash, pending: true}` and never an order id (reference
section 7). The PLACE_LIMIT line is written at once (marked `pending`), so a kill loses nothing;
this tracker then asks the venue, once per cycle and for all of them in one batched read, what
became of each transaction, and journals the answer: PLACE_MINED with the order id when it landed,
an ERROR when it reverted, an ERROR when it was still not mined after `give_up_s`. While a
placement is pending the venue itself refuses a second one at that side and price (its in-doubt
guard), so nothing here re-places anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from ama_tui.core.market import BookTop
from ama_tui.core.models import ActionKind, ActionLogLine
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.venues.base import PlacementResolver, PlacementState, VenueError

GIVE_UP_S: Final = 600.0
"""A placement not mined after this long is no longer watched (the node dropped it, most likely;
if it lands later, the next start's journal check finds the order and journals it)."""


@dataclass(slots=True)
class _Sent:
    wallet: WalletRuntime
    params: dict[str, Any]
    decided: BookTop
    sent_top: BookTop | None
    since_s: float


LineMaker = Callable[..., ActionLogLine]
"""`line(action, trader=..., nickname=..., params=..., error=..., tx_hash=...)`."""


class PendingPlacements:
    def __init__(self, give_up_s: float = GIVE_UP_S) -> None:
        self.give_up_s = give_up_s
        self._sent: dict[str, _Sent] = {}

    def __len__(self) -> int:
        return len(self._sent)

    def add(
        self,
        tx_hash: str,
        wallet: WalletRuntime,
        params: dict[str, Any],
        decided: BookTop,
        sent_top: BookTop | None,
        now_s: float,
    ) -> None:
        clean = {k: v for k, v in params.items() if k != "pending"}
        self._sent[tx_hash] = _Sent(wallet, clean, decided, sent_top, now_s)

    def resolve(
        self, venue: object, order_book: str, now_s: float, line: LineMaker
    ) -> tuple[list[ActionLogLine], list[tuple[int, BookTop, BookTop | None]]]:
        """Journal lines for the placements settled since the last call, and (order id, top at
        decision, top at send) of those that landed (a taker fill of theirs is explained by it).
        A venue that cannot tell (or a failed read) leaves them pending."""
        if not self._sent or not isinstance(venue, PlacementResolver):
            return [], []
        try:
            outcomes = venue.placement_outcomes(
                order_book, [(tx, sent.wallet.address) for tx, sent in self._sent.items()]
            )
        except VenueError:
            return [], []
        lines: list[ActionLogLine] = []
        landed: list[tuple[int, BookTop, BookTop | None]] = []
        for tx_hash, sent in list(self._sent.items()):
            outcome = outcomes.get(tx_hash)
            state = outcome.state if outcome is not None else PlacementState.PENDING
            who = {"trader": sent.wallet.address, "nickname": sent.wallet.entry.nickname}
            what = f"{'buy' if sent.params.get('isBuy') else 'sell'} level {sent.params.get('level', '?')}"
            if state is PlacementState.LANDED and outcome is not None:
                params = {**sent.params, "placeTx": tx_hash}
                if outcome.order_id is not None:
                    params["orderId"] = str(outcome.order_id)
                    landed.append((outcome.order_id, sent.decided, sent.sent_top))
                lines.append(line(ActionKind.PLACE_MINED, params=params, tx_hash=tx_hash, **who))
            elif state is PlacementState.REVERTED:
                error = f"place {what} reverted on chain: nothing was placed"
                sent.wallet.note_error(error, now_s)
                lines.append(line(ActionKind.ERROR, error=error, tx_hash=tx_hash, **who))
            elif now_s - sent.since_s >= self.give_up_s:
                error = f"place {what} not mined after {self.give_up_s:.0f} s; no longer watched"
                lines.append(line(ActionKind.ERROR, error=error, tx_hash=tx_hash, **who))
            else:
                continue
            del self._sent[tx_hash]
        return lines, landed
