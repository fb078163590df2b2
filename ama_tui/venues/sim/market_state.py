"""One market of the sim: its book, its own RNG, the trades `fills_since` reads, and its participants.

The venue owns the markets and books the consequences of what their participants do
(`participants.MarketOps` calls back into it). `to_plain` / `from_plain` carry a market through a
state snapshot (`snapshot_state`): everything here that moves, and nothing that the venue's seed,
preset and catalogue already decide.
"""

from __future__ import annotations

import hashlib
import random
from collections import deque
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final

from ama_tui.core.units import MAX_PRICE6
from ama_tui.venues.base import PublicTrade
from ama_tui.venues.sim.book import BookOrder, BookSnapshot, OrderBook, Trade
from ama_tui.venues.sim.markets import SimMarket
from ama_tui.venues.sim.order_fates import OrderFates
from ama_tui.venues.sim.participants import MarketParticipants
from ama_tui.venues.sim.plain import as_bool, as_dict, as_float, as_int, as_list, as_str
from ama_tui.venues.sim.price_path import RandomWalk

if TYPE_CHECKING:
    from ama_tui.venues.sim.venue import SimVenue

RECENT_TRADES: Final = 50
LAST_TRADE_PLACEHOLDER6: Final = 1_000_000
"""What the OrderBook's `lastTradePrice()` reads before a market's first trade: the 1.000000 written at
initialisation, not a price (reference §7). The exchange's mark reads 0 until then."""


@dataclass(frozen=True, slots=True)
class TradeRecord:
    trade: Trade
    time_ms: int
    tx_seq: int


def market_seed(seed: int, symbol: str) -> int:
    return int.from_bytes(hashlib.sha256(f"ama-tui-sim|{seed}|{symbol}".encode()).digest()[:16], "big")


class MarketState:
    """One market's book, history and participants (implements `participants.MarketOps`)."""

    def __init__(
        self, venue: SimVenue, market: SimMarket, activated_ms: int, *, warm_up: bool = True
    ) -> None:
        """`warm_up=False` leaves the book empty and touches nothing of the venue (for a restore)."""
        self.venue = venue
        self.market = market
        self.book = OrderBook(margin_bps=market.margin_bps)
        self.fates = OrderFates()
        """What became of the session traders' orders (`order_status`)."""
        self.rng = random.Random(market_seed(venue.seed, market.symbol))
        self.records: list[TradeRecord] = []
        """Trades with a non-participant on a side, by seq (what `fills_since` reads)."""
        self.record_seqs: list[int] = []
        self.recent: deque[PublicTrade] = deque(maxlen=RECENT_TRADES)
        self.participants: MarketParticipants | None = None
        self.walk: RandomWalk | None = None
        replay = venue._replay
        if venue._ohlcv_symbol is not None and venue._ohlcv_symbol != market.symbol:
            replay = None
        start6 = market.initial_price6
        if replay is not None and venue._ohlcv_symbol == market.symbol:
            start6 = venue._replay_first_close6
        self.replay = replay
        self.replay_start6 = start6
        if replay is None:
            self.walk = RandomWalk(start6, venue.price_mode, venue.preset.volatility)
        self.reference6 = self._replay_reference(activated_ms) if self.replay is not None else start6
        if market.is_active and venue.with_participants:
            self.participants = MarketParticipants(market, venue.preset)
            if warm_up:
                self.participants.warm_up(self, self.rng, self.reference6)

    # ---------------------------------------------------------------- participants.MarketOps

    @property
    def best_bid6(self) -> int:
        return self.book.best_bid6

    @property
    def best_ask6(self) -> int:
        return self.book.best_ask6

    def order(self, order_id: int) -> BookOrder | None:
        return self.book.get(order_id)

    def place_limit(self, trader: str, price6: int, amount18: int, is_buy: bool) -> int:
        return self.venue._participant_limit(self, trader, price6, amount18, is_buy)

    def cancel(self, order_id: int) -> None:
        self.venue._participant_cancel(self, order_id)

    def place_market(self, trader: str, amount18: int, is_buy: bool, worst_price6: int) -> int:
        return self.venue._participant_market(self, trader, amount18, is_buy, worst_price6)

    # ---------------------------------------------------------------- time

    def _replay_reference(self, now_ms: int) -> int:
        assert self.replay is not None
        offset_s = (now_ms - self.venue._start_ms) / 1000
        return max(1, min(round(self.replay_start6 * self.replay.ratio_at(offset_s)), MAX_PRICE6))

    def step(self, now_ms: int, dt: float) -> None:
        if not self.market.is_active:
            return
        factor = 1.0
        if self.replay is not None:
            self.reference6 = self._replay_reference(now_ms)
            factor = self.replay.volume_factor_at((now_ms - self.venue._start_ms) / 1000)
        elif self.walk is not None:
            self.reference6 = self.walk.step(self.rng, dt)
        if self.participants is not None:
            self.participants.step(self, self.rng, self.reference6, dt, factor)

    def mark6(self) -> int:
        """As `CoreVault.getMarkPrice`: 0 until the market's first trade (the exchange has no price
        then, whatever the participants quote around), then the last trade, held inside the spread
        when both sides rest."""
        book = self.book
        mark = book.last_trade_price6 or self._settled6()
        if not mark:
            return 0
        bid, ask = book.best_bid6, book.best_ask6
        if bid and ask and bid < ask:
            mark = min(max(mark, bid), ask)
        return mark

    def last_trade6(self) -> int:
        """As `lastTradePrice()`: the latest trade's price, or the 1.000000 placeholder before the first."""
        return self.book.last_trade_price6 or self._settled6() or LAST_TRADE_PLACEHOLDER6

    def _settled6(self) -> int:
        """A settled market traded before the sim began: its listed price stands for its last trade."""
        return self.market.initial_price6 if self.market.status.upper() == "SETTLED" else 0

    # ---------------------------------------------------------------- snapshots

    def to_plain(self) -> dict[str, Any]:
        """Everything of this market that moves, as JSON values."""
        version, internal, gauss_next = self.rng.getstate()
        return {
            "book": _book_to_plain(self.book.snapshot()),
            "rng": [version, list(internal), gauss_next],
            "reference6": self.reference6,
            "walk": None if self.walk is None else self.walk.log_move,
            "participants": None if self.participants is None else self.participants.to_plain(),
            "records": [
                [*_trade_row(record.trade), record.time_ms, record.tx_seq] for record in self.records
            ],
            "recent": [[t.timestamp, t.price6, t.amount18, t.taker_is_buy] for t in self.recent],
        }

    @classmethod
    def from_plain(cls, venue: SimVenue, market: SimMarket, data: dict[str, Any]) -> MarketState:
        """This market as `to_plain` saved it, for `venue` (which it does not change)."""
        state = cls(venue, market, venue._now_ms, warm_up=False)
        book = _book_from_plain(as_dict(data["book"]))
        if book.margin_bps != market.margin_bps:
            raise ValueError(f"the book's margin is {book.margin_bps} bps, the market's {market.margin_bps}")
        state.book = book
        version, internal, gauss_next = as_list(data["rng"])
        state.rng.setstate((version, tuple(as_list(internal)), gauss_next))
        state.reference6 = as_int(data["reference6"], minimum=1)
        walk = data["walk"]
        if (walk is None) != (state.walk is None):
            raise ValueError("the saved market and this one disagree on following a random walk")
        if state.walk is not None:
            state.walk.log_move = as_float(walk)
        participants = data["participants"]
        if (participants is None) != (state.participants is None):
            raise ValueError("the saved market and this one disagree on having participants")
        if state.participants is not None:
            state.participants.load_plain(participants)
        for row in as_list(data["records"]):
            *trade, time_ms, tx_seq = as_list(row)
            record = TradeRecord(_trade_from_row(trade), as_int(time_ms), as_int(tx_seq, minimum=1))
            seq = record.trade.seq
            if (state.record_seqs and seq <= state.record_seqs[-1]) or seq > book.trade_count:
                raise ValueError(f"trade record {seq} is out of order or ahead of the book")
            state.records.append(record)
            state.record_seqs.append(seq)
        recent = as_list(data["recent"])
        if len(recent) > RECENT_TRADES:
            raise ValueError(f"more than {RECENT_TRADES} recent trades")
        for timestamp, price6, amount18, taker_is_buy in map(as_list, recent):
            side = None if taker_is_buy is None else as_bool(taker_is_buy)
            state.recent.append(PublicTrade(as_float(timestamp), as_int(price6), as_int(amount18), side))
        return state


