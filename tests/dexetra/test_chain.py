"""The chain side against a fake JSON-RPC node: Order decoding, skipped orders, empty sides,
Multicall3 vs batches, round trips per cycle, fills and their attribution, RPC failures."""

from __future__ import annotations

import httpx
import pytest

from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import CancelOrder, RateLimited, TradeRejected, UnknownMarket, VenueUnavailable
from ama_tui.venues.dexetra import ChainMismatch, InvalidCursor
from ama_tui.venues.dexetra.codec import MalformedChainData, decode_order

from .fakes import ALICE, BOB, BOOK, TAKER, FakeChain, make_venue, order_words

PRICE = 2_999_510_000


# --- decoding ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("v10", [False, True])
def test_both_order_shapes_decode(v10: bool) -> None:
    data = order_words(7, ALICE, PRICE, 10**16, True, margin6=299_951, v10=v10)
    assert len(data) == (320 if v10 else 288)
    order = decode_order(data)
    assert (order.order_id, order.trader, order.price6, order.amount18, order.is_buy) == (
        7,
        ALICE,
        PRICE,
        10**16,
        True,
    )
    assert order.margin_required6 == 299_951 and order.is_margin_order
    assert order.prev_order_id == (0 if v10 else None)


def test_short_order_data_is_malformed() -> None:
    with pytest.raises(MalformedChainData):
        decode_order(b"\x00" * 200)


def test_deleted_order_reads_as_deleted() -> None:
    assert decode_order(order_words(0, "0x" + "00" * 20, 0, 0, False)).deleted


# --- open orders ------------------------------------------------------------------------------------


def _chain_with_orders(v10: bool = False) -> FakeChain:
    chain = FakeChain()
    chain.user_orders = {ALICE: [3, 4, 5, 4], BOB: [9]}
    chain.orders = {
        3: order_words(3, ALICE, PRICE, 10**16, True, margin6=2_999_510, v10=v10),
        4: order_words(4, ALICE, 3_001_000_000, 2 * 10**16, False, margin6=90_030_000, v10=v10),
        # 5 was filled: the fake answers it as deleted
        9: order_words(9, BOB, 2_999_000_000, 10**16, True, v10=v10),
    }
    chain.collateral = {ALICE: 1_000_000_000, BOB: 5}
    return chain


@pytest.mark.parametrize("v10", [False, True])
@pytest.mark.parametrize("multicall", [True, False])
def test_open_orders_skip_deleted_and_duplicate_ids(v10: bool, multicall: bool) -> None:
    chain = _chain_with_orders(v10)
    chain.multicall = multicall
    venue, _, _ = make_venue(chain)
    assert venue.uses_multicall is multicall
    result = venue.open_orders(BOOK, [ALICE.lower(), BOB, "0x" + "ab" * 20])
    assert set(result) == {ALICE.lower(), BOB, "0x" + "ab" * 20}
    alice = result[ALICE.lower()]
    assert [o.order_id for o in alice] == [3, 4]
    assert alice[1].is_buy is False and alice[1].margin_required6 == 90_030_000 and alice[1].trader == ALICE
    assert [o.order_id for o in result[BOB]] == [9]
    assert result["0x" + "ab" * 20] == ()


def test_an_order_of_someone_else_is_not_ours() -> None:
    chain = _chain_with_orders()
    chain.user_orders[ALICE] = [9]
    venue, _, _ = make_venue(chain)
    assert venue.open_orders(BOOK, [ALICE])[ALICE] == ()


def test_invalid_trader_is_rejected() -> None:
    venue, _, _ = make_venue(_chain_with_orders())
    with pytest.raises(TradeRejected):
        venue.open_orders(BOOK, ["nope"])
    with pytest.raises(TypeError):
        venue.open_orders(BOOK, ALICE)


def test_unknown_market() -> None:
    venue, _, _ = make_venue()
    for key in ("NOPE", "0x" + "12" * 20, "", "not an address"):
        with pytest.raises(UnknownMarket):
            venue.market_info(key)
        with pytest.raises(UnknownMarket):
            venue.open_orders(key, [ALICE])


