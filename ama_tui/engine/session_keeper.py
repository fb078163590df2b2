"""The fleet's gasless sessions: created when missing or expiring, never a second one for a wallet
whose session is valid, each on disk the moment it exists.

- A session's id is known before it is sent: a SESSION_PENDING line is fsynced first, so a run
  killed between the venue creating it and the SESSION_INIT line finds it again (the next start
  adopts it when the venue says it is active) instead of opening another.
- At the first call the sessions found on disk are checked with the venue when it can tell
  (`venues.base.SessionChecker`): a dead one is replaced at once, not at the wallet's first trade.
- A failed creation is journaled, counted (the caller's kill switch sees it) and backed off per
  wallet, doubling up to `backoff.BACKOFF_MAX_S` and at least the venue's Retry-After.
- While creations are in flight, `in_flight` is non-zero: the embedded exchange's own state is not
  saved meanwhile, so a saved exchange never holds a session the journal does not.
- A run over several markets (`allowed_markets`) opens one session per wallet for all of them, its
  scope journaled (`allowedMarkets`); a stored session that does not cover them all is replaced.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from ama_tui.core.models import ActionKind, ActionLogLine
from ama_tui.engine.backoff import backoff_delay_s
from ama_tui.engine.executor import WalletOutcome
from ama_tui.engine.sessions import SessionState, needs_session, open_session
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.venues.base import (
    MarketInfo,
    RateLimited,
    RelayerRootHinter,
    SessionChecker,
    SessionDomain,
    SessionVenue,
    VenueError,
)


@dataclass(frozen=True, slots=True)
class SessionProgress:
    done: int
    total: int
    nickname: str
    address: str
    error: str | None


class LineMaker(Protocol):
    def __call__(self, action: ActionKind, **kwargs: object) -> ActionLogLine: ...


class SessionKeeper:
    def __init__(
        self,
        *,
        venue: SessionVenue,
        market: MarketInfo,
        wallets: Sequence[WalletRuntime],
        ttl_s: int,
        pending: Mapping[str, SessionState],
        journal: Callable[[Iterable[ActionLogLine]], None],
        line: LineMaker,
        now_ms: Callable[[], int],
        note_failure: Callable[[VenueError, str], None],
        notices: deque[str],
        persist: Callable[[WalletRuntime | None], None],
        run_all: Callable[[Callable[[WalletRuntime], WalletOutcome], Sequence[WalletRuntime]], object],
        lock: threading.RLock,
    ) -> None:
        """`persist(wallet)` says a wallet's session was created (saved soon, with others), and
        `persist(None)` that the round is over (everything saved now); `run_all` runs a
        function for each wallet on the trade pool; `lock` is the persistence lock (the in-flight
        count changes under it)."""
        self._venue = venue
        self._market = market
        self._wallets = wallets
        self._ttl_s = ttl_s
        self._pending = dict(pending)
        self._journal = journal
        self._line = line
        self._now_ms = now_ms
        self._note_failure = note_failure
        self._notices = notices
        self._persist = persist
        self._run_all = run_all
        self._lock = lock
        self._checked = False
        self._ensure_lock = threading.Lock()
        self.in_flight = 0
        self.allowed_markets: tuple[str, ...] = (market.market_id_bytes32,)
        """The markets each session's permit lists (a multi-market run sets them all)."""

    def ensure(self, progress: Callable[[SessionProgress], None] | None = None) -> int:
        """Create the missing or expiring sessions; returns how many failed. One round at a time:
        in a run over several markets the other markets' cycles, running beside this market's,
        ask for the same sessions (`SharedSessions`); the second caller waits and finds them open."""
        with self._ensure_lock:
            return self._ensure(progress)

    def _ensure(self, progress: Callable[[SessionProgress], None] | None) -> int:
        if not self._checked:
            self._checked = True
            self._check_stored()
        now = self._venue.clock.now()
        todo = [
            w
            for w in self._wallets
            if (needs_session(w.session, now) or not self._covers(w.session)) and now >= w.session_retry_at
        ]
        if not todo:
            return 0
        hint = self._venue.relayer_root_hint() if isinstance(self._venue, RelayerRootHinter) else None
        try:
            domain = self._venue.session_domain()
            root = hint if hint is not None else self._venue.relayer_set_root()
        except VenueError as exc:
            self._note_failure(exc, "session set-up read")
            for wallet in todo:
                self._backoff(wallet, exc)
            return len(todo)
        failures, opened = self._open_round(todo, domain, root, progress)
        if hint is None:
            return failures
        live = self._live_root()
        if live is None or live.lower() == hint.lower():
            return failures
        # the relayer set changed since the last run: no trade may go out on the sessions just
        # opened (the relay would answer session_bad_relayer), and a venue that checks the root
        # at creation refused them; open every one again on the live set, now
        self._drop_stale(opened, hint, len(todo))
        for wallet in todo:
            wallet.session_retry_at = 0.0
        again, _ = self._open_round(todo, domain, live, progress)
        return again

    def _live_root(self) -> str | None:
        """The live relayer-set root, to check a round opened on the remembered one; None when it
        cannot be read (the sessions stay: a stale root only makes trades answer
        session_bad_relayer, which opens a new session)."""
        try:
            return self._venue.relayer_set_root()
        except VenueError as exc:
            self._note_failure(exc, "relayer set read")
            return None

    def _drop_stale(self, wallets: Sequence[WalletRuntime], root: str, count: int) -> None:
        """Forget the sessions just opened on a relayer set that is no longer the relay's."""
        lines = []
        for wallet in wallets:
            wallet.session = None
            lines.append(
                self._line(
                    ActionKind.ERROR,
                    trader=wallet.address,
                    nickname=wallet.entry.nickname,
                    error=f"the relayer set changed since the last run (was {root[:10]}…): "
                    "opening the session again on the current one",
                )
            )
        self._journal(lines)
        self._notices.append(
            f"the relayer set changed since the last run: opening {count} sessions again on the current one"
        )

    def _open_round(
        self,
        todo: Sequence[WalletRuntime],
        domain: SessionDomain,
        root: str,
        progress: Callable[[SessionProgress], None] | None,
    ) -> tuple[int, list[WalletRuntime]]:
        """Open a session for each of `todo` on the trade pool: (failures, wallets opened)."""
        opened: list[WalletRuntime] = []
        failures = 0
        done = 0
        count_lock = threading.Lock()

        def create(wallet: WalletRuntime) -> WalletOutcome:
            nonlocal done, failures
            out = WalletOutcome()
            error: str | None = None
            with self._lock:
                self.in_flight += 1
            try:
                grant = open_session(
                    self._venue,
                    self._market,
                    wallet.entry,
                    ttl_s=self._ttl_s,
                    domain=domain,
                    relayer_root=root,
                    before_send=lambda pending: self._journal_pending(wallet, pending),
                    allowed_markets=self.allowed_markets,
                )
            except VenueError as exc:
                delay = self._backoff(wallet, exc)
                error = f"session not created: {exc} (next try in {delay:.1f} s)"
                wallet.note_error(error, self._venue.clock.now())
                out.lines.append(
                    self._line(
                        ActionKind.ERROR, trader=wallet.address, nickname=wallet.entry.nickname, error=error
                    )
                )
            else:
                wallet.session = SessionState(grant.session_id, grant.expiry, self._scope)
                wallet.clear_error()
                wallet.session_failures = 0
                wallet.session_retry_at = 0.0
                wallet.last_action_at = self._now_ms()
                out.lines.append(
                    self._line(
                        ActionKind.SESSION_INIT,
                        trader=wallet.address,
                        nickname=wallet.entry.nickname,
                        params={"expiry": grant.expiry, "sessionId": grant.session_id, **self._scope_field},
                        tx_hash=grant.tx_hash,
                    )
                )
            finally:
                self._journal(out.lines)
                with self._lock:
                    self.in_flight -= 1
            if error is None:
                # its SESSION_INIT line is fsynced already (what a restart trusts); the wallet
                # files and the checkpoint follow, several sessions at a time
                self._persist(wallet)
            with count_lock:
                done += 1
                failures += error is not None
                if error is None:
                    opened.append(wallet)
                report = SessionProgress(done, len(todo), wallet.entry.nickname, wallet.address, error)
            if progress is not None:
                progress(report)
            return out

        self._run_all(create, todo)
        self._persist(None)
        return failures, opened

    def _check_stored(self) -> None:
        """Ask the venue (when it can tell) about the sessions found on disk: a dead one is replaced
        now instead of failing the wallet's first trade, and a session whose creation was sent but
        never confirmed (SESSION_PENDING) is adopted when the venue holds it. A failed read changes
        nothing (the first trade tells)."""
        pending = {w.key: self._pending[w.key] for w in self._wallets if w.key in self._pending}
        self._pending.clear()
        stored = [w for w in self._wallets if w.session is not None]
        if not (stored or pending) or not isinstance(self._venue, SessionChecker):
            return
        ids = [w.session.session_id for w in stored if w.session] + [p.session_id for p in pending.values()]
        try:
            active = self._venue.sessions_active(ids)
        except VenueError as exc:
            self._note_failure(exc, "session check")
            return
        lines: list[ActionLogLine] = []
        gone: list[str] = []
        for wallet in self._wallets:
            found = pending.get(wallet.key)
            if found is not None and active.get(found.session_id, False):
                wallet.session = found
                lines.append(
                    self._line(
                        ActionKind.SESSION_INIT,
                        trader=wallet.address,
                        nickname=wallet.entry.nickname,
                        params={
                            "expiry": found.expiry,
                            "sessionId": found.session_id,
                            "recovered": True,
                            **({"allowedMarkets": list(found.markets)} if found.markets else {}),
                        },
                    )
                )
            elif wallet.session is not None and not active.get(wallet.session.session_id, False):
                wallet.session = None
                gone.append(wallet.entry.nickname)
                lines.append(
                    self._line(
                        ActionKind.ERROR,
                        trader=wallet.address,
                        nickname=wallet.entry.nickname,
                        error="the saved session is no longer active on the venue: opening a new one",
                    )
                )
        if gone:
            self._notices.append(
                f"sessions no longer active on the venue, opening new ones: {', '.join(gone)}"
            )
        self._journal(lines)
        if lines:
            self._persist(None)

    def _journal_pending(self, wallet: WalletRuntime, pending: SessionState) -> None:
        """The session about to be created, on disk before the request leaves."""
        self._journal(
            [
                self._line(
                    ActionKind.SESSION_PENDING,
                    trader=wallet.address,
                    nickname=wallet.entry.nickname,
                    params={"expiry": pending.expiry, "sessionId": pending.session_id, **self._scope_field},
                )
            ]
        )

    @property
    def _scope(self) -> tuple[str, ...]:
        """What a new session's `markets` say: () for one market (as every earlier run wrote)."""
        return tuple(m.lower() for m in self.allowed_markets) if len(self.allowed_markets) > 1 else ()

    @property
    def _scope_field(self) -> dict[str, list[str]]:
        return {"allowedMarkets": list(self._scope)} if self._scope else {}

    def _covers(self, session: SessionState | None) -> bool:
        return session is None or session.covers(self.allowed_markets)

    def _backoff(self, wallet: WalletRuntime, exc: VenueError) -> float:
        """Hold off this wallet's next attempt (`backoff.backoff_delay_s`: doubling, at least what
        the venue's Retry-After asks). Returns the delay."""
        wallet.session_failures += 1
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        delay = backoff_delay_s(wallet.session_failures, retry_after)
        wallet.session_retry_at = self._venue.clock.now() + delay
        return delay


class NoSessions:
    """Stands where a `SessionKeeper` would on a venue without sessions (no `SessionVenue`):
    nothing is opened, journaled or saved, and every wallet trades with `NO_SESSION`."""

    in_flight: Final = 0

    def __init__(self, wallets: Sequence[WalletRuntime]) -> None:
        for wallet in wallets:
            wallet.needs_session = False
            wallet.session = None

    def ensure(self, progress: Callable[[SessionProgress], None] | None = None) -> int:
        return 0
