"""Answers of the real web app that a client must survive (reference section 7), recorded as sent:
PENDING market rows with null addresses, null live-book fields, and `pending` trade answers that
never carry an order id."""

from __future__ import annotations

import httpx
import pytest

from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import (
    CancelOrder,
    ModifyOrder,
    PlaceLimit,
    PlacementOutcome,
    PlacementState,
    TradeRejected,
    UnknownMarket,
)

from .fakes import ALICE, BOOK, FakeApp, FakeChain, json_response, make_venue, market_row, order_words

TRADE = "/api/gasless/trade"
SESSION = "0x" + "42" * 32
TX = "0x" + "7e" * 32
PRICE = 2_999_510_000

PENDING_ROW = market_row(
    symbol="SOL-USD",
    name="Solana / US Dollar",
    market_identifier="SOL-USD",
    market_address=None,
    market_id_bytes32=None,
    market_status="PENDING",
)


# --- GET /api/markets without status ---------------------------------------------------------------


def test_a_pending_row_with_null_addresses_does_not_break_the_page() -> None:
    venue, _, _ = make_venue(app=FakeApp(rows=[PENDING_ROW, market_row()]))
    page = venue.list_markets(status=None)
    assert [(row.symbol, row.market_status, row.is_active) for row in page.markets] == [
        ("SOL-USD", "PENDING", False),
        ("ETH-USD", "ACTIVE", True),
    ]
    pending = page.markets[0]
    assert pending.market_address == "" and pending.market_id_bytes32 == ""
    assert page.total == 2 and not page.has_more


def test_resolving_a_market_skips_undeployed_rows() -> None:
    # ETH-USD is outside the ACTIVE page the venue saw first: resolving reads the whole catalogue
    venue, _, _ = make_venue(app=FakeApp(rows=[PENDING_ROW, market_row()]))
    assert venue.market_info("ETH-USD").order_book == BOOK
    assert venue.market_info(BOOK.lower()).symbol == "ETH-USD"
    with pytest.raises(UnknownMarket):
        venue.market_info("SOL-USD")
    with pytest.raises(UnknownMarket):
        venue.market_info("")


def test_an_active_row_without_an_order_book_is_never_shown_as_active() -> None:
    row = market_row(symbol="XRP-USD", market_address=None, market_id_bytes32=None)
    venue, _, _ = make_venue(app=FakeApp(rows=[row]))
    (listed,) = venue.list_markets(status=None).markets
    assert listed.market_status == "UNDEPLOYED" and not listed.is_active


def test_a_missing_address_field_is_still_a_malformed_row() -> None:
    row = {key: value for key, value in market_row().items() if key != "market_address"}
    venue, _, _ = make_venue(app=FakeApp(rows=[row]))
    with pytest.raises(Exception, match=r"markets\[0\]\.market_address"):
        venue.list_markets(status=None)


# --- GET /api/orderbook/live -----------------------------------------------------------------------


def _live(**data: object) -> dict[str, object]:
    from .fakes import orderbook_body

    return orderbook_body(**data)


def test_null_last_trade_price_reads_zero() -> None:
    app = FakeApp(routes={"/api/orderbook/live": json_response(200, _live(lastTradePrice=None))})
    venue, chain, _ = make_venue(app=app)
    snapshot = venue.book(BOOK)
    assert snapshot.top.best_bid6 == chain.bid6 and len(snapshot.bids) == 2


def test_timed_out_depth_and_trades_are_empty_with_the_top_still_read() -> None:
    body = _live(lastTradePrice=None, depth=None, recentTrades=None)
    venue, chain, _ = make_venue(app=FakeApp(routes={"/api/orderbook/live": json_response(200, body)}))
    snapshot = venue.book(BOOK)
    assert (snapshot.top.best_bid6, snapshot.top.best_ask6) == (chain.bid6, chain.ask6)
    assert snapshot.bids == () and snapshot.asks == () and snapshot.recent_trades == ()


# --- POST /api/gasless/trade answering `pending` ---------------------------------------------------


def _pending_app(sent: list[httpx.Request] | None = None) -> FakeApp:
    def trade(request: httpx.Request) -> httpx.Response:
        if sent is not None:
            sent.append(request)
        return httpx.Response(200, json={"txHash": TX, "pending": True})

    return FakeApp(routes={TRADE: trade})