def test_market_info_reads_the_chain() -> None:
    chain = FakeChain(margin_bps=2_000)
    venue, _, _ = make_venue(chain)
    info = venue.market_info("eth-usd")
    assert (info.margin_bps, info.tick6, info.chain_id) == (2_000, 10_000, 31337)
    assert venue.market_info(BOOK.lower()) == info == venue.market_info("0x" + BOOK[2:].upper())


# --- round trips ------------------------------------------------------------------------------------


def test_one_cycle_of_reads_is_three_rpc_round_trips_for_fifty_wallets() -> None:
    chain = FakeChain()
    wallets = [f"0x{i + 1:040x}" for i in range(50)]
    from eth_utils import to_checksum_address

    wallets = [str(to_checksum_address(w)) for w in wallets]
    next_id = 1
    for wallet in wallets:
        ids = []
        for level in range(12):
            chain.orders[next_id] = order_words(next_id, wallet, PRICE - level * 10_000, 10**16, level < 6)
            ids.append(next_id)
            next_id += 1
        chain.user_orders[wallet] = ids
        chain.collateral[wallet] = 10**9
    venue, _, _ = make_venue(chain)
    cursor = venue.fills_cursor(BOOK)
    venue.book(BOOK, 25)  # warms the market's static facts
    chain.block += 1
    before = chain.posts
    venue.book(BOOK, 25)
    orders = venue.open_orders(BOOK, wallets)
    collateral = venue.available_collateral(wallets)
    page = venue.fills_since(BOOK, wallets, cursor)
    assert chain.posts - before == 3
    assert sum(len(o) for o in orders.values()) == 600 and set(collateral.values()) == {10**9}
    assert page.fills == () and page.cursor == str(chain.block)
    # the coalesced values are used once: a second collateral read goes to the node
    venue.available_collateral(wallets)
    assert chain.posts - before == 4


def test_collateral_is_read_again_after_a_trade() -> None:
    chain = _chain_with_orders()
    venue, _, _ = make_venue(chain)
    venue.open_orders(BOOK, [ALICE])
    chain.collateral[ALICE] = 42
    venue.submit(
        BOOK,
        "0x" + "42" * 32,
        CancelOrder(ALICE, 3),
    )
    assert venue.available_collateral([ALICE]) == {ALICE: 42}


def test_batches_without_multicall_send_one_eth_call_per_read() -> None:
    chain = _chain_with_orders()
    chain.multicall = False
    venue, _, _ = make_venue(chain, max_batch=1000)
    venue.market_info(BOOK)
    before_posts, before_methods = chain.posts, len(chain.methods)
    venue.open_orders(BOOK, [ALICE, BOB])
    assert chain.posts - before_posts == 2
    methods = chain.methods[before_methods:]
    assert methods.count("eth_call") == 2 + 2 + 4  # ids, collateral, four distinct order ids


# --- the chain id -----------------------------------------------------------------------------------


def test_chain_id_mismatch_is_a_clear_error() -> None:
    with pytest.raises(ChainMismatch, match=r"the RPC node is chain 999, but CHAIN_ID says 31337"):
        make_venue(FakeChain(chain_id=999))


# --- fills ------------------------------------------------------------------------------------------


