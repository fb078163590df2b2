"""The order book through direct contract calls, as the relay will make them: a relayer sends
session trades for the trader; other accounts seed depth and take liquidity directly."""

from __future__ import annotations

import gzip
import json
import random

import pytest
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from ama_tui.core.margin import estimate_margin6
from ama_tui.devnet.deploy import DevnetTxError, fund, send_as
from ama_tui.protocol.abi import MULTICALL3_ABI, MULTICALL3_ADDRESS, ORDER_BOOK_ABI_V10, ORDER_FIELDS_V10
from ama_tui.protocol.errors import ErrorCode, classify

from .conftest import ALU, BTC, TRADER_FUNDS6, UNIT, Devnet

pytestmark = pytest.mark.devnet

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def margin(price6: int, amount18: int, is_buy: bool, margin_bps: int = ALU.margin_bps) -> int:
    return estimate_margin6(price6, amount18, is_buy, margin_bps)


def protocol_view(devnet: Devnet, book: Contract) -> Contract:
    """The book as the production adapter sees a current deployment: through ama_tui.protocol's ABI."""
    return devnet.w3.eth.contract(address=book.address, abi=ORDER_BOOK_ABI_V10)


def order(devnet: Devnet, book: Contract, order_id: int) -> dict[str, object]:
    fields = protocol_view(devnet, book).functions.getOrder(order_id).call()
    assert len(fields) == len(ORDER_FIELDS_V10) == 10
    return dict(zip(ORDER_FIELDS_V10, fields, strict=True))


def maker_order(devnet: Devnet, book: Contract, trader: str, price6: int, amount18: int, is_buy: bool) -> int:
    receipt = devnet.send(trader, book.functions.placeMarginLimit(price6, amount18, is_buy))
    return int(devnet.events(book, "OrderPlaced", receipt)[0]["orderId"])


def test_views_of_an_empty_book(devnet: Devnet) -> None:
    view = protocol_view(devnet, devnet.alu).functions
    assert view.bestBid().call() == view.bestAsk().call() == 0
    assert view.getBestPrices().call() == [0, 0]
    assert view.lastTradePrice().call() == 1_000_000  # the placeholder of a market that never traded
    assert view.getUserOrders(devnet.trader).call() == []
    assert view.getUserPosition(devnet.trader).call() == 0
    vault, market_id, use_vwap, window = view.marketStatic().call()
    assert (vault, "0x" + market_id.hex(), use_vwap, window) == (
        devnet.deployment.vault,
        devnet.deployment.market("ALU-USD").market_id_bytes32,
        False,
        0,
    )
    assert view.getLeverageInfo().call() == [False, 1, 10_000, devnet.deployer]
    btc_leverage = protocol_view(devnet, devnet.btc).functions.getLeverageInfo().call()
    assert btc_leverage == [True, 5, 2_000, devnet.deployer]
    assert devnet.vault.functions.getMarkPrice(market_id).call() == 0
    assert order(devnet, devnet.alu, 12345)["trader"] == ZERO_ADDRESS


