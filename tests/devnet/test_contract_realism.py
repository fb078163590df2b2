"""The devnet's contracts behave like production's where a client can tell (reference section 7).

One test per behaviour; each of them failed against the earlier stand-ins, which logged a taker's
`OrderPlaced` first, matched a trader against itself, marked a fresh market at its initial price,
returned the 9-field `Order`, enforced `allowedMarkets` with coarse revert reasons, returned nothing
from `sessionModifyOrder`, still had the non-margin session placements, and rested dust orders.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import pytest
from eth_utils import keccak
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError
from web3.types import TxReceipt

from ama_tui.protocol.abi import ORDER_BOOK_ABI, ORDER_BOOK_ABI_V10, ORDER_FIELDS_V10, event_topic
from ama_tui.protocol.errors import ErrorCode, classify
from ama_tui.protocol.methods import MethodBit

from .conftest import UNIT, Devnet

pytestmark = pytest.mark.devnet

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
PLACEHOLDER_PRICE6 = 1_000_000

BookEvent: TypeAlias = tuple[str, dict[str, Any]]


def _selector(signature: str) -> str:
    return "0x" + keccak(text=signature)[:4].hex()


def book_events(book: Contract, receipt: TxReceipt) -> list[BookEvent]:
    """The book's events in a receipt, in log order, as (name, args)."""
    names = {event_topic(dict(entry)): str(entry["name"]) for entry in book.abi if entry["type"] == "event"}
    events: list[BookEvent] = []
    for log in receipt["logs"]:
        name = names.get("0x" + bytes(log["topics"][0]).hex())
        if log["address"] == book.address and name is not None:
            events.append((name, dict(getattr(book.events, name)().process_log(log)["args"])))
    return events


def custom_error(sender: str, function: ContractFunction) -> str:
    """The revert data of a call that reverts with a custom error (its 4-byte selector)."""
    with pytest.raises(ContractCustomError) as raised:
        function.call({"from": sender})
    return str(raised.value.data)


def session_limit(
    devnet: Devnet, book: Contract, price6: int, amount18: int, is_buy: bool
) -> ContractFunction:
    return book.functions.sessionPlaceMarginLimit(
        devnet.session_id, devnet.trader, price6, amount18, is_buy, devnet.proof()
    )


def placed(devnet: Devnet, book: Contract, trader: str, price6: int, amount18: int, is_buy: bool) -> int:
    receipt = devnet.send(trader, book.functions.placeMarginLimit(price6, amount18, is_buy))
    return int(devnet.events(book, "OrderPlaced", receipt)[0]["orderId"])


def order_placed(order_id: int, trader: str, price6: int, amount18: int, is_buy: bool) -> BookEvent:
    return (
        "OrderPlaced",
        {
            "orderId": order_id,
            "trader": trader,
            "price": price6,
            "amount": amount18,
            "isBuy": is_buy,
            "isMarginOrder": True,
        },
    )


def order_cancelled(order_id: int, trader: str, price6: int, amount18: int, is_buy: bool) -> BookEvent:
    return (
        "OrderCancelled",
        {"orderId": order_id, "trader": trader, "price": price6, "amount": amount18, "isBuy": is_buy},
    )


def trade(buyer: str, seller: str, price6: int, amount18: int) -> BookEvent:
    return (
        "TradeExecutionCompleted",
        {"buyer": buyer, "seller": seller, "price": price6, "amount": amount18},
    )