def test_a_pending_answer_is_a_receipt_without_an_order_id() -> None:
    venue, _, _ = make_venue(app=_pending_app())
    receipt = venue.submit(BOOK, SESSION, PlaceLimit(ALICE, PRICE, 10**16, True))
    assert receipt.tx_hash == TX and receipt.order_id is None and receipt.filled18 is None


def test_the_order_id_comes_from_the_receipt_once_mined_without_waiting_for_it() -> None:
    chain = FakeChain()
    chain.add_placement(tx=TX, order_id=77, trader=ALICE, price6=PRICE, amount18=10**16, is_buy=True, index=0)
    venue, _, _ = make_venue(chain, app=_pending_app())
    # the answer is taken as it is: no receipt read per trade
    assert venue.submit(BOOK, SESSION, PlaceLimit(ALICE, PRICE, 10**16, True)).order_id is None
    assert chain.methods.count("eth_getTransactionReceipt") == 0
    # the id is learned later, for every pending transaction in one batched read
    outcomes = venue.placement_outcomes(BOOK, [(TX, ALICE)])
    assert outcomes[TX] == PlacementOutcome(PlacementState.LANDED, 77)
    assert chain.methods.count("eth_getTransactionReceipt") == 1
    # mined: nothing is in flight, a second order at that price may go
    venue.open_orders(BOOK, [ALICE])
    assert venue.submit(BOOK, SESSION, PlaceLimit(ALICE, PRICE, 10**16, True)).tx_hash == TX


def test_a_mined_answer_without_an_order_id_reads_the_receipt() -> None:
    chain = FakeChain()
    chain.add_placement(
        tx=TX, order_id=78, trader=ALICE, price6=PRICE, amount18=10**16, is_buy=False, index=3
    )
    app = FakeApp(routes={TRADE: json_response(200, {"txHash": TX, "blockNumber": 9, "mined": True})})
    venue, _, _ = make_venue(chain, app=app)
    assert venue.submit(BOOK, SESSION, PlaceLimit(ALICE, PRICE, 10**16, False)).order_id == 78


def test_a_modify_learns_its_new_id_from_order_modified() -> None:
    chain = FakeChain()
    chain.add_modification(tx=TX, old_id=5, new_id=9, trader=ALICE, index=1)
    venue, _, _ = make_venue(chain, app=_pending_app())
    assert venue.submit(BOOK, SESSION, ModifyOrder(ALICE, 5, PRICE, 10**16)).order_id is None
    assert venue.placed_order_id(TX, ALICE, BOOK) == 9


def test_a_cancel_answered_pending_keeps_its_order_id() -> None:
    venue, _, _ = make_venue(app=_pending_app())
    assert venue.submit(BOOK, SESSION, CancelOrder(ALICE, 5)).order_id == 5


def test_a_pending_transaction_that_reverted_placed_nothing() -> None:
    chain = FakeChain()
    venue, _, _ = make_venue(chain, app=_pending_app())
    venue.submit(BOOK, SESSION, PlaceLimit(ALICE, PRICE, 10**16, True))
    assert venue.placement_outcomes(BOOK, [(TX, ALICE)])[TX].state is PlacementState.PENDING
    chain.receipts[TX] = {"transactionHash": TX, "status": "0x0", "blockNumber": "0x65", "logs": []}
    assert venue.placement_outcomes(BOOK, [(TX, ALICE)])[TX] == PlacementOutcome(PlacementState.REVERTED)


def test_a_mined_answer_whose_receipt_reverted_is_a_mined_revert() -> None:
    chain = FakeChain()
    chain.receipts[TX] = {"transactionHash": TX, "status": "0x0", "blockNumber": "0x65", "logs": []}
    app = FakeApp(routes={TRADE: json_response(200, {"txHash": TX, "blockNumber": 0x65, "mined": True})})
    venue, _, _ = make_venue(chain, app=app)
    with pytest.raises(TradeRejected) as caught:
        venue.submit(BOOK, SESSION, PlaceLimit(ALICE, PRICE, 10**16, True))
    assert caught.value.code == ErrorCode.TX_REVERTED
    assert caught.value.details == {"txHash": TX, "blockNumber": 0x65}