def _book_to_plain(snapshot: BookSnapshot) -> dict[str, Any]:
    return {
        "margin_bps": snapshot.margin_bps,
        "next_order_id": snapshot.next_order_id,
        "next_seq": snapshot.next_seq,
        "trade_count": snapshot.trade_count,
        "last_trade_price6": snapshot.last_trade_price6,
        "orders": [list(_order_row(order)) for order in snapshot.orders],
    }


def _book_from_plain(data: dict[str, Any]) -> OrderBook:
    """The book exactly as saved (ids, queue order, counters); `BookError` when it does not add up."""
    orders = []
    for row in as_list(data["orders"]):
        order_id, trader, price6, amount18, original18, is_buy, timestamp, seq, margin6 = as_list(row)
        orders.append(
            BookOrder(
                as_int(order_id, minimum=1), as_str(trader), as_int(price6, minimum=1),
                as_int(amount18, minimum=1), as_int(original18, minimum=1), as_bool(is_buy),
                as_int(timestamp, minimum=0), as_int(seq, minimum=1), as_int(margin6, minimum=0),
            )
        )  # fmt: skip
    snapshot = BookSnapshot(
        margin_bps=as_int(data["margin_bps"], minimum=1),
        next_order_id=as_int(data["next_order_id"], minimum=1),
        next_seq=as_int(data["next_seq"], minimum=1),
        trade_count=as_int(data["trade_count"], minimum=0),
        last_trade_price6=as_int(data["last_trade_price6"], minimum=0),
        orders=tuple(orders),
    )
    return OrderBook.from_snapshot(snapshot)


_order_row = attrgetter(*(f.name for f in fields(BookOrder)))
_trade_row = attrgetter(*(f.name for f in fields(Trade)))


def _trade_from_row(row: list[Any]) -> Trade:
    seq, timestamp, price6, amount18, maker_id, taker_id, maker, taker, taker_is_buy, remaining18 = row
    return Trade(
        as_int(seq, minimum=1), as_int(timestamp, minimum=0), as_int(price6, minimum=1),
        as_int(amount18, minimum=1), as_int(maker_id, minimum=1), as_int(taker_id, minimum=1),
        as_str(maker), as_str(taker), as_bool(taker_is_buy), as_int(remaining18, minimum=0),
    )  # fmt: skip
