"""Fills attributed to their order and side whatever the order of the events in the transaction.

The real contract (reference section 7) emits a crossing order's `TradeExecutionCompleted` logs
*before* the taker's own `OrderPlaced`, for limit and market orders alike; the devnet emitted them
after. These receipts are laid out as the real contract writes them.
"""

from __future__ import annotations

from typing import Any

from eth_abi import encode as abi_encode

from ama_tui.venues.dexetra.codec import TRADE_TOPIC, address_topic
from ama_tui.venues.dexetra.fills import FillSide, TradeLog, taker_order_id
from ama_tui.venues.dexetra.receipts import Placement

from .fakes import ALICE, BOB, BOOK, TAKER, FakeChain, make_venue, order_words

PRICE = 2_999_500_000


def _trade_in_receipt(
    chain: FakeChain, *, block: int, buyer: str, seller: str, amount18: int, tx: str, index: int
) -> None:
    """The trade's log, both where eth_getLogs finds it and in its transaction's receipt."""
    chain.add_trade(
        block=block, buyer=buyer, seller=seller, price6=PRICE, amount18=amount18, tx=tx, index=index
    )
    log: dict[str, Any] = dict(chain.logs[-1])
    chain.receipts[tx]["logs"].append(log)


def test_a_crossing_limit_order_logs_its_trades_before_its_placement() -> None:
    chain = FakeChain(block=100)
    venue, _, _ = make_venue(chain)
    cursor = venue.fills_cursor(BOOK)
    tx = "0x" + "d1" * 32
    # Alice (ours) and an outsider rest bids at PRICE; Bob (ours) sells into both, then his order is placed
    chain.history[100] = (
        {ALICE: [3], BOB: [5]},
        {3: order_words(3, ALICE, PRICE, 10**16, True), 5: order_words(5, BOB, PRICE, 10**16, False)},
    )
    _trade_in_receipt(chain, block=101, buyer=ALICE, seller=BOB, amount18=10**16, tx=tx, index=0)
    _trade_in_receipt(chain, block=101, buyer=TAKER, seller=BOB, amount18=10**15, tx=tx, index=1)
    chain.add_placement(
        tx=tx, order_id=12, trader=BOB, price6=PRICE, amount18=2 * 10**16, is_buy=False, index=2
    )
    chain.block = 101
    fills = venue.fills_since(BOOK, [ALICE, BOB], cursor).fills
    assert [(f.trader, f.is_buy, f.order_id, f.is_maker, f.amount18) for f in fills] == [
        (ALICE, True, 3, True, 10**16),
        (BOB, False, 12, False, 10**16),  # not his resting sell 5 at the same price
        (BOB, False, 12, False, 10**15),
    ]


def test_a_market_order_fill_carries_the_market_order_and_taker_side() -> None:
    chain = FakeChain(block=100)
    venue, _, _ = make_venue(chain)
    cursor = venue.fills_cursor(BOOK)
    tx = "0x" + "d2" * 32
    chain.history[100] = ({ALICE: [7]}, {7: order_words(7, ALICE, PRICE, 10**16, False)})
    _trade_in_receipt(chain, block=101, buyer=BOB, seller=ALICE, amount18=4 * 10**15, tx=tx, index=0)
    chain.add_placement(tx=tx, order_id=21, trader=BOB, price6=0, amount18=4 * 10**15, is_buy=True, index=1)
    chain.block = 101
    fills = venue.fills_since(BOOK, [ALICE, BOB], cursor).fills
    assert [(f.trader, f.is_buy, f.order_id, f.is_maker) for f in fills] == [
        (BOB, True, 21, False),
        (ALICE, False, 7, True),
    ]


def _side(index: int, trader: str = BOB, is_buy: bool = False) -> FillSide:
    log = TradeLog(101, index, "0x" + "d3" * 32, TAKER if not is_buy else trader, trader, PRICE, 1)
    return FillSide(log, trader, is_buy)


def test_taker_order_of_either_event_order() -> None:
    real = [Placement(2, 12, BOB, False)]
    devnet = [Placement(0, 12, BOB, False)]
    assert taker_order_id(real, _side(1)) == taker_order_id(devnet, _side(1)) == 12
    assert taker_order_id([Placement(2, 12, BOB, True)], _side(1)) is None, "another side"
    assert taker_order_id([Placement(2, 12, ALICE, False)], _side(1)) is None, "another trader"
    # two orders in one transaction, trades first (the real order): each trade to the next placement
    two = [Placement(1, 12, BOB, False), Placement(3, 13, BOB, False)]
    assert [taker_order_id(two, _side(i)) for i in (0, 2)] == [12, 13]
    assert taker_order_id(two, _side(4)) == 13, "after every placement: the last one"


def test_the_trade_log_data_is_what_the_reader_decodes() -> None:
    """The synthetic logs above are the contract's encoding (guards the fake itself)."""
    chain = FakeChain()
    chain.add_trade(block=1, buyer=ALICE, seller=BOB, price6=PRICE, amount18=3, tx="0x" + "d4" * 32)
    log = chain.logs[-1]
    assert log["topics"] == [TRADE_TOPIC, address_topic(ALICE), address_topic(BOB)]
    assert log["data"] == "0x" + abi_encode(["uint256", "uint256"], [PRICE, 3]).hex()