def test_place_modify_and_cancel_a_margin_limit_order_through_a_session(devnet: Devnet) -> None:
    book = devnet.alu
    free = devnet.available(devnet.trader)
    assert free == TRADER_FUNDS6

    order_id, receipt = devnet.place(book, 4_400_000, 2 * UNIT, True)
    assert devnet.events(book, "OrderPlaced", receipt) == [
        {
            "orderId": order_id,
            "trader": devnet.trader,
            "price": 4_400_000,
            "amount": 2 * UNIT,
            "isBuy": True,
            "isMarginOrder": True,
        }
    ]
    placed = order(devnet, book, order_id)
    assert placed["orderId"] == order_id and placed["trader"] == devnet.trader
    assert (placed["price"], placed["amount"], placed["isBuy"], placed["isMarginOrder"]) == (
        4_400_000,
        2 * UNIT,
        True,
        True,
    )
    assert placed["marginRequired"] == margin(4_400_000, 2 * UNIT, True) == 8_800_000
    assert placed["timestamp"] == devnet.now() and placed["nextOrderId"] == placed["prevOrderId"] == 0
    assert protocol_view(devnet, book).functions.getUserOrders(devnet.trader).call() == [order_id]
    assert devnet.available(devnet.trader) == free - 8_800_000
    assert book.functions.bestBid().call() == 4_400_000

    modify = book.functions.sessionModifyOrder(
        devnet.session_id, devnet.trader, order_id, 4_300_000, 3 * UNIT, devnet.proof()
    )
    returned = modify.call({"from": devnet.relayer})
    receipt = devnet.send(devnet.relayer, modify)
    (modified,) = devnet.events(book, "OrderModified", receipt)
    new_id = modified["newOrderId"]
    assert returned == new_id
    assert modified == {
        "oldOrderId": order_id,
        "newOrderId": new_id,
        "trader": devnet.trader,
        "newPrice": 4_300_000,
        "newAmount": 3 * UNIT,
    }
    assert [e["orderId"] for e in devnet.events(book, "OrderCancelled", receipt)] == [order_id]
    assert [e["orderId"] for e in devnet.events(book, "OrderPlaced", receipt)] == [new_id]
    assert order(devnet, book, order_id)["trader"] == ZERO_ADDRESS
    assert order(devnet, book, new_id)["price"] == 4_300_000
    assert book.functions.getUserOrders(devnet.trader).call() == [new_id]
    assert devnet.available(devnet.trader) == free - margin(4_300_000, 3 * UNIT, True)
    assert book.functions.getBestPrices().call() == [4_300_000, 0]

    cancel = book.functions.sessionCancelOrder(devnet.session_id, devnet.trader, new_id, devnet.proof())
    receipt = devnet.send(devnet.relayer, cancel)
    assert devnet.events(book, "OrderCancelled", receipt) == [
        {"orderId": new_id, "trader": devnet.trader, "price": 4_300_000, "amount": 3 * UNIT, "isBuy": True}
    ]
    assert devnet.available(devnet.trader) == free
    assert book.functions.getUserOrders(devnet.trader).call() == []
    assert book.functions.getBestPrices().call() == [0, 0]