def test_maker_fill_is_attributed_to_the_order_resting_before() -> None:
    chain = FakeChain(block=100)
    venue, _, _ = make_venue(chain)
    cursor = venue.fills_cursor(BOOK)
    # Alice rested two buys at PRICE (ids 3, then 8); the taker sold into both in block 102
    chain.history[101] = (
        {ALICE: [3, 8]},
        {3: order_words(3, ALICE, PRICE, 10**16, True), 8: order_words(8, ALICE, PRICE, 10**16, True)},
    )
    chain.add_trade(
        block=102, buyer=ALICE, seller=TAKER, price6=PRICE, amount18=10**16, tx="0x" + "aa" * 32, index=4
    )
    chain.add_trade(
        block=102, buyer=ALICE, seller=TAKER, price6=PRICE, amount18=4 * 10**15, tx="0x" + "aa" * 32, index=7
    )
    chain.add_trade(
        block=102, buyer=TAKER, seller=BOB, price6=PRICE, amount18=1, tx="0x" + "aa" * 32, index=9
    )
    chain.block = 103
    page = venue.fills_since(BOOK, [ALICE.lower()], cursor)
    assert page.cursor == "103"
    assert [(f.order_id, f.is_maker, f.amount18) for f in page.fills] == [
        (3, True, 10**16),
        (8, True, 4 * 10**15),
    ]
    first = page.fills[0]
    assert (
        first.trader == ALICE.lower()
        and first.is_buy
        and first.price6 == PRICE
        and first.counterparty == TAKER
    )
    assert first.fill_id == f"{'0x' + 'aa' * 32}:4:buy" and first.timestamp == 1_700_000_102
    posts = chain.posts
    assert venue.fills_since(BOOK, [ALICE], cursor).fills[0].order_id == 3  # stable, and cached
    assert venue.fills_since(BOOK, [ALICE], page.cursor).fills == ()
    assert chain.posts - posts == 3  # head + logs, then head alone: nothing to attribute again


def test_taker_fill_is_attributed_to_the_order_placed_in_the_transaction() -> None:
    chain = FakeChain(block=100)
    venue, _, _ = make_venue(chain)
    cursor = venue.fills_cursor(BOOK)
    tx = "0x" + "bb" * 32
    chain.add_placement(tx=tx, order_id=12, trader=BOB, price6=PRICE, amount18=10**16, is_buy=False, index=0)
    chain.add_trade(block=101, buyer=ALICE, seller=BOB, price6=PRICE, amount18=10**16, tx=tx, index=3)
    chain.history[100] = ({ALICE: [3]}, {3: order_words(3, ALICE, PRICE, 10**16, True)})
    chain.block = 101
    fills = venue.fills_since(BOOK, [ALICE, BOB], cursor).fills
    assert [(f.trader, f.is_buy, f.order_id, f.is_maker) for f in fills] == [
        (ALICE, True, 3, True),
        (BOB, False, 12, False),
    ]


def test_fill_without_state_is_still_reported() -> None:
    chain = FakeChain(block=100)
    venue, _, _ = make_venue(chain)
    cursor = venue.fills_cursor(BOOK)
    chain.add_trade(block=101, buyer=ALICE, seller=TAKER, price6=PRICE, amount18=5, tx="0x" + "cc" * 32)
    del chain.receipts["0x" + "cc" * 32]
    chain.block = 101
    (fill,) = venue.fills_since(BOOK, [ALICE], cursor).fills
    assert fill.amount18 == 5 and fill.order_id is None and fill.is_maker is None


def test_bad_cursor() -> None:
    venue, _, _ = make_venue()
    for cursor in ("", "abc", "-1", "1.5", "١٢"):
        with pytest.raises(InvalidCursor):
            venue.fills_since(BOOK, [ALICE], cursor)


def test_cursor_ahead_of_the_chain_comes_back_to_the_head() -> None:
    venue, _, _ = make_venue(FakeChain(block=50))
    page = venue.fills_since(BOOK, [ALICE], "80")
    assert page.fills == () and page.cursor == "50"


def test_a_long_gap_is_read_in_bounded_ranges() -> None:
    from ama_tui.venues.dexetra.chain import MAX_LOG_CHUNKS, MAX_LOG_RANGE

    chain = FakeChain(block=10**6)
    venue, _, _ = make_venue(chain)
    page = venue.fills_since(BOOK, [ALICE], "0")
    assert page.cursor == str(MAX_LOG_RANGE * MAX_LOG_CHUNKS - 1)
    assert chain.methods.count("eth_getLogs") == 2 * MAX_LOG_CHUNKS


# --- positions and top ------------------------------------------------------------------------------


