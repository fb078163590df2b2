"""Helpers for the sim venue's tests: deterministic public test keys and session plumbing."""

from __future__ import annotations

from collections.abc import Iterable

from eth_utils import keccak

from ama_tui.core.keys import PrivateKey
from ama_tui.protocol.accounts import address_of
from ama_tui.protocol.methods import ALL_METHODS, Methods
from ama_tui.protocol.permits import SessionPermit, build_session_permit, sign_session_permit
from ama_tui.venues.sim import SimVenue

ETH = "ETH-USD"
HENRY = "HENRY-HUB-PRICE"


def derived_key(index: int) -> PrivateKey:
    """A public, deterministic test key (never holds anything)."""
    return PrivateKey("0x" + keccak(text=f"ama-tui sim venue test key {index}").hex())


def wallet(index: int) -> tuple[str, PrivateKey]:
    key = derived_key(index)
    return address_of(key), key


def make_sim(seed: int = 1, preset: str = "PERFECT_EXECUTION", **kwargs: object) -> SimVenue:
    return SimVenue(seed, preset, "virtual", **kwargs)  # type: ignore[arg-type]


def make_permit(
    venue: SimVenue,
    trader: str,
    *,
    symbol: str = ETH,
    expiry_in: int = 3600,
    nonce: int | None = None,
    methods: Methods = ALL_METHODS,
    allowed_markets: Iterable[str] | None = None,
    max_notional_per_trade: int = 0,
    max_notional_per_session: int = 0,
    relayer_set_root: str | None = None,
) -> SessionPermit:
    return build_session_permit(
        trader=trader,
        relayer_set_root=relayer_set_root or venue.relayer_set_root(),
        expiry=int(venue.clock.now()) + expiry_in,
        nonce=venue.session_nonce(trader) if nonce is None else nonce,
        allowed_markets=[venue.market_info(symbol).market_id_bytes32]
        if allowed_markets is None
        else allowed_markets,
        methods=methods,
        max_notional_per_trade=max_notional_per_trade,
        max_notional_per_session=max_notional_per_session,
    )


def sign(venue: SimVenue, permit: SessionPermit, key: PrivateKey) -> str:
    domain = venue.session_domain()
    return sign_session_permit(key, domain.chain_id, domain.registry, permit)


def open_session(
    venue: SimVenue, trader: str, key: PrivateKey, *, symbol: str = ETH, **fields: object
) -> str:
    permit = make_permit(venue, trader, symbol=symbol, **fields)  # type: ignore[arg-type]
    return venue.create_session(
        venue.market_info(symbol).order_book, permit, sign(venue, permit, key)
    ).session_id
