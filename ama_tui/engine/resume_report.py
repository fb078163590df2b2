"""What a resumed run found and what it had to renew, said once after its first read.

A relaunch that says nothing leaves a trader guessing why the first cycle places fewer orders
(some rest from before), why positions are not zero, or why sessions were opened again. The
report counts the orders and positions the exchange holds for the fleet, and compares each
wallet's session with the one found on disk: still valid, opened again (the exchange no longer
knew it, or it had expired), or opened for a wallet that had none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ama_tui.core.market import OpenOrder
from ama_tui.engine.wallet_state import WalletRuntime


@dataclass(frozen=True, slots=True)
class ResumeFindings:
    orders: int
    wallets_with_orders: int
    positions: int
    """Wallets holding a position (non-zero size)."""
    sessions_kept: int
    sessions_renewed: int
    sessions_new: int
    """Opened for wallets that had no session on disk."""
    sessions_missing: int
    """Wallets left with no session for now (their creation failed; retried with backoff)."""
    strategy: str | None
    with_sessions: bool = True
    """False on a venue that trades without sessions: nothing to say of them."""

    def message(self) -> str:
        def count(n: int, one: str, many: str | None = None) -> str:
            return f"{n} {one if n == 1 else (many or one + 's')}"

        found = (
            f"found {count(self.orders, 'order')} resting"
            + (f" ({count(self.wallets_with_orders, 'wallet')})" if self.orders else "")
            + f", {count(self.positions, 'open position')}"
        )
        sessions = [f"{self.sessions_kept} still valid"]
        if self.sessions_renewed:
            sessions.append(f"{self.sessions_renewed} opened again (expired or unknown to the exchange)")
        if self.sessions_new:
            sessions.append(f"{self.sessions_new} opened for wallets that had none")
        if self.sessions_missing:
            sessions.append(f"{self.sessions_missing} not open yet (retrying)")
        said = f"; sessions: {', '.join(sessions)}" if self.with_sessions else ""
        strategy = f"; strategy {self.strategy}" if self.strategy else ""
        return f"resumed: {found}{said}{strategy}"

    def params(self) -> dict[str, object]:
        return {
            "orders": self.orders,
            "walletsWithOrders": self.wallets_with_orders,
            "positions": self.positions,
            "sessionsKept": self.sessions_kept,
            "sessionsRenewed": self.sessions_renewed,
            "sessionsNew": self.sessions_new,
            "sessionsMissing": self.sessions_missing,
            **({"strategy": self.strategy} if self.strategy else {}),
            "message": self.message(),
        }


def stored_sessions(wallets: Sequence[WalletRuntime]) -> dict[str, str | None]:
    """Each wallet's session id as found on disk (before the run touches them)."""
    return {w.address.lower(): (w.session.session_id if w.session is not None else None) for w in wallets}


def resume_findings(
    wallets: Sequence[WalletRuntime],
    stored: Mapping[str, str | None],
    orders: Mapping[str, Sequence[OpenOrder]],
    *,
    strategy: str | None,
) -> ResumeFindings:
    """After the run's first read: `orders` as read, the wallets' positions seeded, `stored` from
    `stored_sessions` at the start."""
    kept = renewed = new = missing = 0
    with_sessions = any(stored.values()) or any(w.session is not None for w in wallets)
    for wallet in wallets if with_sessions else ():
        before = stored.get(wallet.address.lower())
        now = wallet.session.session_id if wallet.session is not None else None
        if now is None:
            missing += 1
        elif before is None:
            new += 1
        elif now == before:
            kept += 1
        else:
            renewed += 1
    held = [len(orders.get(w.address, ())) for w in wallets]
    return ResumeFindings(
        orders=sum(held),
        wallets_with_orders=sum(1 for n in held if n),
        positions=sum(1 for w in wallets if w.position.size18 != 0),
        sessions_kept=kept,
        sessions_renewed=renewed,
        sessions_new=new,
        sessions_missing=missing,
        strategy=strategy,
        with_sessions=with_sessions,
    )
