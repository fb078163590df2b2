"""Contract: gasless sessions — creation, nonces, and every way a session is refused."""

from __future__ import annotations

import pytest

from ama_tui.protocol.errors import ErrorCode
from ama_tui.protocol.methods import MethodBit
from ama_tui.protocol.permits import session_id as compute_session_id
from ama_tui.venues.base import (
    CancelOrder,
    PlaceLimit,
    RateLimited,
    SessionChecker,
    SessionVenue,
    TradeRejected,
    VenueError,
    VenueUnavailable,
)

from .harness import VenueHarness

AMOUNT = 10**16


@pytest.fixture
def harness(harness: VenueHarness) -> VenueHarness:
    """Sessions are a capability: a venue without them has nothing here (see test_no_sessions)."""
    if not isinstance(harness.venue, SessionVenue):
        pytest.skip(f"{harness.name}: the venue has no sessions")
    return harness


def _code(exc: pytest.ExceptionInfo[TradeRejected]) -> str:
    return str(exc.value.code)


def test_session_id_is_the_reference_formula_and_nonce_increments(harness: VenueHarness) -> None:
    trader, _ = harness.traders[0]
    nonce = harness.venue.session_nonce(trader)
    permit = harness.permit(trader)
    grant = harness.venue.create_session(harness.order_book, permit, harness.sign(permit))
    expected = compute_session_id(trader, permit.relayer_set_root, permit.session_salt)
    assert grant.session_id.lower() == expected.lower()
    assert grant.expiry == permit.expiry
    assert harness.venue.session_nonce(trader) == nonce + 1
    assert harness.venue.session_nonce(trader.lower()) == nonce + 1


def test_relayer_root_and_domain(harness: VenueHarness) -> None:
    root = harness.venue.relayer_set_root()
    assert root.startswith("0x") and len(root) == 66
    domain = harness.venue.session_domain()
    assert domain.chain_id > 0 and domain.registry.startswith("0x") and len(domain.registry) == 42
    assert domain.chain_id == harness.info.chain_id, "permits are signed for the markets' chain"


def test_bad_signature(harness: VenueHarness) -> None:
    (trader, _), (_, other_key) = harness.traders[0], harness.traders[1]
    nonce = harness.venue.session_nonce(trader)
    permit = harness.permit(trader)
    with pytest.raises(TradeRejected) as caught:
        harness.venue.create_session(harness.order_book, permit, harness.sign(permit, other_key))
    assert _code(caught) == ErrorCode.BAD_SIG
    with pytest.raises(TradeRejected) as caught:
        harness.venue.create_session(harness.order_book, permit, "0x" + "11" * 65)
    assert _code(caught) == ErrorCode.BAD_SIG
    assert harness.venue.session_nonce(trader) == nonce


def test_stale_nonce(harness: VenueHarness) -> None:
    trader, _ = harness.traders[0]
    harness.open_session(trader)
    current = harness.venue.session_nonce(trader)
    for nonce in (current - 1, current + 1):
        permit = harness.permit(trader, nonce=nonce)
        with pytest.raises(TradeRejected) as caught:
            harness.venue.create_session(harness.order_book, permit, harness.sign(permit))
        assert _code(caught) == ErrorCode.BAD_NONCE
    assert harness.venue.session_nonce(trader) == current


def test_expired_permit(harness: VenueHarness) -> None:
    trader, _ = harness.traders[0]
    permit = harness.permit(trader, expiry=harness.now() - 10)
    with pytest.raises(TradeRejected) as caught:
        harness.venue.create_session(harness.order_book, permit, harness.sign(permit))
    assert _code(caught) == ErrorCode.EXPIRED


def test_unknown_session(harness: VenueHarness) -> None:
    trader, _ = harness.traders[0]
    with pytest.raises(TradeRejected) as caught:
        harness.venue.submit(
            harness.order_book,
            "0x" + "42" * 32,
            PlaceLimit(trader, harness.passive_price6(True), AMOUNT, True),
        )
    assert _code(caught) == ErrorCode.SESSION_UNKNOWN


def test_session_of_another_trader(harness: VenueHarness) -> None:
    (owner, _), (other, _) = harness.traders[0], harness.traders[1]
    session = harness.open_session(owner)
    with pytest.raises(TradeRejected) as caught:
        harness.venue.submit(
            harness.order_book, session, PlaceLimit(other, harness.passive_price6(True), AMOUNT, True)
        )
    assert _code(caught) == ErrorCode.SESSION_BAD_TRADER
    details = {key: str(value).lower() for key, value in caught.value.details.items()}
    assert (details["expected"], details["got"]) == (owner.lower(), other.lower())


def test_method_denied(harness: VenueHarness) -> None:
    trader, _ = harness.traders[0]
    session = harness.open_session(trader, methods=MethodBit.CANCEL_ORDER)
    with pytest.raises(TradeRejected) as caught:
        harness.venue.submit(
            harness.order_book, session, PlaceLimit(trader, harness.passive_price6(True), AMOUNT, True)
        )
    assert _code(caught) == ErrorCode.SESSION_METHOD_DENIED
    assert harness.venue.open_orders(harness.order_book, [trader])[trader] == ()


def test_session_expires_with_venue_time(harness: VenueHarness) -> None:
    trader, _ = harness.traders[0]
    session = harness.open_session(trader, expiry_in=30)
    placed = harness.venue.submit(
        harness.order_book, session, PlaceLimit(trader, harness.passive_price6(True), AMOUNT, True)
    )
    order_id = harness.order_id_of(placed, trader)
    harness.advance(60)
    with pytest.raises(TradeRejected) as caught:
        harness.venue.submit(harness.order_book, session, CancelOrder(trader, order_id))
    assert _code(caught) == ErrorCode.SESSION_EXPIRED


def test_transient_failure_types_are_venue_errors() -> None:
    assert issubclass(RateLimited, VenueError) and RateLimited.retryable
    assert issubclass(VenueUnavailable, VenueError) and VenueUnavailable.retryable
    assert issubclass(TradeRejected, VenueError) and not TradeRejected.retryable
    assert RateLimited(retry_after=2.0).retry_after == 2.0


def test_sessions_active_tells_live_from_unknown_and_bad_ids(harness: VenueHarness) -> None:
    venue = harness.venue
    assert isinstance(venue, SessionChecker)
    trader, _ = harness.traders[0]
    permit = harness.permit(trader)
    grant = venue.create_session(harness.order_book, permit, harness.sign(permit))
    unknown = "0x" + "ab" * 32
    answer = venue.sessions_active([grant.session_id, unknown, "not-an-id"])
    assert answer == {grant.session_id: True, unknown: False, "not-an-id": False}
