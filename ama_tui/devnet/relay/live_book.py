"""The `data` of GET /api/orderbook/live: every view read in one Multicall3 call at one block, plus
the market's trade tape, in production's shape (floats in human units).

As in production: an empty side reads 0; `lastTradePrice` is null when the book reads 0;
`markPrice` is the book's own mark, else the mid, else the last trade; a read that fails leaves
its field 0 (prices) or null (counts); `depth` and `recentTrades` are null when their reads fail
or time out (`timed_out` simulates production's 2.5 s timeout).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from ama_tui.devnet.deploy import DevnetDeployment, DevnetMarket
from ama_tui.devnet.relay.contracts import BOOK, VAULT, Read, b32, human, read_many
from ama_tui.devnet.relay.rpc import JsonRpc
from ama_tui.devnet.relay.tape import DAY_S, TapeTrade, TradeTape

RECENT_TRADES: Final = 20
MAX_DEPTH_LEVELS: Final = 25
AMOUNT_SCALE: Final = 10**18


def _trade_json(trade: TapeTrade) -> dict[str, Any]:
    return {
        "price": human(trade.price6, 6),
        "amount": human(trade.amount18, 18),
        "buyer": trade.buyer,
        "seller": trade.seller,
        "timestamp": trade.timestamp * 1000,
        "txHash": trade.tx_hash,
        "blockNumber": trade.block_number,
        "tradeId": f"{trade.tx_hash}:{trade.log_index}",
    }


def _depth_json(depth: tuple[Any, ...] | None) -> dict[str, list[float]] | None:
    if depth is None:
        return None
    bid_prices, bid_amounts, ask_prices, ask_amounts = depth
    return {
        "bidPrices": [human(p, 6) for p in bid_prices],
        "bidAmounts": [human(a, 18) for a in bid_amounts],
        "askPrices": [human(p, 6) for p in ask_prices],
        "askAmounts": [human(a, 18) for a in ask_amounts],
    }


def _mark6(mark6: int, bid6: int, ask6: int, last6: int) -> int:
    """Production's fallbacks: the mark read, else the mid of both sides, else the last trade."""
    if mark6 > 0:
        return mark6
    if bid6 > 0 and ask6 > 0:
        return (bid6 + ask6) // 2
    return last6


def _int_or_none(read: tuple[Any, ...] | None, index: int = 0) -> int | None:
    return None if read is None else int(read[index])


def _mark_read(deployment: DevnetDeployment, market: DevnetMarket) -> Read:
    """The book's own mark (production reads it first), or the vault's on a book without one."""
    if BOOK.has("calculateMarkPrice"):
        return Read(market.order_book, BOOK, "calculateMarkPrice")
    return Read(deployment.vault, VAULT, "getMarkPrice", (b32(market.market_id_bytes32),))


def read_live_book(
    rpc: JsonRpc,
    deployment: DevnetDeployment,
    market: DevnetMarket,
    tape: TradeTape,
    levels: int,
    *,
    timed_out: bool = False,
) -> dict[str, Any]:
    latest = rpc.block("latest")
    at = int(latest["number"], 16)
    book = market.order_book
    prices, last, total, counts, depth, mark = read_many(
        rpc,
        deployment.multicall,
        [
            Read(book, BOOK, "getBestPrices"),
            Read(book, BOOK, "lastTradePrice"),
            Read(book, BOOK, "totalTrades"),
            Read(book, BOOK, "getActiveOrdersCount"),
            Read(book, BOOK, "getOrderBookDepth", (levels,)),
            _mark_read(deployment, market),
        ],
        block=at,
    )
    bid6, ask6 = (int(prices[0]), int(prices[1])) if prices is not None else (0, 0)
    last6 = _int_or_none(last) or 0

    tape.refresh(rpc, latest)
    day = tape.since(int(latest["timestamp"], 16) - DAY_S)
    volume6 = sum(trade.amount18 * trade.price6 // AMOUNT_SCALE for trade in day)
    change = 0.0
    if day and day[0].price6:
        ratio = (Decimal(day[-1].price6) - Decimal(day[0].price6)) / Decimal(day[0].price6) * 100
        change = float(round(ratio, 4))
    return {
        "orderBookAddress": market.order_book,
        "symbol": market.symbol,
        "marketIdBytes32": market.market_id_bytes32,
        "bestBid": human(bid6, 6),
        "bestAsk": human(ask6, 6),
        "lastTradePrice": human(last6, 6) if last6 else None,
        "markPrice": human(_mark6(_int_or_none(mark) or 0, bid6, ask6, last6), 6),
        "totalTrades": _int_or_none(total),
        "volume24h": human(volume6, 6),
        "openInterest": human(tape.open_interest18(), 18),
        "priceChange24h": change,
        "activeBuyOrders": _int_or_none(counts, 0),
        "activeSellOrders": _int_or_none(counts, 1),
        "depth": None if timed_out else _depth_json(depth),
        "recentTrades": None if timed_out else [_trade_json(t) for t in tape.recent(RECENT_TRADES)],
        "blockNumber": at,
        "lastUpdated": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
