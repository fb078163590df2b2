"""Gasless sessions for the fleet: create the missing or expiring ones, never a second one for a
wallet whose session is still valid, renew when fewer than five minutes remain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ama_tui.protocol.permits import build_session_permit, sign_session_permit
from ama_tui.store import WalletEntry
from ama_tui.venues.base import MarketInfo, SessionDomain, SessionGrant, Venue

RENEW_MARGIN_S: Final = 5 * 60
"""A session with less than this left is renewed."""

DEFAULT_SESSION_TTL_S: Final = 24 * 60 * 60


@dataclass(frozen=True, slots=True)
class SessionState:
    session_id: str
    expiry: int

    def is_valid(self, now: float) -> bool:
        return self.expiry - now > RENEW_MARGIN_S


def needs_session(state: SessionState | None, now: float) -> bool:
    return state is None or not state.is_valid(now)


def open_session(
    venue: Venue,
    market: MarketInfo,
    wallet: WalletEntry,
    *,
    ttl_s: int,
    domain: SessionDomain | None = None,
    relayer_root: str | None = None,
    before_send: Callable[[SessionState], None] | None = None,
) -> SessionGrant:
    """Fetch the nonce (and the domain and relayer root unless given, as they are the same for
    the whole fleet), build and sign a permit scoped to this market, create the session.
    `before_send` gets the session the permit will create (its id is known in advance) just before
    it is sent, so it can be written down first."""
    domain = domain or venue.session_domain()
    permit = build_session_permit(
        trader=wallet.address,
        relayer_set_root=relayer_root or venue.relayer_set_root(),
        expiry=int(venue.clock.now()) + ttl_s,
        nonce=venue.session_nonce(wallet.address),
        allowed_markets=(market.market_id_bytes32,),
    )
    signature = sign_session_permit(wallet.key, domain.chain_id, domain.registry, permit)
    if before_send is not None:
        before_send(SessionState(permit.session_id, permit.expiry))
    return venue.create_session(market.order_book, permit, signature)
