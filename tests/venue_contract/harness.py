"""What the venue contract suite needs from a venue, whatever it is backed by.

A `VenueHarness` gives a ready venue, an active market, funded traders with their keys, and the
few things the `Venue` protocol cannot do by itself: let time pass, make an outside participant
trade against the book, and make trade answers as terse as production's. Opening a session is
generic (it only uses the protocol and `protocol.permits`), so a new backend implements
`cause_taker_trade`, `advance`, `answer_pending` and `close`.

To add a backend: subclass `VenueHarness`, and register a factory in `conftest.HARNESS_FACTORIES`
(with the marks it needs, e.g. `pytest.mark.devnet`).
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Iterable
from typing import Any

from eth_utils import keccak

from ama_tui.core.keys import PrivateKey
from ama_tui.core.units import price6
from ama_tui.protocol.accounts import address_of, checksum
from ama_tui.protocol.methods import ALL_METHODS, Methods
from ama_tui.protocol.permits import SessionPermit, build_session_permit, sign_session_permit
from ama_tui.venues.base import (
    NO_SESSION,
    MarketInfo,
    PlacementOutcome,
    PlacementResolver,
    PlacementState,
    SessionVenue,
    TradeReceipt,
    Venue,
)
from ama_tui.venues.sim import SimVenue

from .sessionless import SessionlessSim


def derived_test_key(label: str) -> PrivateKey:
    """A deterministic, public test key (keccak of a label): never holds anything of value."""
    return PrivateKey("0x" + keccak(text=f"ama-tui venue contract / {label}").hex())


class VenueHarness(abc.ABC):
    name: str
    venue: Venue
    order_book: str
    """An active market's order-book address."""
    traders: list[tuple[str, PrivateKey]]
    """Funded wallets (checksummed address, key), ready to open sessions."""
    reports_order_counts: bool = True
    """Whether depth levels say how many orders rest there (the Dexetra API does not: 0)."""

    # ------------------------------------------------------------------ backend-specific

    @abc.abstractmethod
    def cause_taker_trade(self, is_buy: bool, amount18: int) -> None:
        """An outside participant sends a market order of `amount18` now (a buy takes the asks)."""

    @abc.abstractmethod
    def advance(self, seconds: float) -> None:
        """Let `seconds` of venue time pass."""

    @abc.abstractmethod
    def answer_pending(self) -> None:
        """From now on, trade answers say what the production route says by default: the
        transaction hash, no order id (a backend whose relay already answers so does nothing)."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def empty_order_book(self) -> str | None:
        """A market whose book is empty (both sides), when the backend has one."""
        return None

    def fresh_order_book(self) -> str | None:
        """An active market that has never traded (its book may have depth), when the backend has one."""
        return None

    def other_order_book(self) -> str | None:
        """Another active market with depth, when the backend has one."""
        return None

    # ------------------------------------------------------------------ generic

    @property
    def info(self) -> MarketInfo:
        return self.venue.market_info(self.order_book)

    def key_of(self, trader: str) -> PrivateKey:
        wanted = checksum(trader)
        for address, key in self.traders:
            if address == wanted:
                return key
        raise KeyError(trader)

    def now(self) -> int:
        return int(self.venue.clock.now())

    def permit(
        self,
        trader: str,
        *,
        expiry: int | None = None,
        expiry_in: int = 3600,
        nonce: int | None = None,
        methods: Methods = ALL_METHODS,
        allowed_markets: Iterable[str] | None = None,
        relayer_set_root: str | None = None,
        max_notional_per_trade: int = 0,
        max_notional_per_session: int = 0,
    ) -> SessionPermit:
        """A permit for `trader` on this venue (fresh salt); any field can be overridden to break it."""
        return build_session_permit(
            trader=trader,
            relayer_set_root=relayer_set_root or self.venue.relayer_set_root(),
            expiry=self.now() + expiry_in if expiry is None else expiry,
            nonce=self.venue.session_nonce(trader) if nonce is None else nonce,
            allowed_markets=[self.info.market_id_bytes32] if allowed_markets is None else allowed_markets,
            methods=methods,
            max_notional_per_trade=max_notional_per_trade,
            max_notional_per_session=max_notional_per_session,
        )

    def sign(self, permit: SessionPermit, key: PrivateKey | None = None) -> str:
        domain = self.venue.session_domain()
        return sign_session_permit(
            key or self.key_of(permit.trader), domain.chain_id, domain.registry, permit
        )

    def placement_outcome(
        self, tx_hash: str, trader: str, *, order_book: str | None = None, timeout_s: float = 30.0
    ) -> PlacementOutcome:
        """What `trader`'s transaction placed on this book (or `order_book`), asked again while the
        venue reads it as pending (for at most `timeout_s` of wall time)."""
        venue = self.venue
        assert isinstance(venue, PlacementResolver), f"{type(venue).__name__} cannot say what a tx placed"
        book = order_book or self.order_book
        deadline = time.monotonic() + timeout_s
        while True:
            outcome = venue.placement_outcomes(book, [(tx_hash, trader)])[tx_hash]
            if outcome.state is not PlacementState.PENDING or time.monotonic() >= deadline:
                return outcome
            time.sleep(0.2)

    def order_id_of(self, receipt: TradeReceipt, trader: str, order_book: str | None = None) -> int:
        """The id of the order a placement or modify created: from its answer when the answer says
        it, else from what its transaction placed."""
        if receipt.order_id is not None:
            return receipt.order_id
        assert receipt.tx_hash, "an answer without an order id must name its transaction"
        outcome = self.placement_outcome(receipt.tx_hash, trader, order_book=order_book)
        assert outcome.state is PlacementState.LANDED and outcome.order_id is not None, outcome
        return outcome.order_id

    def open_session(self, trader: str, **permit_fields: Any) -> str:
        """Build, sign and register a permit (fields as for `permit`); the new session id. On a
        venue without sessions: `NO_SESSION`, what its trades are sent with."""
        if not isinstance(self.venue, SessionVenue):
            return NO_SESSION
        permit = self.permit(trader, **permit_fields)
        grant = self.venue.create_session(self.order_book, permit, self.sign(permit))
        return grant.session_id

    # ------------------------------------------------------------------ prices that are safe to quote

    def anchor_price6(self) -> int:
        """Mid when both sides rest, else the side that rests, else the mark, else the listed price."""
        top = self.venue.book(self.order_book, 1).top
        if top.mid6:
            return top.mid6
        if top.best_bid6 or top.best_ask6:
            return top.best_bid6 or top.best_ask6
        if top.mark6:
            return top.mark6
        symbol = self.info.symbol
        for row in self.venue.list_markets(search=symbol, status=None, limit=100).markets:
            if row.symbol == symbol and row.initial_price:
                return price6(row.initial_price)
        raise AssertionError(f"no price to anchor quotes on {symbol}")

    def passive_price6(self, is_buy: bool, ticks: int = 20) -> int:
        """A price `ticks` ticks away from the anchor, on the grid, that cannot cross the book."""
        tick6 = self.info.tick6
        top = self.venue.book(self.order_book, 1).top
        anchor = self.anchor_price6()
        if is_buy:
            price = (anchor // tick6 - ticks) * tick6
            if top.best_ask6:
                price = min(price, (top.best_ask6 // tick6 - ticks) * tick6)
        else:
            price = (-(-anchor // tick6) + ticks) * tick6
            if top.best_bid6:
                price = max(price, (-(-top.best_bid6 // tick6) + ticks) * tick6)
        assert price > 0
        return price

    def front_price6(self, is_buy: bool) -> int:
        """The best price a maker can rest at without crossing: one tick inside the spread when there
        is room, else joining the best price on its side."""
        tick6 = self.info.tick6
        top = self.venue.book(self.order_book, 1).top
        if is_buy:
            if top.best_bid6 and (not top.best_ask6 or top.best_bid6 + tick6 < top.best_ask6):
                return top.best_bid6 + tick6
            if top.best_bid6:
                return top.best_bid6
            return self.passive_price6(True, 1)
        if top.best_ask6 and (not top.best_bid6 or top.best_ask6 - tick6 > top.best_bid6):
            return top.best_ask6 - tick6
        if top.best_ask6:
            return top.best_ask6
        return self.passive_price6(False, 1)

    def amount_through(self, price6: int, is_buy_side: bool) -> int:
        """Everything resting on one side at `price6` or better: what a taker must take to reach it."""
        snapshot = self.venue.book(self.order_book, 100)
        if is_buy_side:
            return sum(level.amount18 for level in snapshot.bids if level.price6 >= price6)
        return sum(level.amount18 for level in snapshot.asks if level.price6 <= price6)


class SimHarness(VenueHarness):
    """The embedded exchange: PERFECT_EXECUTION (no relay failures, no latency), virtual clock.
    Nothing moves unless a test advances time."""

    name = "sim"

    def __init__(self, *, seed: int = 20_260_101, symbol: str = "ETH-USD", trader_count: int = 4) -> None:
        self.sim = SimVenue(seed, "PERFECT_EXECUTION", "virtual")
        self.venue = self.sim
        self.order_book = self.sim.market_info(symbol).order_book
        keys = [derived_test_key(f"trader {i}") for i in range(trader_count)]
        self.traders = [(address_of(key), key) for key in keys]
        self.sim.available_collateral([address for address, _ in self.traders])

    def cause_taker_trade(self, is_buy: bool, amount18: int) -> None:
        self.sim.inject_taker(self.order_book, is_buy, amount18)

    def advance(self, seconds: float) -> None:
        self.sim.advance(seconds)

    def empty_order_book(self) -> str | None:
        return self.sim.market_info("WTI-CRUDE-DEC25").order_book

    def fresh_order_book(self) -> str | None:
        """GOLD-OZ: its providers quote as soon as it is first named, and nothing trades until time moves."""
        return self.sim.market_info("GOLD-OZ").order_book

    def other_order_book(self) -> str | None:
        return self.sim.market_info("BTC-USD").order_book

    def answer_pending(self) -> None:
        self.sim.relay_answers = "pending"

    def close(self) -> None:
        self.sim.close()


class SessionlessSimHarness(SimHarness):
    """The embedded exchange behind a venue without sessions (`sessionless.SessionlessSim`): only
    the `Venue` protocol, trades sent with `NO_SESSION`."""

    name = "sim-sessionless"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.venue = SessionlessSim(self.sim, dict(self.traders))


def eventually(check: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    """True once `check()` is (asked every 0.1 s of wall time, for at most `timeout_s`): for what a
    trade answered `pending` (as production's route does) changes once it is mined."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True
