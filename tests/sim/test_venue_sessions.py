"""The sim's session registry beyond the contract suite: relayer set, order of checks, nonces."""

from __future__ import annotations

import pytest

from ama_tui.protocol.errors import ErrorCode
from ama_tui.protocol.relayers import relayer_set_root
from ama_tui.venues.base import PlaceLimit, TradeRejected
from ama_tui.venues.sim import SIM_CHAIN_ID
from ama_tui.venues.sim.markets import REGISTRY_ADDRESS, RELAYER_ADDRESSES

from ._venue_support import ETH, make_permit, make_sim, open_session, sign, wallet


def test_domain_and_relayer_set() -> None:
    venue = make_sim()
    assert venue.session_domain().chain_id == SIM_CHAIN_ID
    assert venue.session_domain().registry == REGISTRY_ADDRESS
    assert venue.relayer_set_root() == relayer_set_root(RELAYER_ADDRESSES)
    assert len(set(RELAYER_ADDRESSES)) == 3


def test_wrong_relayer_root_is_refused() -> None:
    venue = make_sim()
    address, key = wallet(0)
    permit = make_permit(venue, address, relayer_set_root="0x" + "ab" * 32)
    with pytest.raises(TradeRejected) as caught:
        venue.create_session(venue.market_info(ETH).order_book, permit, sign(venue, permit, key))
    assert caught.value.code == ErrorCode.SESSION_BAD_RELAYER
    assert venue.session_nonce(address) == 0


def test_signature_over_another_domain_is_bad() -> None:
    venue = make_sim()
    address, key = wallet(0)
    permit = make_permit(venue, address)
    from ama_tui.protocol.permits import sign_session_permit

    foreign = sign_session_permit(key, 999, REGISTRY_ADDRESS, permit)
    with pytest.raises(TradeRejected) as caught:
        venue.create_session(venue.market_info(ETH).order_book, permit, foreign)
    assert caught.value.code == ErrorCode.BAD_SIG


@pytest.mark.parametrize("signature", ["", "0x", "0x1234", "not hex at all", "0x" + "zz" * 65])
def test_malformed_signature_is_bad_sig(signature: str) -> None:
    venue = make_sim()
    address, _ = wallet(0)
    permit = make_permit(venue, address)
    with pytest.raises(TradeRejected) as caught:
        venue.create_session(venue.market_info(ETH).order_book, permit, signature)
    assert caught.value.code == ErrorCode.BAD_SIG


def test_nonces_are_per_trader_and_sessions_coexist() -> None:
    venue = make_sim(participants=False)
    (alice, alice_key), (bob, bob_key) = wallet(0), wallet(1)
    first = open_session(venue, alice, alice_key)
    second = open_session(venue, alice, alice_key)
    assert first != second
    assert (venue.session_nonce(alice), venue.session_nonce(bob)) == (2, 0)
    open_session(venue, bob, bob_key)
    book = venue.market_info(ETH).order_book
    for session in (first, second):
        venue.submit(book, session, PlaceLimit(alice, 2_000_000_000, 10**16, True))
    assert len(venue.open_orders(book, [alice])[alice]) == 2
    assert venue.audit().sessions_created == 3


def test_session_expiry_boundary() -> None:
    venue = make_sim(participants=False)
    address, key = wallet(0)
    session = open_session(venue, address, key, expiry_in=10)
    book = venue.market_info(ETH).order_book
    venue.advance(9)
    venue.submit(book, session, PlaceLimit(address, 2_000_000_000, 10**16, True))
    venue.advance(1)
    with pytest.raises(TradeRejected) as caught:
        venue.submit(book, session, PlaceLimit(address, 2_000_000_000, 10**16, True))
    assert caught.value.code == ErrorCode.SESSION_EXPIRED


def test_messages_and_reprs_carry_no_secret() -> None:
    venue = make_sim()
    address, key = wallet(0)
    secret = key.reveal()[2:]
    permit = make_permit(venue, address, nonce=5)
    with pytest.raises(TradeRejected) as caught:
        venue.create_session(venue.market_info(ETH).order_book, permit, sign(venue, permit, key))
    text = f"{caught.value} {caught.value.details} {venue!r} {venue.audit()!r} {venue.events()!r}"
    assert secret not in text.lower()
