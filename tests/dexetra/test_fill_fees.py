"""Each fill's fee from the production contract's `FeesDeducted` logs.

The trade facet emits, per trade, `TradeExecutionStarted`, then `FeesDeducted(buyer, buyerFee,
seller, sellerFee)` when any fee was charged, then `TradeExecutionCompleted`, all in the same
transaction. These logs are laid out that way (the `Started` log is not read, so it is left out).
"""

from __future__ import annotations

from ama_tui.venues.dexetra.fills import FeeLog, TradeLog, with_fees

from .fakes import ALICE, BOB, BOOK, TAKER, FakeChain, make_venue

PRICE = 3_000_000_000
TX = "0x" + "f1" * 32


def test_each_side_gets_its_own_fee() -> None:
    chain = FakeChain(block=100)
    venue, _, _ = make_venue(chain)
    cursor = venue.fills_cursor(BOOK)
    chain.add_fees(block=101, buyer=ALICE, seller=BOB, buyer_fee6=1_500, seller_fee6=600, tx=TX, index=1)
    chain.add_trade(block=101, buyer=ALICE, seller=BOB, price6=PRICE, amount18=10**16, tx=TX, index=2)
    chain.block = 101
    fills = venue.fills_since(BOOK, [ALICE, BOB], cursor).fills
    assert [(f.trader, f.is_buy, f.fee6) for f in fills] == [(ALICE, True, 1_500), (BOB, False, 600)]
    # one of ours alone still gets its side's fee
    (alone,) = venue.fills_since(BOOK, [BOB], cursor).fills
    assert alone.fee6 == 600
    # the fee logs come in the trade logs' own requests: a buyer and a seller filter per read
    assert chain.methods.count("eth_getLogs") == 4


def test_two_trades_in_one_transaction_each_take_their_own_fee() -> None:
    chain = FakeChain(block=100)
    venue, _, _ = make_venue(chain)
    cursor = venue.fills_cursor(BOOK)
    # Alice's buy sweeps two resting sells of the taker's, then one of Bob's that charged no fee
    chain.add_fees(block=101, buyer=ALICE, seller=TAKER, buyer_fee6=300, seller_fee6=100, tx=TX, index=1)
    chain.add_trade(block=101, buyer=ALICE, seller=TAKER, price6=PRICE, amount18=10**16, tx=TX, index=2)
    chain.add_fees(block=101, buyer=ALICE, seller=TAKER, buyer_fee6=90, seller_fee6=30, tx=TX, index=4)
    chain.add_trade(block=101, buyer=ALICE, seller=TAKER, price6=PRICE, amount18=3 * 10**15, tx=TX, index=5)
    chain.add_trade(block=101, buyer=ALICE, seller=BOB, price6=PRICE, amount18=10**15, tx=TX, index=7)
    chain.add_trade(block=101, buyer=ALICE, seller=TAKER, price6=PRICE, amount18=10**15, tx=TX, index=9)
    chain.block = 101
    fills = venue.fills_since(BOOK, [ALICE, BOB], cursor).fills
    assert [(f.trader, f.amount18, f.fee6) for f in fills] == [
        (ALICE, 10**16, 300),
        (ALICE, 3 * 10**15, 90),
        (ALICE, 10**15, 0),
        (BOB, 10**15, 0),
        (ALICE, 10**15, 0),  # the earlier fee events were taken by the trades they preceded
    ]


def test_no_fee_event_means_no_fee() -> None:
    chain = FakeChain(block=100)
    venue, _, _ = make_venue(chain)
    cursor = venue.fills_cursor(BOOK)
    other_tx = "0x" + "f2" * 32
    # a fee of the same pair in another transaction is not this trade's
    chain.add_fees(block=101, buyer=ALICE, seller=TAKER, buyer_fee6=77, seller_fee6=11, tx=other_tx, index=0)
    chain.add_trade(block=101, buyer=ALICE, seller=TAKER, price6=PRICE, amount18=10**16, tx=TX, index=3)
    chain.block = 101
    (fill,) = venue.fills_since(BOOK, [ALICE], cursor).fills
    assert fill.fee6 == 0


def test_fees_come_with_the_logs_a_cycle_prefetches() -> None:
    """A cycle's open-orders read also fetches the fill logs (its second round trip); the
    `fills_since` that follows takes them: their fees must come along."""
    chain = FakeChain(block=100)
    venue, _, _ = make_venue(chain)
    cursor = venue.fills_cursor(BOOK)
    venue.book(BOOK, 5)  # the market's static facts
    chain.add_fees(block=101, buyer=ALICE, seller=TAKER, buyer_fee6=900, seller_fee6=300, tx=TX, index=0)
    chain.add_trade(block=101, buyer=ALICE, seller=TAKER, price6=PRICE, amount18=10**16, tx=TX, index=1)
    chain.block = 101
    venue.open_orders(BOOK, [ALICE])
    log_reads = chain.methods.count("eth_getLogs")
    assert log_reads > 0
    (fill,) = venue.fills_since(BOOK, [ALICE], cursor).fills
    assert chain.methods.count("eth_getLogs") == log_reads  # taken from the prefetch
    assert fill.fee6 == 900


def _trade(index: int, buyer: str = ALICE, seller: str = TAKER, tx: str = TX) -> TradeLog:
    return TradeLog(101, index, tx, buyer, seller, PRICE, 1)


def _fee(index: int, buyer_fee6: int, buyer: str = ALICE, seller: str = TAKER) -> FeeLog:
    return FeeLog(101, index, TX, buyer, seller, buyer_fee6, buyer_fee6 // 2)


def test_a_fee_is_matched_in_chain_order_whatever_order_the_logs_arrive_in() -> None:
    trades = with_fees([_trade(6), _fee(5, 40), _trade(3), _fee(1, 10), _fee(2, 99, seller=BOB)])
    assert [(t.log_index, t.buyer_fee6, t.seller_fee6) for t in trades] == [(3, 10, 5), (6, 40, 20)]


def test_a_fee_after_its_trade_is_not_taken() -> None:
    (trade,) = with_fees([_trade(1), _fee(2, 10)])
    assert (trade.buyer_fee6, trade.seller_fee6) == (0, 0)
