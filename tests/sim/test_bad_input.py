"""Bad input is refused with a typed error and leaves the exchange exactly as it was."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import pytest

from ama_tui.core.units import MAX_PRICE6
from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import (
    CancelOrder,
    ModifyOrder,
    PlaceLimit,
    PlaceMarket,
    TradeRejected,
    UnknownMarket,
    VenueError,
)
from ama_tui.venues.sim import SimVenue

from ._venue_support import ETH, HENRY, make_permit, open_session, sign, wallet

ONE = 10**18


@pytest.fixture(scope="module")
def world() -> tuple[SimVenue, dict[str, object]]:
    venue = SimVenue(77, "PERFECT_EXECUTION", "virtual")
    (alice, alice_key), (bob, bob_key), (carol, carol_key) = wallet(0), wallet(1), wallet(2)
    book = venue.market_info(HENRY).order_book
    session = open_session(venue, alice, alice_key, symbol=HENRY)
    bob_session = open_session(venue, bob, bob_key, symbol=HENRY)
    short = open_session(venue, alice, alice_key, symbol=HENRY, expiry_in=5)
    cancel_only = open_session(venue, alice, alice_key, symbol=HENRY, methods=["sessionCancelOrder"])
    bob_order = venue.submit(book, bob_session, PlaceLimit(bob, 4_000_000, ONE, True)).order_id
    own_order = venue.submit(book, session, PlaceLimit(alice, 4_100_000, ONE, True)).order_id
    venue.book(venue.market_info(ETH).order_book)  # a market comes alive when first named: do it now
    venue.advance(30)
    venue.available_collateral([carol])
    names = {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "carol_key": carol_key,
        "book": book,
        "session": session,
        "short": short,
        "cancel_only": cancel_only,
        "bob_order": bob_order,
        "own_order": own_order,
    }
    return venue, names


def _bad_calls(
    n: dict[str, object],
) -> dict[str, tuple[Callable[[SimVenue], object], type[VenueError], str | None]]:
    alice, book, session = str(n["alice"]), str(n["book"]), str(n["session"])
    eth = "0x" + "00" * 20

    def submit(request: object, *, on: str = book, sid: str = session) -> Callable[[SimVenue], object]:
        return lambda venue: venue.submit(on, sid, request)  # type: ignore[arg-type]

    return {
        "zero price": (submit(PlaceLimit(alice, 0, ONE, True)), TradeRejected, ErrorCode.INVALID_PRICE),
        "negative price": (
            submit(PlaceLimit(alice, -5_000_000, ONE, True)),
            TradeRejected,
            ErrorCode.INVALID_PRICE,
        ),
        "absurd price": (
            submit(PlaceLimit(alice, MAX_PRICE6 + 10_000, ONE, True)),
            TradeRejected,
            ErrorCode.INVALID_PRICE,
        ),
        "float price": (submit(PlaceLimit(alice, 4.5, ONE, True)), TradeRejected, ErrorCode.INVALID_PRICE),  # type: ignore[arg-type]
        "bool price": (submit(PlaceLimit(alice, True, ONE, True)), TradeRejected, ErrorCode.INVALID_PRICE),
        "missing price": (submit(PlaceLimit(alice, None, ONE, True)), TradeRejected, ErrorCode.MISSING_PRICE),  # type: ignore[arg-type]
        "off tick": (submit(PlaceLimit(alice, 4_500_001, ONE, True)), TradeRejected, ErrorCode.OFF_TICK),
        "zero amount": (
            submit(PlaceLimit(alice, 4_500_000, 0, True)),
            TradeRejected,
            ErrorCode.INVALID_AMOUNT,
        ),
        "negative amount": (
            submit(PlaceLimit(alice, 4_500_000, -ONE, True)),
            TradeRejected,
            ErrorCode.INVALID_AMOUNT,
        ),
        "absurd amount": (
            submit(PlaceLimit(alice, 4_500_000, 10**30 + 1, True)),
            TradeRejected,
            ErrorCode.INVALID_AMOUNT,
        ),
        "string amount": (
            submit(PlaceLimit(alice, 4_500_000, "1", True)),
            TradeRejected,
            ErrorCode.INVALID_AMOUNT,
        ),  # type: ignore[arg-type]
        "side not a bool": (submit(PlaceLimit(alice, 4_500_000, ONE, 1)), TradeRejected, "invalid_request"),  # type: ignore[arg-type]
        "zero market amount": (submit(PlaceMarket(alice, 0, True)), TradeRejected, ErrorCode.INVALID_AMOUNT),
        "huge market order": (
            submit(PlaceMarket(alice, 10**27, True)),
            TradeRejected,
            ErrorCode.INSUFFICIENT_COLLATERAL,
        ),
        "too big for collateral": (
            submit(PlaceLimit(alice, 4_500_000, 10**24, True)),
            TradeRejected,
            ErrorCode.INSUFFICIENT_COLLATERAL,
        ),
        "modify off tick": (
            submit(ModifyOrder(alice, int(n["own_order"]), 4_100_005, ONE)),  # type: ignore[call-overload]
            TradeRejected,
            ErrorCode.OFF_TICK,
        ),
        "modify unknown order": (
            submit(ModifyOrder(alice, 10**9, 4_100_000, ONE)),
            TradeRejected,
            ErrorCode.ORDER_NOT_FOUND,
        ),
        "modify someone else's": (
            submit(ModifyOrder(alice, int(n["bob_order"]), 4_200_000, ONE)),  # type: ignore[call-overload]
            TradeRejected,
            ErrorCode.NOT_ORDER_OWNER,
        ),
        "cancel unknown order": (submit(CancelOrder(alice, 10**9)), TradeRejected, ErrorCode.ORDER_NOT_FOUND),
        "cancel order id zero": (submit(CancelOrder(alice, 0)), TradeRejected, ErrorCode.ORDER_NOT_FOUND),
        "cancel someone else's": (
            submit(CancelOrder(alice, int(n["bob_order"]))),  # type: ignore[call-overload]
            TradeRejected,
            ErrorCode.NOT_ORDER_OWNER,
        ),
        "unknown session": (
            submit(PlaceLimit(alice, 4_500_000, ONE, True), sid="0x" + "99" * 32),
            TradeRejected,
            ErrorCode.SESSION_UNKNOWN,
        ),
        "garbage session id": (
            submit(PlaceLimit(alice, 4_500_000, ONE, True), sid="hello"),
            TradeRejected,
            ErrorCode.SESSION_UNKNOWN,
        ),
        "expired session": (
            submit(PlaceLimit(alice, 4_500_000, ONE, True), sid=str(n["short"])),
            TradeRejected,
            ErrorCode.SESSION_EXPIRED,
        ),
        "method denied": (
            submit(PlaceLimit(alice, 4_500_000, ONE, True), sid=str(n["cancel_only"])),
            TradeRejected,
            ErrorCode.SESSION_METHOD_DENIED,
        ),
        "another trader's session": (
            submit(PlaceLimit(str(n["bob"]), 4_500_000, ONE, True)),
            TradeRejected,
            ErrorCode.SESSION_BAD_TRADER,
        ),
        "malformed trader": (
            submit(PlaceLimit("0x1234", 4_500_000, ONE, True)),
            TradeRejected,
            ErrorCode.INVALID_TRADER,
        ),
        "unknown market": (submit(PlaceLimit(alice, 4_500_000, ONE, True), on=eth), UnknownMarket, None),
        "unknown market by symbol": (
            submit(PlaceLimit(alice, 4_500_000, ONE, True), on="SOL-USD"),
            UnknownMarket,
            None,
        ),
        "dust order": (
            submit(PlaceLimit(alice, 4_500_000, 10**11, True)),
            TradeRejected,
            ErrorCode.ZERO_MARGIN,
        ),
        "dust modify": (
            submit(ModifyOrder(alice, int(n["own_order"]), 4_100_000, 10**11)),  # type: ignore[call-overload]
            TradeRejected,
            ErrorCode.ZERO_MARGIN,
        ),
        "malformed address in a read": (
            lambda venue: venue.open_orders(book, ["0xnothex"]),
            TradeRejected,
            "invalid_address",
        ),
        "malformed address in collateral": (
            lambda venue: venue.available_collateral([alice, "bob"]),
            TradeRejected,
            "invalid_address",
        ),
        "unknown market in a read": (lambda venue: venue.positions("nope", [alice]), UnknownMarket, None),
    }


CASES = sorted(_bad_calls(defaultdict(lambda: "0")))


@pytest.mark.parametrize("case", CASES)
def test_bad_input_changes_nothing(world: tuple[SimVenue, dict[str, object]], case: str) -> None:
    venue, names = world
    call, error_type, code = _bad_calls(names)[case]
    state_hash = venue.event_log_hash(include_rejections=False)
    state = venue.dump_state()
    alice = str(names["alice"])
    collateral = venue.available_collateral([alice, str(names["bob"])])
    with pytest.raises(error_type) as caught:
        call(venue)
    if code is not None:
        assert isinstance(caught.value, TradeRejected) and caught.value.code == code, caught.value
    assert venue.event_log_hash(include_rejections=False) == state_hash
    assert venue.dump_state() == state
    assert venue.available_collateral([alice, str(names["bob"])]) == collateral


def test_rejections_are_logged_and_counted(world: tuple[SimVenue, dict[str, object]]) -> None:
    venue, names = world
    full = venue.event_log_hash()
    before = venue.audit().rejections
    with pytest.raises(TradeRejected):
        venue.submit(str(names["book"]), str(names["session"]), PlaceLimit(str(names["alice"]), 0, ONE, True))
    assert venue.event_log_hash() != full
    assert venue.audit().rejections == before + 1
    assert venue.events(1)[0][0] == "reject"


def test_refused_session_changes_nothing(world: tuple[SimVenue, dict[str, object]]) -> None:
    venue, names = world
    carol, carol_key = str(names["carol"]), names["carol_key"]
    state, state_hash = venue.dump_state(), venue.event_log_hash(include_rejections=False)
    stale = make_permit(venue, carol, symbol=HENRY, nonce=3)
    expired = make_permit(venue, carol, symbol=HENRY, expiry_in=-1)
    unsigned = make_permit(venue, carol, symbol=HENRY)
    for permit, signature, code in (
        (stale, sign(venue, stale, carol_key), ErrorCode.BAD_NONCE),  # type: ignore[arg-type]
        (expired, sign(venue, expired, carol_key), ErrorCode.EXPIRED),  # type: ignore[arg-type]
        (unsigned, "0x" + "00" * 65, ErrorCode.BAD_SIG),
    ):
        with pytest.raises(TradeRejected) as caught:
            venue.create_session(str(names["book"]), permit, signature)
        assert caught.value.code == code
    assert venue.dump_state() == state
    assert venue.event_log_hash(include_rejections=False) == state_hash
