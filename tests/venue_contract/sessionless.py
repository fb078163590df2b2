"""A venue without sessions: the embedded exchange seen as an exchange whose accounts are
authorised by the exchange itself (API keys, a custodial account), so a trade carries no session.

It implements `Venue` and the sim's order reads (`PlacementResolver`, `OrderStatusReader`) but
not `SessionVenue`, so the contract suite and the engine are shown to work without sessions. Under the hood it
holds its account holders' keys and opens a sim session for each the first time it trades; the
caller never sees one and sends `NO_SESSION`."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from ama_tui.core.keys import PrivateKey
from ama_tui.core.market import OpenOrder
from ama_tui.protocol.accounts import InvalidAddress, checksum
from ama_tui.protocol.errors import ErrorCode
from ama_tui.protocol.permits import build_session_permit, sign_session_permit
from ama_tui.venues.base import (
    NO_SESSION,
    BookSnapshot,
    Clock,
    FillsPage,
    MarketInfo,
    MarketPage,
    OrderStatus,
    PlacementOutcome,
    Position,
    TradeReceipt,
    TradeRejected,
    TradeRequest,
    VenueKind,
)
from ama_tui.venues.sim import SimVenue

SESSION_TTL_S = 365 * 24 * 3600


class SessionlessSim:
    kind: VenueKind = VenueKind.SIM
    clock: Clock

    def __init__(self, sim: SimVenue, accounts: Mapping[str, PrivateKey]) -> None:
        """`accounts`: address -> key of every account this exchange holds."""
        self.sim = sim
        self.clock = sim.clock
        self._keys = {checksum(address): key for address, key in accounts.items()}
        self._sessions: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self.submitted_session_ids: list[str] = []
        """What each `submit` was sent (a test checks the engine sends NO_SESSION)."""

    def list_markets(
        self, *, search: str | None = None, status: str | None = "ACTIVE", limit: int = 50, offset: int = 0
    ) -> MarketPage:
        return self.sim.list_markets(search=search, status=status, limit=limit, offset=offset)

    def market_info(self, market: str) -> MarketInfo:
        return self.sim.market_info(market)

    def book(self, order_book: str, levels: int = 10) -> BookSnapshot:
        return self.sim.book(order_book, levels)

    def open_orders(self, order_book: str, traders: Sequence[str]) -> dict[str, tuple[OpenOrder, ...]]:
        return self.sim.open_orders(order_book, traders)

    def available_collateral(self, traders: Sequence[str]) -> dict[str, int]:
        return self.sim.available_collateral(traders)

    def positions(self, order_book: str, traders: Sequence[str]) -> dict[str, Position]:
        return self.sim.positions(order_book, traders)

    def fills_cursor(self, order_book: str) -> str:
        return self.sim.fills_cursor(order_book)

    def fills_since(self, order_book: str, traders: Sequence[str], cursor: str) -> FillsPage:
        return self.sim.fills_since(order_book, traders, cursor)

    def submit(self, order_book: str, session_id: str, request: TradeRequest) -> TradeReceipt:
        self.submitted_session_ids.append(session_id)
        try:
            address = checksum(request.trader)
        except InvalidAddress:
            return self.sim.submit(order_book, NO_SESSION, request)  # the exchange's own refusal
        return self.sim.submit(order_book, self._session_of(order_book, address), request)

    def close(self) -> None:
        self.sim.close()

    # capabilities other than sessions, passed through (only sessions are missing)

    def placement_outcomes(
        self, order_book: str, sent: Sequence[tuple[str, str]]
    ) -> dict[str, PlacementOutcome]:
        return self.sim.placement_outcomes(order_book, sent)

    def order_status(self, order_book: str, order_ids: Sequence[int]) -> dict[int, OrderStatus]:
        return self.sim.order_status(order_book, order_ids)

    def _session_of(self, order_book: str, address: str) -> str:
        """The account's own authorisation (opened once per account and market)."""
        key = self._keys.get(address)
        if key is None:
            raise TradeRejected(ErrorCode.INVALID_TRADER, f"{address} has no account on this exchange")
        with self._lock:
            known = self._sessions.get((address, order_book))
            if known is not None:
                return known
            info = self.sim.market_info(order_book)
            domain = self.sim.session_domain()
            permit = build_session_permit(
                trader=address,
                relayer_set_root=self.sim.relayer_set_root(),
                expiry=int(self.sim.clock.now()) + SESSION_TTL_S,
                nonce=self.sim.session_nonce(address),
                allowed_markets=[info.market_id_bytes32],
            )
            signature = sign_session_permit(key, domain.chain_id, domain.registry, permit)
            grant = self.sim.create_session(order_book, permit, signature)
            self._sessions[(address, order_book)] = grant.session_id
            return grant.session_id