def test_a_pending_placement_is_in_flight_until_its_receipt_shows() -> None:
    sent: list[httpx.Request] = []
    chain = FakeChain()
    venue, _, _ = make_venue(chain, app=_pending_app(sent), in_doubt_window_s=0.0)
    order = PlaceLimit(ALICE, PRICE, 10**16, True)
    venue.submit(BOOK, SESSION, order)
    chain.pending_txs.add(TX)  # the node holds it, not mined
    # even past its window, a transaction the node still holds blocks a second order there
    venue.open_orders(BOOK, [ALICE])
    with pytest.raises(TradeRejected) as caught:
        venue.submit(BOOK, SESSION, order)
    assert caught.value.code == "placement_in_doubt" and len(sent) == 1
    # it is mined (and filled at once as a taker: no order rests): the doubt is gone, the id known
    chain.pending_txs.discard(TX)
    chain.add_placement(tx=TX, order_id=31, trader=ALICE, price6=PRICE, amount18=10**16, is_buy=True, index=2)
    venue.open_orders(BOOK, [ALICE])
    assert venue.placed_order_id(TX, ALICE.lower(), BOOK) == 31
    venue.submit(BOOK, SESSION, order)
    assert len(sent) == 2


def test_a_pending_placement_is_settled_by_the_book_too() -> None:
    sent: list[httpx.Request] = []
    chain = FakeChain()
    venue, _, _ = make_venue(chain, app=_pending_app(sent))
    order = PlaceLimit(ALICE, PRICE, 10**16, True)
    venue.submit(BOOK, SESSION, order)
    with pytest.raises(TradeRejected):
        venue.submit(BOOK, SESSION, order)
    chain.user_orders[ALICE] = [31]
    chain.orders[31] = order_words(31, ALICE, PRICE, 10**16, True)
    venue.open_orders(BOOK, [ALICE])
    venue.submit(BOOK, SESSION, order)
    assert len(sent) == 2


def test_watching_in_flight_transactions_costs_no_extra_round_trip() -> None:
    chain = FakeChain()
    venue, _, _ = make_venue(chain, app=_pending_app())
    venue.submit(BOOK, SESSION, PlaceLimit(ALICE, PRICE, 10**16, True))
    chain.user_orders[ALICE] = [3]
    chain.orders[3] = order_words(3, ALICE, PRICE - 10_000, 10**16, True)
    posts = chain.posts
    venue.open_orders(BOOK, [ALICE])
    assert chain.posts - posts == 2
    assert {"eth_getTransactionReceipt", "eth_getTransactionByHash"} <= set(chain.methods[-8:])


# --- checks before sending -------------------------------------------------------------------------


def test_an_order_whose_margin_rounds_to_zero_never_leaves() -> None:
    sent: list[httpx.Request] = []
    venue, _, _ = make_venue(app=_pending_app(sent))
    # 1e-9 of a unit at 2999.51 is 0.000002 USDC of notional: a buy reserves 10 % of it, 0 when
    # floored (the vault reverts it); a sell reserves 150 %, 0.000003: it goes
    venue.submit(BOOK, SESSION, PlaceLimit(ALICE, PRICE, 10**9, False))
    venue.submit(BOOK, SESSION, PlaceLimit(ALICE, PRICE, 10**10, True))
    refused = (PlaceLimit(ALICE, PRICE, 10**9, True), ModifyOrder(ALICE, 4, PRICE, 300))
    for request in refused:
        with pytest.raises(TradeRejected) as caught:
            venue.submit(BOOK, SESSION, request)
        assert caught.value.code == ErrorCode.ZERO_MARGIN and "rounds down to 0" in str(caught.value)
    assert len(sent) == 2


def test_the_top_alone_is_read_on_the_chain_without_the_relay() -> None:
    """The never-cross guard's re-read before a burst of placements: one chain round trip, no
    relay call (the relay answers in seconds and may serve a cached book)."""
    venue, chain, app = make_venue()
    full = venue.book(BOOK, 5).top
    seen = len(app.seen)
    top = venue.top(BOOK)
    assert top == full and (top.best_bid6, top.best_ask6) == (chain.bid6, chain.ask6)
    assert len(app.seen) == seen
