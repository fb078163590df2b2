"""Gasless sessions for the fleet: create the missing or expiring ones, never a second one for a
wallet whose session is still valid, renew when fewer than five minutes remain. A run over several
markets opens one session per wallet whose permit lists them all (`allowedMarkets`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from ama_tui.protocol.permits import build_session_permit, sign_session_permit
from ama_tui.store import WalletEntry
from ama_tui.venues.base import MarketInfo, SessionDomain, SessionGrant, SessionVenue

RENEW_MARGIN_S: Final = 5 * 60
"""A session with less than this left is renewed."""

DEFAULT_SESSION_TTL_S: Final = 24 * 60 * 60


@dataclass(frozen=True, slots=True)
class SessionState:
    session_id: str
    expiry: int
    markets: tuple[str, ...] = ()
    """The permit's `allowedMarkets` (lower-case bytes32) when the journal said; () when it did not
    (a one-market run's session, or the original tool's)."""

    def is_valid(self, now: float) -> bool:
        return self.expiry - now > RENEW_MARGIN_S

    def covers(self, markets: Sequence[str]) -> bool:
        """Whether it may trade every one of `markets`: a session of unknown scope is taken for
        one market (what every run before multi-market runs opened), never for several."""
        if len(markets) <= 1:
            return True
        return {m.lower() for m in markets} <= set(self.markets)


def needs_session(state: SessionState | None, now: float) -> bool:
    return state is None or not state.is_valid(now)


def open_session(
    venue: SessionVenue,
    market: MarketInfo,
    wallet: WalletEntry,
    *,
    ttl_s: int,
    domain: SessionDomain | None = None,
    relayer_root: str | None = None,
    before_send: Callable[[SessionState], None] | None = None,
    allowed_markets: Sequence[str] = (),
) -> SessionGrant:
    """Fetch the nonce (and the domain and relayer root unless given, as they are the same for
    the whole fleet), build and sign a permit scoped to this market (or to `allowed_markets`, a run's
    markets' bytes32 ids), create the session.
    `before_send` gets the session the permit will create (its id is known in advance) just before
    it is sent, so it can be written down first."""
    domain = domain or venue.session_domain()
    markets = tuple(allowed_markets) or (market.market_id_bytes32,)
    permit = build_session_permit(
        trader=wallet.address,
        relayer_set_root=relayer_root or venue.relayer_set_root(),
        expiry=int(venue.clock.now()) + ttl_s,
        nonce=venue.session_nonce(wallet.address),
        allowed_markets=markets,
    )
    signature = sign_session_permit(wallet.key, domain.chain_id, domain.registry, permit)
    if before_send is not None:
        scope = tuple(m.lower() for m in markets) if len(markets) > 1 else ()
        before_send(SessionState(permit.session_id, permit.expiry, scope))
    return venue.create_session(market.order_book, permit, signature)
