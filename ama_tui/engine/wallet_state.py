"""What the engine remembers about one wallet between cycles (engine thread only)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ama_tui.core.market import InFlightPlacement, OpenOrder
from ama_tui.core.pnl import PositionBook
from ama_tui.engine.sessions import SessionState
from ama_tui.store import WalletEntry
from ama_tui.venues.base import NO_SESSION


@dataclass(slots=True)
class WalletRuntime:
    index: int
    entry: WalletEntry
    session: SessionState | None = None
    needs_session: bool = True
    """False on a venue without sessions (`venues.base.SessionVenue`): it trades with none."""
    last_action_at: int | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    """Venue time of `last_error`; both are cleared once the wallet trades cleanly again."""
    error_count: int = 0
    """Errors noted for this wallet in this process's run (the journal has each one in full)."""
    skip_reason: str | None = None
    """Why the wallet's last wanted placement was not made (cleared when a plan places everything)."""
    session_failures: int = 0
    session_retry_at: float = 0.0
    trade_failures: int = 0
    trade_retry_at: float = 0.0
    """Venue time before which this wallet places nothing after relay failures of its own (its
    cancels still go: the cap must hold). One wallet's hiccups never slow the fleet."""
    """Venue time before which a failed session creation is not tried again (backoff, Retry-After)."""
    orders: tuple[OpenOrder, ...] = ()
    available6: int = 0
    cap6: int = 0
    reserved6: int = 0
    position: PositionBook = field(default_factory=PositionBook)
    balances_known: bool = False
    """Its collateral has been read at least once (before that, its 0s mean "not yet")."""
    position_known: bool = False
    """True once the venue's position has seeded `position` (then fills keep it current)."""
    initial_equity6: int | None = None
    cancelled_ids: dict[int, float] = field(default_factory=dict)
    """Orders we cancelled (venue time the cancel was answered), so their disappearance is not
    mistaken for a fill, and one still resting (its cancel not mined yet) is not cancelled again."""
    in_flight: tuple[InFlightPlacement, ...] = ()
    """Placements the venue sent that may still land (see `venues.base.InFlightReader`)."""
    unexplained18: int = 0
    """Volume that left our orders without a matching fill (reconciliation balance)."""
    unexplained_cycles: int = 0

    def note_error(self, error: str, at: float) -> None:
        self.last_error, self.last_error_at = error, at
        self.error_count += 1

    def clear_error(self) -> None:
        """The wallet recovered (a trade or a session went through): the error is history (the
        journal keeps it)."""
        self.last_error = self.last_error_at = None

    @property
    def trade_session_id(self) -> str | None:
        """What its trades are sent with: its session's id (`NO_SESSION` where the venue has no
        sessions); None while it has no session, so it cannot trade."""
        if not self.needs_session:
            return NO_SESSION
        return self.session.session_id if self.session is not None else None

    @property
    def address(self) -> str:
        return self.entry.address

    @property
    def key(self) -> str:
        return self.entry.address.lower()
