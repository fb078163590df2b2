"""A run over several markets keeps one session per wallet for all of them: the first market's
`SessionKeeper` opens and renews it (its permit lists every market of the run), and each other
market follows it here.

A following market never opens a session itself. Before its cycle it asks the lead's keeper to
create what is missing (a no-op when nothing is), then takes the lead's sessions: a new one is
journaled in its own journal too (SESSION_INIT, `sharedWith` the lead market) and saved in its own
checkpoint, so each market's state folder resumes on its own. When one of its trades finds the
session gone, the lead's copy is dropped as well, and the lead's keeper replaces it for every
market at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ama_tui.core.models import ActionKind, ActionLogLine
from ama_tui.engine.session_keeper import LineMaker, SessionKeeper, SessionProgress
from ama_tui.engine.sessions import SessionState
from ama_tui.engine.wallet_state import WalletRuntime


class SharedSessions:
    """The follower's side; it stands where a market's own `SessionKeeper` would."""

    def __init__(
        self,
        *,
        lead: SessionKeeper,
        lead_wallets: Sequence[WalletRuntime],
        lead_market: str,
        wallets: Sequence[WalletRuntime],
        journal: Callable[[Iterable[ActionLogLine]], None],
        line: LineMaker,
        persist: Callable[[WalletRuntime | None], None],
    ) -> None:
        """`lead_market`: the lead's order book (journaled as `sharedWith`); `persist` as for
        `SessionKeeper`."""
        self._lead = lead
        self._lead_wallets = {w.key: w for w in lead_wallets}
        self._lead_market = lead_market
        self._wallets = wallets
        self._journal = journal
        self._line = line
        self._persist = persist
        self._given: dict[str, SessionState] = {}
        """Per wallet, the lead's session this market took last (to tell a lost one)."""

    @property
    def in_flight(self) -> int:
        return self._lead.in_flight

    def ensure(self, progress: Callable[[SessionProgress], None] | None = None) -> int:
        """Have the lead open what is missing, then take its sessions; returns the lead's failures."""
        for wallet in self._wallets:
            lead = self._lead_wallets.get(wallet.key)
            given = self._given.get(wallet.key)
            if lead is not None and wallet.session is None and given is not None and lead.session == given:
                lead.session = None  # this market's trade found it gone: renew it for every market
        failures = self._lead.ensure(progress)
        lines: list[ActionLogLine] = []
        for wallet in self._wallets:
            lead = self._lead_wallets.get(wallet.key)
            if lead is None or lead.session is None:
                continue
            if lead.session == wallet.session:
                self._given[wallet.key] = lead.session
                continue
            wallet.session = self._given[wallet.key] = lead.session
            wallet.session_failures, wallet.session_retry_at = 0, 0.0
            scope = {"allowedMarkets": list(lead.session.markets)} if lead.session.markets else {}
            lines.append(
                self._line(
                    ActionKind.SESSION_INIT,
                    trader=wallet.address,
                    nickname=wallet.entry.nickname,
                    params={
                        "expiry": lead.session.expiry,
                        "sessionId": lead.session.session_id,
                        "sharedWith": self._lead_market,
                        **scope,
                    },
                )
            )
        if lines:
            self._journal(lines)
            self._persist(None)
        return failures