def test_a_taker_logs_its_trades_before_its_own_order_placed(devnet: Devnet) -> None:
    book, trader, maker, taker = devnet.alu, devnet.trader, devnet.maker, devnet.taker
    placed(devnet, book, maker, 4_510_000, UNIT, False)
    placed(devnet, book, maker, 4_520_000, UNIT, False)

    # resting: only its OrderPlaced
    resting_id, receipt = devnet.place(book, 4_400_000, UNIT, True)
    assert book_events(book, receipt) == [order_placed(resting_id, trader, 4_400_000, UNIT, True)]

    # crossing, partly filled: the trade, then OrderPlaced with the amount left resting
    crossing_id, receipt = devnet.place(book, 4_510_000, 2 * UNIT, True)
    assert book_events(book, receipt) == [
        trade(trader, maker, 4_510_000, UNIT),
        order_placed(crossing_id, trader, 4_510_000, UNIT, True),
    ]
    assert book.functions.getOrder(crossing_id).call()[3] == UNIT

    # crossing, fully filled: the trade, then OrderPlaced with amount 0, and nothing rests
    receipt = devnet.send(taker, book.functions.placeMarginLimit(4_510_000, UNIT, False))
    filled_id = crossing_id + 1
    assert book_events(book, receipt) == [
        trade(trader, taker, 4_510_000, UNIT),
        order_placed(filled_id, taker, 4_510_000, 0, False),
    ]
    assert book.functions.getOrder(filled_id).call()[1] == ZERO_ADDRESS

    # market: the trades, then OrderPlaced at the slippage bound (best ask + 5 %) with the filled amount
    market = book.functions.placeMarginMarket(UNIT // 2, True)
    assert market.call({"from": taker}) == UNIT // 2
    receipt = devnet.send(taker, market)
    assert book_events(book, receipt) == [
        trade(taker, maker, 4_520_000, UNIT // 2),
        order_placed(filled_id + 1, taker, 4_520_000 * 105 // 100, UNIT // 2, True),
    ]


def test_a_taker_cancels_its_own_resting_orders_instead_of_trading_with_them(devnet: Devnet) -> None:
    book, trader, maker = devnet.alu, devnet.trader, devnet.maker
    free = devnet.available(trader)
    own_ask, _ = devnet.place(book, 4_500_000, UNIT, False)  # first in time at 4.50
    maker_ask = placed(devnet, book, maker, 4_500_000, UNIT, False)

    taker_id, receipt = devnet.place(book, 4_500_000, UNIT, True)
    assert book_events(book, receipt) == [
        order_cancelled(own_ask, trader, 4_500_000, UNIT, False),
        trade(trader, maker, 4_500_000, UNIT),
        order_placed(taker_id, trader, 4_500_000, 0, True),
    ]
    assert book.functions.getOrder(own_ask).call()[1] == ZERO_ADDRESS
    assert book.functions.getFilledAmount(own_ask).call() == 0
    assert book.functions.getFilledAmount(maker_ask).call() == UNIT
    assert book.functions.getUserOrders(trader).call() == []
    assert book.functions.getUserPosition(trader).call() == UNIT
    # the cancelled ask's 150 % margin is released; only the long's 100 % stays locked
    assert devnet.vault.functions.reservedMargin(trader).call() == 0
    assert devnet.available(trader) == free - 4_500_000

    # a market order skips its own orders too, and matches the next maker within the slippage bound
    own_bid, _ = devnet.place(book, 4_400_000, UNIT, True)
    placed(devnet, book, maker, 4_390_000, UNIT, True)
    sell = book.functions.sessionPlaceMarginMarket(devnet.session_id, trader, UNIT, False, devnet.proof())
    receipt = devnet.send(devnet.relayer, sell)
    assert book_events(book, receipt) == [
        order_cancelled(own_bid, trader, 4_400_000, UNIT, True),
        trade(maker, trader, 4_390_000, UNIT),
        order_placed(own_bid + 2, trader, 4_400_000 * 95 // 100, UNIT, False),
    ]
    assert book.functions.getUserPosition(trader).call() == 0


def test_a_fresh_market_has_no_mark_and_a_placeholder_last_trade_price(devnet: Devnet) -> None:
    book, maker, taker = devnet.alu, devnet.maker, devnet.taker
    market_id = devnet.market_id(book)

    def prices() -> tuple[int, int, int]:
        return (
            int(devnet.vault.functions.getMarkPrice(market_id).call()),
            int(book.functions.lastTradePrice().call()),
            int(book.functions.calculateMarkPrice().call()),
        )

    assert devnet.vault.functions.getMarkPrice(devnet.market_id(devnet.btc)).call() == 0
    assert prices() == (0, PLACEHOLDER_PRICE6, PLACEHOLDER_PRICE6)
    placed(devnet, book, maker, 4_400_000, UNIT, True)
    assert prices() == (0, PLACEHOLDER_PRICE6, PLACEHOLDER_PRICE6)  # one-sided: the placeholder
    placed(devnet, book, maker, 4_600_000, UNIT // 2, False)
    placed(devnet, book, maker, 4_700_000, UNIT // 2, False)
    assert prices() == (0, PLACEHOLDER_PRICE6, 4_500_000)  # two-sided: the mid, but no trade yet

    # the first trade: the vault takes the book's mark (the mid of 4.40 / 4.70 after the fill)
    devnet.send(taker, book.functions.placeMarginMarket(UNIT // 2, True))
    assert prices() == (4_550_000, 4_600_000, 4_550_000)
    # the ask side empties: the mark falls back to the mean of the last two trade prices
    devnet.send(taker, book.functions.placeMarginMarket(UNIT // 2, True))
    assert prices() == (4_650_000, 4_700_000, 4_650_000)
    assert book.functions.totalTrades().call() == 2


def test_get_order_returns_the_ten_field_order_of_320_bytes(devnet: Devnet) -> None:
    book, maker = devnet.alu, devnet.maker
    first = placed(devnet, book, maker, 4_600_000, UNIT, False)
    second = placed(devnet, book, maker, 4_600_000, UNIT, False)
    raw = devnet.w3.eth.call({"to": book.address, "data": book.encode_abi("getOrder", args=[second])})
    assert len(raw) == 320
    view = devnet.w3.eth.contract(address=book.address, abi=ORDER_BOOK_ABI_V10).functions

    def fields(order_id: int) -> dict[str, Any]:
        return dict(zip(ORDER_FIELDS_V10, view.getOrder(order_id).call(), strict=True))

    assert (fields(first)["nextOrderId"], fields(first)["prevOrderId"]) == (second, 0)
    assert (fields(second)["nextOrderId"], fields(second)["prevOrderId"]) == (0, first)
    devnet.send(maker, book.functions.cancelOrder(first))
    assert fields(second)["prevOrderId"] == 0
    gone = devnet.w3.eth.call({"to": book.address, "data": book.encode_abi("getOrder", args=[first])})
    assert gone == bytes(320)


def test_the_registry_ignores_allowed_markets_and_names_each_refusal(devnet: Devnet) -> None:
    book, price = devnet.alu, 4_400_000
    btc_only = devnet.open_session(markets=[devnet.deployment.market("BTC-USD").market_id_bytes32])
    devnet.send(
        devnet.relayer,
        book.functions.sessionPlaceMarginLimit(btc_only, devnet.trader, price, UNIT, True, devnet.proof()),
    )  # signed for BTC-USD only, trades on ALU-USD all the same

    revoked = devnet.open_session()
    devnet.send(devnet.trader, devnet.registry.functions.revokeSession(revoked, []))
    expiring = devnet.open_session(expiry=devnet.now() + 60)
    cancel_only = devnet.open_session(methods=MethodBit.CANCEL_ORDER)
    trade_capped = devnet.open_session(max_per_trade=price)
    session_capped = devnet.open_session(max_per_session=price)
    devnet.w3.provider.make_request("evm_increaseTime", [120])  # type: ignore[arg-type]
    devnet.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def place(session_id: str, *, trader: str | None = None, amount18: int = UNIT) -> ContractFunction:
        return book.functions.sessionPlaceMarginLimit(
            session_id, trader or devnet.trader, price, amount18, True, devnet.proof()
        )

    cases = [
        (devnet.relayer, place(revoked), "session_revoked"),
        (devnet.relayer, place("0x" + "ab" * 32), "session_unknown"),
        (devnet.relayer, place(devnet.session_id, trader=devnet.maker), "session_bad_trader"),
        (devnet.relayer, place(expiring), "session_expired"),
        (devnet.relayer, place(cancel_only), "session_method_denied"),
        (devnet.relayer, place(trade_capped, amount18=2 * UNIT), "session_trade_cap"),
        (devnet.relayer, place(session_capped, amount18=2 * UNIT), "session_session_cap"),
        (devnet.outsider, place(devnet.session_id), "session_bad_relayer"),
    ]
    for sender, call, code in cases:
        reason = devnet.revert_reason(sender, call)
        assert reason == f"execution reverted: {code}"
        assert classify(reason) is ErrorCode(code)


def test_session_modify_order_returns_the_new_order_id(devnet: Devnet) -> None:
    book = devnet.alu
    order_id, _ = devnet.place(book, 4_400_000, UNIT, True)
    modify = book.functions.sessionModifyOrder(
        devnet.session_id, devnet.trader, order_id, 4_300_000, 2 * UNIT, devnet.proof()
    )
    new_id = modify.call({"from": devnet.relayer})
    assert new_id == order_id + 1
    receipt = devnet.send(devnet.relayer, modify)
    (modified,) = devnet.events(book, "OrderModified", receipt)
    assert modified["newOrderId"] == new_id
    assert tuple(book.functions.getOrder(new_id).call()[2:4]) == (4_300_000, 2 * UNIT)


def test_the_non_margin_session_placements_do_not_exist(devnet: Devnet) -> None:
    legacy = devnet.w3.eth.contract(address=devnet.alu.address, abi=ORDER_BOOK_ABI).functions
    proof = devnet.proof()
    limit = legacy.sessionPlaceLimit(devnet.session_id, devnet.trader, 4_400_000, UNIT, True, proof)
    market = legacy.sessionPlaceMarket(devnet.session_id, devnet.trader, UNIT, True, proof)
    missing = _selector("FunctionDoesNotExist()")
    assert custom_error(devnet.relayer, limit) == missing
    assert custom_error(devnet.relayer, market) == missing
    assert devnet.alu.functions.getUserOrders(devnet.trader).call() == []


def test_an_order_whose_margin_rounds_to_zero_reverts_invalid_amount(devnet: Devnet) -> None:
    book = devnet.alu
    invalid_amount = _selector("InvalidAmount()")
    # 0.00009 at 0.01: the notional is below one micro-USDC, so the margin is 0 on either side
    for is_buy in (True, False):
        assert custom_error(devnet.relayer, session_limit(devnet, book, 10_000, 9 * 10**13, is_buy)) == (
            invalid_amount
        )
        direct = book.functions.placeMarginLimit(10_000, 9 * 10**13, is_buy)
        assert custom_error(devnet.maker, direct) == invalid_amount
    resting, _ = devnet.place(book, 4_400_000, UNIT, True)
    shrink = book.functions.sessionModifyOrder(
        devnet.session_id, devnet.trader, resting, 10_000, 9 * 10**13, devnet.proof()
    )
    assert custom_error(devnet.relayer, shrink) == invalid_amount
    # below 10^12 the up-front margin is priced on 10^12 (production's floor): 1e-7 at 4.40 places
    tiny, _ = devnet.place(book, 4_400_000, 10**11, True)
    assert book.functions.getOrder(tiny).call()[3] == 10**11