def test_positions() -> None:
    chain = FakeChain(mark6=3_100_000_000)
    chain.positions = {ALICE: (-2 * 10**16, 3_000_000_000, 9_000_000)}
    venue, _, _ = make_venue(chain)
    result = venue.positions(BOOK, [ALICE, BOB])
    assert result[BOB].size18 == 0
    alice = result[ALICE]
    assert (alice.size18, alice.entry_price6, alice.margin_locked6) == (-2 * 10**16, 3_000_000_000, 9_000_000)
    assert alice.unrealized_pnl6 == -2_000_000


# --- RPC failures -----------------------------------------------------------------------------------


def _failing(response: httpx.Response | Exception) -> FakeChain:
    chain = FakeChain()
    armed = {"on": False}

    def fail(request: httpx.Request) -> httpx.Response | None:
        if not armed["on"]:
            return None
        if isinstance(response, Exception):
            raise response
        return response

    chain.fail_with = fail
    chain.armed = armed  # type: ignore[attr-defined]
    return chain


@pytest.mark.parametrize(
    ("failure", "kind", "code"),
    [
        (httpx.ReadTimeout("slow"), VenueUnavailable, ErrorCode.NETWORK_ERROR),
        (httpx.ConnectError("refused"), VenueUnavailable, ErrorCode.NETWORK_ERROR),
        (httpx.Response(429, text="slow down", headers={"Retry-After": "2"}), RateLimited, None),
        (httpx.Response(502, text="bad gateway"), VenueUnavailable, ErrorCode.UNAVAILABLE),
        (httpx.Response(200, text="not json"), VenueUnavailable, ErrorCode.UNAVAILABLE),
    ],
)
def test_rpc_failures_are_typed(failure: object, kind: type, code: object) -> None:
    chain = _failing(failure)  # type: ignore[arg-type]
    venue, _, _ = make_venue(chain)
    venue.market_info(BOOK)
    chain.armed["on"] = True  # type: ignore[attr-defined]
    with pytest.raises(kind) as caught:
        venue.open_orders(BOOK, [ALICE])
    if code is not None:
        assert caught.value.code == code
    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after == 2.0
    assert "rpc.test" not in str(caught.value), "the RPC URL (it may hold an API key) is never shown"


def test_a_batch_answer_missing_a_reply() -> None:
    chain = FakeChain()
    venue, _, _ = make_venue(chain)
    venue.market_info(BOOK)
    chain.fail_with = lambda request: httpx.Response(200, json=[])
    with pytest.raises(VenueUnavailable, match="no answer"):
        venue.open_orders(BOOK, [ALICE])


def test_a_reverting_multicall_is_unavailable() -> None:
    chain = FakeChain()
    venue, _, _ = make_venue(chain)
    venue.market_info(BOOK)
    chain.fail_with = lambda request: httpx.Response(
        200, json={"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batch too large"}}
    )
    with pytest.raises(VenueUnavailable, match="batch too large"):
        venue.open_orders(BOOK, [ALICE])


def test_the_venue_is_a_venue_and_never_shows_the_rpc_path() -> None:
    from ama_tui.settings import LiveSettings
    from ama_tui.venues.base import Venue, VenueKind
    from ama_tui.venues.dexetra import DexetraVenue

    from .fakes import SETTINGS, FakeApp

    chain = FakeChain()
    secret = LiveSettings(
        "http://rpc.test:8545/v2/SECRETKEY", SETTINGS.session_registry, SETTINGS.chain_id, SETTINGS.app_url
    )
    venue = DexetraVenue(
        secret, kind=VenueKind.LIVE, rpc_transport=chain.transport(), api_transport=FakeApp().transport()
    )
    assert isinstance(venue, Venue) and venue.kind is VenueKind.LIVE
    assert "SECRETKEY" not in repr(venue)
    venue.market_info(BOOK)
    chain.fail_with = lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused"))
    with pytest.raises(VenueUnavailable) as caught:
        venue.available_collateral([ALICE])
    assert "SECRETKEY" not in str(caught.value) and "rpc.test" not in str(caught.value)
    venue.close()
    venue.close()
