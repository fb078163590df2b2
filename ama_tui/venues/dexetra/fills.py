"""Fills from the OrderBook's `TradeExecutionCompleted` logs, and who was maker in each.

The event names the buyer and the seller, not the orders. Which order of ours a fill belongs to,
and whether we were maker or taker, is worked out from two facts the chain keeps:

- a taker's order (limit or market) is placed in the trade's own transaction: an `OrderPlaced` of
  that trader on that side in the same receipt. The real contract emits it *after* the trade logs
  (reference section 7), older stand-ins before them: the position does not matter (a session
  call places one order; with several, the first one after the trade, else the last one before);
- a maker's order was already resting at the end of the previous block, at the trade's price on
  that side; within a price level orders fill first in, first out, i.e. in order-id order.

A maker never shares a transaction's side with its taker (the taker's counterparties rest on the
other side, and the contract cancels rather than trades a trader's own resting order).
When neither can be established (a market order of a contract that emits no `OrderPlaced` for
it, an order placed earlier in the same block, a node that keeps no state that old) the fill
still counts, with `order_id` and `is_maker` None.

Fees: the production contract emits `FeesDeducted(buyer, buyerFee, seller, sellerFee)` within
each trade that charged any, before that trade's `TradeExecutionCompleted`, in the same
transaction; the same filters read both. A trade takes the nearest fee event before it with the
same transaction, buyer and seller that no earlier trade took; a trade with none charged no fee
(a transaction's logs all sit in one block, so a read never sees only part of them).

Everything here is pure; `fill_feed` does the reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ama_tui.venues.base import Fill
from ama_tui.venues.dexetra.codec import (
    FEES_DEDUCTED_TOPIC,
    TRADE_TOPIC,
    MalformedChainData,
    RawOrder,
    hex_bytes,
    hex_int,
    topic_address,
    word,
)
from ama_tui.venues.dexetra.receipts import Placement


@dataclass(frozen=True, slots=True)
class TradeLog:
    block_number: int
    log_index: int
    tx_hash: str
    buyer: str
    seller: str
    price6: int
    amount18: int
    timestamp: int | None = None
    removed: bool = False
    buyer_fee6: int = 0
    seller_fee6: int = 0


@dataclass(frozen=True, slots=True)
class FeeLog:
    """A `FeesDeducted` log: what each side of one trade paid (usdc6)."""

    block_number: int
    log_index: int
    tx_hash: str
    buyer: str
    seller: str
    buyer_fee6: int
    seller_fee6: int
    removed: bool = False


@dataclass(frozen=True, slots=True)
class FillSide:
    """One of our traders' side of one trade."""

    log: TradeLog
    trader: str
    is_buy: bool

    @property
    def fill_id(self) -> str:
        return f"{self.log.tx_hash}:{self.log.log_index}:{'buy' if self.is_buy else 'sell'}"

    @property
    def counterparty(self) -> str:
        return self.log.seller if self.is_buy else self.log.buyer

    @property
    def fee6(self) -> int:
        return self.log.buyer_fee6 if self.is_buy else self.log.seller_fee6


@dataclass(frozen=True, slots=True)
class Attribution:
    order_id: int | None
    is_maker: bool | None


UNKNOWN = Attribution(None, None)


def parse_chain_log(raw: Any) -> TradeLog | FeeLog | None:
    """A `TradeExecutionCompleted` or `FeesDeducted` log from eth_getLogs (None for any other event)."""
    if not isinstance(raw, dict):
        raise MalformedChainData("a log must be a JSON object")
    topics = raw.get("topics")
    if not isinstance(topics, list) or not topics or not isinstance(topics[0], str):
        raise MalformedChainData("a log without topics")
    topic = topics[0].lower()
    if topic not in (TRADE_TOPIC, FEES_DEDUCTED_TOPIC):
        return None
    name = "TradeExecutionCompleted" if topic == TRADE_TOPIC else "FeesDeducted"
    if len(topics) != 3:
        raise MalformedChainData(f"{name} needs 3 topics")
    data = hex_bytes(raw.get("data"))
    tx_hash = raw.get("transactionHash")
    if not isinstance(tx_hash, str):
        raise MalformedChainData("a log without transactionHash")
    block_number, log_index = hex_int(raw.get("blockNumber")), hex_int(raw.get("logIndex"))
    buyer, seller = topic_address(topics[1]), topic_address(topics[2])
    removed = bool(raw.get("removed", False))
    if topic == FEES_DEDUCTED_TOPIC:
        return FeeLog(
            block_number=block_number,
            log_index=log_index,
            tx_hash=tx_hash.lower(),
            buyer=buyer,
            seller=seller,
            buyer_fee6=word(data, 0),
            seller_fee6=word(data, 1),
            removed=removed,
        )
    stamp = raw.get("blockTimestamp")
    return TradeLog(
        block_number=block_number,
        log_index=log_index,
        tx_hash=tx_hash.lower(),
        buyer=buyer,
        seller=seller,
        price6=word(data, 0),
        amount18=word(data, 1),
        timestamp=hex_int(stamp) if stamp is not None else None,
        removed=removed,
    )