def test_sells_reserve_150_percent_and_buys_the_market_requirement(devnet: Devnet) -> None:
    free = devnet.available(devnet.trader)
    devnet.place(devnet.btc, 59_000_000_000, UNIT // 10, True)
    devnet.place(devnet.btc, 61_000_000_000, UNIT // 10, False)
    buy = margin(59_000_000_000, UNIT // 10, True, BTC.margin_bps)
    sell = margin(61_000_000_000, UNIT // 10, False, BTC.margin_bps)
    assert (buy, sell) == (1_180_000_000, 9_150_000_000)
    assert devnet.available(devnet.trader) == free - buy - sell


def test_a_fill_against_the_traders_order_emits_the_trade_and_moves_margin(devnet: Devnet) -> None:
    book, trader = devnet.alu, devnet.trader
    free = devnet.available(trader)
    order_id, _ = devnet.place(book, 4_600_000, 2 * UNIT, False)

    receipt = devnet.send(devnet.taker, book.functions.placeMarginMarket(UNIT // 2, True))
    assert devnet.events(book, "TradeExecutionCompleted", receipt) == [
        {"buyer": devnet.taker, "seller": trader, "price": 4_600_000, "amount": UNIT // 2}
    ]
    assert book.functions.getFilledAmount(order_id).call() == UNIT // 2
    partly = order(devnet, book, order_id)
    assert partly["amount"] == 3 * UNIT // 2
    assert partly["marginRequired"] == margin(4_600_000, 3 * UNIT // 2, False)
    short_margin = margin(4_600_000, UNIT // 2, False)
    assert devnet.available(trader) == free - partly["marginRequired"] - short_margin
    assert book.functions.getUserPosition(trader).call() == -UNIT // 2
    market_id = devnet.market_id(book)
    assert devnet.vault.functions.getPositionSummary(trader, market_id).call() == [
        -UNIT // 2,
        4_600_000,
        short_margin,
    ]
    assert book.functions.lastTradePrice().call() == 4_600_000
    assert devnet.vault.functions.getMarkPrice(market_id).call() == 4_600_000

    # a bigger market order takes what rests (1.5) and stops
    take_rest = book.functions.placeMarginMarket(2 * UNIT, True)
    assert take_rest.call({"from": devnet.taker}) == 3 * UNIT // 2
    devnet.send(devnet.taker, take_rest)
    assert order(devnet, book, order_id)["trader"] == ZERO_ADDRESS
    assert book.functions.getFilledAmount(order_id).call() == 2 * UNIT
    assert book.functions.getUserOrders(trader).call() == []
    assert book.functions.bestAsk().call() == 0
    assert book.functions.getUserPosition(devnet.taker).call() == 2 * UNIT

    # buying back 0.10 lower through a crossing session limit order realizes +0.20 USDC
    maker_order(devnet, book, devnet.maker, 4_500_000, 2 * UNIT, False)
    devnet.place(book, 4_500_000, 2 * UNIT, True)
    assert book.functions.getUserPosition(trader).call() == 0
    assert devnet.vault.functions.realizedPnl(trader).call() == 200_000
    assert devnet.available(trader) == free + 200_000


def test_price_then_time_priority(devnet: Devnet) -> None:
    book = devnet.alu
    first = maker_order(devnet, book, devnet.maker, 4_520_000, UNIT, False)
    second = maker_order(devnet, book, devnet.maker, 4_520_000, UNIT, False)
    better = maker_order(devnet, book, devnet.maker, 4_510_000, UNIT, False)

    receipt = devnet.send(devnet.taker, book.functions.placeMarginMarket(3 * UNIT // 2, True))
    trades = devnet.events(book, "TradeExecutionCompleted", receipt)
    assert [(t["price"], t["amount"]) for t in trades] == [(4_510_000, UNIT), (4_520_000, UNIT // 2)]
    filled = [book.functions.getFilledAmount(i).call() for i in (first, second, better)]
    assert filled == [UNIT // 2, 0, UNIT]

    receipt = devnet.send(devnet.taker, book.functions.placeMarginMarket(UNIT, True))
    filled = [book.functions.getFilledAmount(i).call() for i in (first, second)]
    assert filled == [UNIT, UNIT // 2]
    assert book.functions.getOrderBookDepth(5).call() == [[], [], [4_520_000], [UNIT // 2]]

    # the same price on the bid side: the maker was first, so the maker fills first
    maker_bid = maker_order(devnet, book, devnet.maker, 4_400_000, UNIT, True)
    trader_bid, _ = devnet.place(book, 4_400_000, UNIT, True)
    devnet.send(devnet.taker, book.functions.placeMarginMarket(UNIT, False))
    assert book.functions.getFilledAmount(maker_bid).call() == UNIT
    assert book.functions.getFilledAmount(trader_bid).call() == 0


def test_a_market_order_into_an_empty_side_reverts_no_liq(devnet: Devnet) -> None:
    session_market = devnet.btc.functions.sessionPlaceMarginMarket(
        devnet.session_id, devnet.trader, UNIT, True, devnet.proof()
    )
    reason = devnet.revert_reason(devnet.relayer, session_market)
    assert reason == "execution reverted: OB: no liq" and classify(reason) is ErrorCode.NO_LIQUIDITY
    direct = devnet.btc.functions.placeMarginMarket(UNIT, False)
    assert classify(devnet.revert_reason(devnet.taker, direct)) is ErrorCode.NO_LIQUIDITY


def test_a_session_market_order_fills_and_charges_the_notional_at_the_best_price(devnet: Devnet) -> None:
    book = devnet.alu
    maker_order(devnet, book, devnet.maker, 4_510_000, UNIT, False)
    maker_order(devnet, book, devnet.maker, 4_530_000, UNIT, False)
    call = book.functions.sessionPlaceMarginMarket(
        devnet.session_id, devnet.trader, 3 * UNIT // 2, True, devnet.proof()
    )
    assert call.call({"from": devnet.relayer}) == 3 * UNIT // 2
    devnet.send(devnet.relayer, call)
    assert book.functions.getUserPosition(devnet.trader).call() == 3 * UNIT // 2
    used = devnet.registry.functions.sessions(devnet.session_id).call()[5]
    assert used == 4_510_000 * 3 // 2  # production charges amount x best ask, not the walked fills


def _book_state(devnet: Devnet, book: Contract) -> tuple[object, ...]:
    return (
        tuple(book.functions.getUserOrders(devnet.trader).call()),
        tuple(book.functions.getBestPrices().call()),
        devnet.available(devnet.trader),
        devnet.registry.functions.sessions(devnet.session_id).call()[5],
    )


def test_bad_prices_and_amounts_are_rejected_and_change_nothing(devnet: Devnet) -> None:
    book = devnet.alu
    resting, _ = devnet.place(book, 4_400_000, UNIT, True)
    before = _book_state(devnet, book)

    def limit(price6: int, amount18: int) -> ContractFunction:
        return book.functions.sessionPlaceMarginLimit(
            devnet.session_id, devnet.trader, price6, amount18, True, devnet.proof()
        )

    cases = [
        (limit(4_405_000, UNIT), ErrorCode.OFF_TICK),
        (limit(0, UNIT), ErrorCode.INVALID_PRICE),
        (limit(4_400_000, 0), ErrorCode.INVALID_AMOUNT),
        (
            book.functions.sessionModifyOrder(
                devnet.session_id, devnet.trader, resting, 4_399_999, UNIT, devnet.proof()
            ),
            ErrorCode.OFF_TICK,
        ),
    ]
    for call, code in cases:
        assert classify(devnet.revert_reason(devnet.relayer, call)) is code
        # mined anyway (explicit gas skips estimation): the revert leaves no trace
        with pytest.raises(DevnetTxError) as mined:
            send_as(devnet.w3, devnet.relayer, call, gas=1_000_000)
        assert classify(str(mined.value)) is code
        assert _book_state(devnet, book) == before
    assert order(devnet, book, resting)["amount"] == UNIT


def _storage_slots(devnet: Devnet, contract: Contract) -> int:
    dumped = devnet.w3.provider.make_request("anvil_dumpState", [])["result"]  # type: ignore[arg-type]
    accounts = json.loads(gzip.decompress(bytes.fromhex(dumped[2:])))["accounts"]
    held = {address.lower(): account for address, account in accounts.items()}
    return len(held[contract.address.lower()].get("storage", {}))


def test_a_resting_order_at_a_new_price_takes_seven_storage_slots(devnet: Devnet) -> None:
    """anvil rebuilds the state root of every account's storage for each block, so the book's slots
    are what every later block costs: stored as the ABI's plain words an order and its new level
    took 17 (a 50 x 6 pack made each block ~10x dearer). Packed: 3 for the order, 2 for its price
    level, 2 for the trader's list of ids; read back as the 10-field struct."""
    book = devnet.alu
    devnet.place(book, 4_400_000, UNIT, True)  # the side's first level: best, worst and counters set
    before = _storage_slots(devnet, book)
    order_id, _ = devnet.place(book, 4_300_000, UNIT, True)  # a new, worse level
    assert _storage_slots(devnet, book) - before == 7
    placed = order(devnet, book, order_id)
    assert (placed["orderId"], placed["price"], placed["amount"], placed["isBuy"]) == (
        order_id,
        4_300_000,
        UNIT,
        True,
    )
    assert placed["trader"] == devnet.trader and placed["isMarginOrder"] is True
    assert placed["marginRequired"] == margin(4_300_000, UNIT, True)


def test_orders_of_others_and_unknown_orders_cannot_be_cancelled(devnet: Devnet) -> None:
    book = devnet.alu
    theirs = maker_order(devnet, book, devnet.maker, 4_400_000, UNIT, True)
    steal = book.functions.sessionCancelOrder(devnet.session_id, devnet.trader, theirs, devnet.proof())
    assert classify(devnet.revert_reason(devnet.relayer, steal)) is ErrorCode.NOT_ORDER_OWNER
    assert classify(devnet.revert_reason(devnet.trader, book.functions.cancelOrder(theirs))) is (
        ErrorCode.NOT_ORDER_OWNER
    )
    ghost = book.functions.sessionCancelOrder(devnet.session_id, devnet.trader, 999_999, devnet.proof())
    assert classify(devnet.revert_reason(devnet.relayer, ghost)) is ErrorCode.UNKNOWN_ORDER


def test_an_order_beyond_free_collateral_is_rejected(devnet: Devnet) -> None:
    broke = devnet.open_session(key=devnet.pauper_key)
    place = devnet.alu.functions.sessionPlaceMarginLimit(
        broke, devnet.pauper, 4_400_000, UNIT, True, devnet.proof()
    )
    reason = devnet.revert_reason(devnet.relayer, place)
    assert reason == "execution reverted: insufficient_collateral"
    assert classify(reason) is ErrorCode.INSUFFICIENT_COLLATERAL
    # a taker without collateral cannot open a position either
    maker_order(devnet, devnet.alu, devnet.maker, 4_510_000, UNIT, False)
    take = devnet.alu.functions.sessionPlaceMarginMarket(broke, devnet.pauper, UNIT, True, devnet.proof())
    assert classify(devnet.revert_reason(devnet.relayer, take)) is ErrorCode.INSUFFICIENT_COLLATERAL


def test_levels_stay_sorted_and_aggregated_through_random_inserts_and_cancels(devnet: Devnet) -> None:
    book, maker = devnet.alu, devnet.maker
    rng = random.Random(7)
    resting: dict[int, tuple[int, int, bool]] = {}
    for _ in range(16):
        is_buy = rng.random() < 0.5
        ticks = rng.randint(1, 8)
        price = ALU.initial_price6 + (-ticks if is_buy else ticks) * ALU.tick6
        amount = rng.randint(1, 4) * UNIT // 4
        resting[maker_order(devnet, book, maker, price, amount, is_buy)] = (price, amount, is_buy)
    for order_id in rng.sample(sorted(resting), 5):
        devnet.send(maker, book.functions.cancelOrder(order_id))
        del resting[order_id]

    def expected(is_buy: bool) -> tuple[list[int], list[int]]:
        totals: dict[int, int] = {}
        for price, amount, side in resting.values():
            if side == is_buy:
                totals[price] = totals.get(price, 0) + amount
        prices = sorted(totals, reverse=is_buy)
        return prices, [totals[p] for p in prices]

    bids, bid_amounts = expected(True)
    asks, ask_amounts = expected(False)
    assert book.functions.getOrderBookDepth(25).call() == [bids, bid_amounts, asks, ask_amounts]
    top_two = [bids[:2], bid_amounts[:2], asks[:2], ask_amounts[:2]]
    assert book.functions.getOrderBookDepth(2).call() == top_two
    assert sorted(book.functions.getUserOrders(maker).call()) == sorted(resting)
    buys = sum(1 for _, _, side in resting.values() if side)
    assert book.functions.getActiveOrdersCount().call() == [buys, len(resting) - buys]

    # a crossing limit buy sweeps every ask up to its price, then rests the rest as the best bid
    limit = asks[len(asks) // 2]
    swept = sum(a for p, a in zip(asks, ask_amounts, strict=True) if p <= limit)
    receipt = devnet.send(devnet.taker, book.functions.placeMarginLimit(limit, swept + UNIT, True))
    assert sum(t["amount"] for t in devnet.events(book, "TradeExecutionCompleted", receipt)) == swept
    assert book.functions.getBestPrices().call() == [limit, next((p for p in asks if p > limit), 0)]
    assert book.functions.getOrderBookDepth(1).call()[1] == [UNIT]


def test_multicall3_batches_reads_at_the_canonical_address(devnet: Devnet) -> None:
    book = devnet.alu
    maker_order(devnet, book, devnet.maker, 4_400_000, UNIT, True)
    multicall = devnet.w3.eth.contract(address=MULTICALL3_ADDRESS, abi=MULTICALL3_ABI)
    failing = book.encode_abi("cancelOrder", args=[999_999])
    calls = [
        (book.address, False, book.encode_abi("bestBid", args=[])),
        (book.address, False, book.encode_abi("getUserOrders", args=[devnet.maker])),
        (book.address, True, failing),
    ]
    (bid_ok, bid), (orders_ok, orders), (cancel_ok, _) = multicall.functions.aggregate3(calls).call()
    assert bid_ok and orders_ok and not cancel_ok
    assert devnet.w3.codec.decode(["uint256"], bid) == (4_400_000,)
    assert len(devnet.w3.codec.decode(["uint256[]"], orders)[0]) == 1
    strict = multicall.functions.aggregate3([(book.address, False, failing)])
    assert devnet.revert_reason(devnet.maker, strict) == "execution reverted: Multicall3: call failed"


def test_matching_stops_after_50_maker_fills(devnet: Devnet) -> None:
    book = devnet.alu
    # 51 tiny asks in one transaction: Multicall3 itself is the maker
    fund(devnet.deployment, [MULTICALL3_ADDRESS], 1_000 * 10**6)
    multicall = devnet.w3.eth.contract(address=MULTICALL3_ADDRESS, abi=MULTICALL3_ABI)
    place = book.encode_abi("placeMarginLimit", args=[4_510_000, UNIT // 100, False])
    devnet.send(devnet.maker, multicall.functions.aggregate3([(book.address, False, place)] * 51))
    assert book.functions.getActiveOrdersCount().call() == [0, 51]
    assert book.functions.MAX_FILLS_PER_ORDER().call() == 50

    crossing = book.functions.placeMarginLimit(4_510_000, UNIT, True)
    assert devnet.revert_reason(devnet.taker, crossing) == "execution reverted: OB: max fills"
    market = book.functions.placeMarginMarket(UNIT, True)
    assert market.call({"from": devnet.taker}) == 50 * UNIT // 100
    receipt = devnet.send(devnet.taker, market)
    assert len(devnet.events(book, "TradeExecutionCompleted", receipt)) == 50
    assert receipt["gasUsed"] < 10_000_000
    assert book.functions.getActiveOrdersCount().call() == [0, 1]