def with_fees(logs: Iterable[TradeLog | FeeLog]) -> tuple[TradeLog, ...]:
    """The trade logs in chain order, each carrying the fees of the `FeesDeducted` it owns (the
    nearest before it in its transaction with its buyer and seller, not taken by an earlier
    trade); a trade that owns none charged no fee."""
    ordered = sorted(logs, key=lambda log: (log.block_number, log.log_index))
    pending: dict[tuple[str, str, str], FeeLog] = {}
    trades: list[TradeLog] = []
    for log in ordered:
        key = (log.tx_hash, log.buyer, log.seller)
        if isinstance(log, FeeLog):
            pending[key] = log
            continue
        fee = pending.pop(key, None)
        trades.append(
            log if fee is None else replace(log, buyer_fee6=fee.buyer_fee6, seller_fee6=fee.seller_fee6)
        )
    return tuple(trades)


def fill_sides(logs: Iterable[TradeLog], traders: Iterable[str]) -> list[FillSide]:
    """Our sides of the trades, in chain order (buyer before seller for a self-match)."""
    wanted = set(traders)
    sides: list[FillSide] = []
    for log in logs:
        if log.buyer in wanted:
            sides.append(FillSide(log, log.buyer, True))
        if log.seller in wanted:
            sides.append(FillSide(log, log.seller, False))
    return sides


def taker_order_id(placed: Sequence[Placement], side: FillSide) -> int | None:
    """The id of the order `side` took with: its trader's placement on its side in the same
    transaction, before or after the trade log (None when the transaction placed none)."""
    own = [p for p in placed if p.trader == side.trader and p.is_buy == side.is_buy]
    if not own:
        return None
    if len(own) == 1:
        return own[0].order_id
    index = side.log.log_index
    after = [p for p in own if p.log_index > index]
    if after:
        return min(after, key=lambda p: p.log_index).order_id
    return max(own, key=lambda p: p.log_index).order_id


def attribute(
    sides: Sequence[FillSide],
    placed_by_tx: Mapping[str, Sequence[Placement] | None],
    resting_before: Mapping[tuple[int, str], Sequence[RawOrder]] | None,
) -> dict[str, Attribution]:
    """Order id and maker/taker of each side. `placed_by_tx`: tx hash -> its placements (None when
    the receipt is unknown); `resting_before`: (block - 1, trader) -> resting orders (None when
    unknown). Sides must come in chain order: FIFO consumption of resting orders depends on it."""
    remaining: dict[tuple[int, int], int] = {}
    out: dict[str, Attribution] = {}
    for side in sides:
        log = side.log
        taker_order = taker_order_id(placed_by_tx.get(log.tx_hash) or (), side)
        if taker_order is not None:
            out[side.fill_id] = Attribution(taker_order, False)
            continue
        if resting_before is None:
            out[side.fill_id] = UNKNOWN
            continue
        before = log.block_number - 1
        candidates = sorted(
            (
                order
                for order in resting_before.get((before, side.trader), ())
                if order.is_buy == side.is_buy and order.price6 == log.price6
            ),
            key=lambda order: order.order_id,
        )
        chosen: RawOrder | None = None
        for order in candidates:
            key = (before, order.order_id)
            left = remaining.setdefault(key, order.amount18)
            if left > 0:
                chosen = order
                remaining[key] = left - log.amount18
                break
        if chosen is None and candidates:
            chosen = candidates[-1]  # more filled than rested: the chain knows best, keep the last
        # nothing rested and nothing placed: a market order, or an order placed earlier in the
        # same block; the two look alike here, so say nothing rather than something wrong
        out[side.fill_id] = Attribution(chosen.order_id, True) if chosen is not None else UNKNOWN
    return out


def to_fill(side: FillSide, attribution: Attribution, trader_as_given: str, timestamp: float) -> Fill:
    return Fill(
        fill_id=side.fill_id,
        timestamp=timestamp,
        trader=trader_as_given,
        is_buy=side.is_buy,
        price6=side.log.price6,
        amount18=side.log.amount18,
        counterparty=side.counterparty,
        order_id=attribution.order_id,
        is_maker=attribution.is_maker,
        tx_hash=side.log.tx_hash,
        fee6=side.fee6,
    )
