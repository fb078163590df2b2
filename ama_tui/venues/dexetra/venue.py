"""`DexetraVenue`: the production exchange (or the local devnet) behind the `Venue` protocol.

Markets, depth, sessions and trades go through the web app's HTTP API; everything the packer
must be sure of (top of book, resting orders, collateral, positions, fills) is read from the chain.
A cycle's reads for the whole fleet take three JSON-RPC round trips (see `coalesce`) plus the
API's depth read. Failures are the protocol's typed failures; no message carries a key, a
signature or the RPC URL.

The trade route answers `pending` by default and never an order id (reference section 7): a
placement's id comes from its receipt (looked up once right after the answer, and with every
open-orders read while it is in flight, see `in_doubt`); until the receipt or the book shows it,
no second order goes out at that side and price.

The route's collateral pre-check adds an estimated fee to the order's margin. `available_collateral`
stays the chain's figure to the unit; the room for the fee is left by the planner's cap
(`core.planner.wallet_cap6`: at most `maxWalletUtilization` <= 0.9 of a wallet's free collateral
is ever reserved, so at least a tenth stays free for the fee), and an `insufficient_collateral`
rejection of a limit order carries the chain's `margin6` and the route's `fee6` beside
`available6`/`required6`, so a caller can shrink the order by exactly what is missing.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import Any, Final

import httpx

from ama_tui.core.margin import estimate_margin6
from ama_tui.core.market import BookTop, InFlightPlacement, OpenOrder
from ama_tui.protocol.accounts import checksum
from ama_tui.protocol.errors import ErrorCode
from ama_tui.protocol.methods import BYTES32_HEX
from ama_tui.protocol.permits import SessionPermit
from ama_tui.settings import LiveSettings
from ama_tui.venues.addresses import trader_address, trader_addresses
from ama_tui.venues.base import (
    BookSnapshot,
    CancelOrder,
    Clock,
    FillsPage,
    MarketInfo,
    MarketPage,
    MarketRead,
    MarketReadRequest,
    MarketRow,
    ModifyOrder,
    OrderStatus,
    PlaceLimit,
    PlaceMarket,
    PlacementOutcome,
    PlacementState,
    Position,
    RootMemory,
    SessionDomain,
    SessionGrant,
    TradeReceipt,
    TradeRejected,
    TradeRequest,
    UnknownMarket,
    VenueError,
    VenueKind,
    VenueUnavailable,
    WallClock,
)
from ama_tui.venues.dexetra.answers import depth_levels, is_deployed, market_row, public_trade
from ama_tui.venues.dexetra.api import DEFAULT_TIMEOUT_S, TRADE_TIMEOUT_S, DexetraApi
from ama_tui.venues.dexetra.api_models import TradeAnswer
from ama_tui.venues.dexetra.calls import DEFAULT_CHUNK
from ama_tui.venues.dexetra.chain import BookRead, ChainReader, MarketStatic, OrdersRead
from ama_tui.venues.dexetra.coalesce import DEFAULT_TTL_S, PrefetchedLogs, ReadCoalescer
from ama_tui.venues.dexetra.fill_feed import FillFeed
from ama_tui.venues.dexetra.http_common import host_of
from ama_tui.venues.dexetra.in_doubt import (
    DEFAULT_ANSWERED_WINDOW_S,
    DEFAULT_WINDOW_S,
    MARKET_ORDER,
    InDoubtPlacements,
    answered,
    outcome_unknown,
)
from ama_tui.venues.dexetra.order_status import read_order_status
from ama_tui.venues.dexetra.receipts import placement_outcome, succeeded
from ama_tui.venues.dexetra.rpc import DEFAULT_MAX_BATCH, JsonRpcClient
from ama_tui.venues.dexetra.trade_requests import trade_body
from ama_tui.venues.early_reads import EarlyReads

MAX_LEVELS: Final = 25
"""The API serves at most 25 depth levels a side."""
CATALOGUE_PAGE: Final = 100
CATALOGUE_MAX_PAGES: Final = 50
LEARNED_IDS: Final = 4_096
"""Order ids learned from receipts, kept per transaction hash (oldest forgotten first)."""
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


REFRESH_S: Final = 1.0
"""A block on HyperEVM (about a second); the web app's live book is cached about as long."""


class InvalidCursor(VenueError, ValueError):
    """A fills cursor this venue did not hand out (it is a block number)."""


class DexetraVenue:
    """Thread-safe. `kind` is DEVNET when pointed at the local devnet, LIVE otherwise."""

    refresh_s: float = REFRESH_S
    """How often its book can change: a quiet packer loop reads it no more often than this."""

    kind: VenueKind
    clock: Clock

    def __init__(
        self,
        settings: LiveSettings,
        *,
        kind: VenueKind = VenueKind.LIVE,
        clock: Clock | None = None,
        http_timeout: float = DEFAULT_TIMEOUT_S,
        trade_timeout: float = TRADE_TIMEOUT_S,
        rpc_timeout: float = DEFAULT_TIMEOUT_S,
        api_transport: httpx.BaseTransport | None = None,
        rpc_transport: httpx.BaseTransport | None = None,
        multicall: bool | None = None,
        multicall_chunk: int = DEFAULT_CHUNK,
        max_batch: int = DEFAULT_MAX_BATCH,
        prefetch_ttl_s: float = DEFAULT_TTL_S,
        in_doubt_window_s: float = DEFAULT_WINDOW_S,
        in_doubt_answered_window_s: float = DEFAULT_ANSWERED_WINDOW_S,
        early_reads: EarlyReads | None = None,
    ) -> None:
        """Checks the chain at once (chain id, registry code, Multicall3), one round trip; pass
        `multicall=True/False` to skip the check and force a read strategy (tests, benchmarks).
        `in_doubt_window_s` / `in_doubt_answered_window_s`: how long a placement whose outcome is
        unknown blocks a second one at the same side and price (see `in_doubt`). `early_reads`: the
        web app's first GETs, begun at launch (`venues.early_reads`)."""
        self.settings = settings
        self.kind = kind
        self.clock = clock or WallClock()
        self._api = DexetraApi(
            settings.app_url,
            timeout=http_timeout,
            trade_timeout=trade_timeout,
            transport=api_transport,
            early=early_reads,
        )
        self.rpc = JsonRpcClient(
            settings.rpc_url, timeout=rpc_timeout, transport=rpc_transport, max_batch=max_batch
        )
        self.chain = ChainReader(self.rpc, chunk=multicall_chunk)
        self._coalescer = ReadCoalescer(ttl_s=prefetch_ttl_s)
        self._feed = FillFeed(self.chain)
        self._in_doubt = InDoubtPlacements(
            window_s=in_doubt_window_s, answered_window_s=in_doubt_answered_window_s
        )
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dexetra")
        self._lock = threading.Lock()
        self._rows: dict[str, MarketRow] = {}
        self._infos: dict[str, MarketInfo] = {}
        self._vault: str | None = None
        self._learned: OrderedDict[str, PlacementOutcome] = OrderedDict()
        self._relayer_root: Future[str] | None = None
        self._root_hint: str | None = None
        self._roots: RootMemory | None = None
        self._closed = False
        try:
            if multicall is None:
                self.chain.connect(settings.chain_id, settings.session_registry)
            else:
                self.chain.configure(multicall=multicall)
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"DexetraVenue({host_of(self.settings.app_url)}, chain {self.settings.chain_id}, {self.kind})"

    @property
    def uses_multicall(self) -> bool:
        return self.chain.uses_multicall

    # ============================================================== markets

    def list_markets(
        self,
        *,
        search: str | None = None,
        status: str | None = "ACTIVE",
        limit: int = 50,
        offset: int = 0,
    ) -> MarketPage:
        limit = max(1, int(limit))
        offset = max(0, int(offset))
        answer = self._api.markets(limit=limit, offset=offset, status=status, search=search)
        rows = tuple(market_row(model) for model in answer.markets)
        self._remember(rows)
        return MarketPage(markets=rows, total=answer.pagination.total, limit=limit, offset=offset)

    def market_info(self, market: str) -> MarketInfo:
        row = self._row(market)
        key = row.market_address.lower()
        with self._lock:
            known = self._infos.get(key)
        if known is not None:
            return known
        if row.chain_id != self.settings.chain_id:
            raise UnknownMarket(
                f"{row.symbol} trades on chain {row.chain_id}, not chain {self.settings.chain_id}"
            )
        static = self.chain.market_static(row.market_address)
        if static.market_id_hex != row.market_id_bytes32.lower():
            raise VenueUnavailable(
                f"the web app lists {row.symbol} with market id {row.market_id_bytes32}, but its OrderBook "
                f"says {static.market_id_hex}",
                code=ErrorCode.UNAVAILABLE,
            )
        info = MarketInfo(
            symbol=row.symbol,
            order_book=checksum(row.market_address),
            market_id_bytes32=static.market_id_hex,
            chain_id=self.settings.chain_id,
            tick6=row.tick6,
            margin_bps=static.margin_bps,
            vault=checksum(static.vault),
        )
        with self._lock:
            self._infos[key] = info
            self._vault = self._vault or info.vault
        return info

    def _market(self, order_book: object) -> tuple[MarketInfo, MarketStatic]:
        if not isinstance(order_book, str):
            raise UnknownMarket(f"no market {type(order_book).__name__}")
        info = self.market_info(order_book)
        return info, self.chain.market_static(info.order_book)

    def _row(self, key: object) -> MarketRow:
        text = key.strip() if isinstance(key, str) else ""
        if not text:
            raise UnknownMarket(
                f"no market {key!r}" if isinstance(key, str) else "a market is named by a string"
            )
        found = self._lookup(text)
        if found is None:
            self._load_catalogue()
            found = self._lookup(text)
        if found is None:
            shown = text if len(text) <= 80 else text[:77] + "..."
            raise UnknownMarket(f"the exchange lists no market {shown!r}")
        return found

    def _lookup(self, text: str) -> MarketRow | None:
        with self._lock:
            return self._rows.get(("a:" if _ADDRESS.match(text) else "s:") + text.lower())

    def know_rows(self, rows: Sequence[MarketRow]) -> None:
        """Rows listed before (remembered between launches): `market_info` resolves them without
        reading the listing, and checks each against its OrderBook on the chain as always."""
        self._remember(rows)

    def _remember(self, rows: Sequence[MarketRow]) -> None:
        """Rows a market can be resolved to: deployed ones only (a PENDING row has no order book)."""
        with self._lock:
            for row in rows:
                if not is_deployed(row):
                    continue
                self._rows["a:" + row.market_address.lower()] = row
                self._rows["s:" + row.symbol.lower()] = row

    def _load_catalogue(self) -> None:
        """Every listed market (all statuses), page by page."""
        offset = 0
        for _ in range(CATALOGUE_MAX_PAGES):
            page = self.list_markets(status=None, limit=CATALOGUE_PAGE, offset=offset)
            offset += len(page.markets)
            if not page.markets or offset >= page.total:
                return

    def _default_vault(self) -> str:
        with self._lock:
            vault = self._vault
        if vault is not None:
            return vault
        page = self.list_markets(status=None, limit=CATALOGUE_PAGE)
        rows = sorted((r for r in page.markets if is_deployed(r)), key=lambda r: not r.is_active)
        for row in rows:
            if row.chain_id == self.settings.chain_id:
                return self.market_info(row.market_address).vault
        raise VenueUnavailable(f"the exchange lists no market on chain {self.settings.chain_id}")

    # ============================================================== reads

    def book(self, order_book: str, levels: int = 10) -> BookSnapshot:
        levels = _levels(levels)
        info, static = self._market(order_book)
        depth = self._pool.submit(self._api.orderbook, info.order_book, levels)
        try:
            top = self.chain.top(static)
        except BaseException:
            depth.cancel()
            raise
        return _book_of(top, depth.result(), levels)

    def top(self, order_book: str) -> BookTop:
        """Best bid and ask, mark and last trade from the chain in one round trip (no relay call)."""
        _, static = self._market(order_book)
        return self.chain.top(static)

    def open_orders(self, order_book: str, traders: Sequence[str]) -> dict[str, tuple[OpenOrder, ...]]:
        pairs = trader_addresses(traders)
        info, static = self._market(order_book)
        unique = _unique_addresses(pairs)
        if not unique:
            return {}
        generation = self._coalescer.generation
        after = self._coalescer.cursor(info.order_book)
        read = self.chain.read_orders(
            info.order_book,
            unique,
            vault=static.vault,
            fills_after=after,
            watch=self._in_doubt.in_flight(info.order_book),
        )
        self._settle(info.order_book, unique, after, read)
        if read.collateral is not None:
            self._coalescer.put_collateral(static.vault, read.collateral, generation)
        return {given: read.orders[address] for given, address in pairs}

    def read_markets(self, requests: Sequence[MarketReadRequest]) -> dict[str, MarketRead]:
        """`MarketsReader`: every market's book (the depth from the app, one request each, side by
        side), orders and free collateral, with the chain read for all of them in two round trips."""
        planned: list[tuple[str, int, list[tuple[str, str]], int | None]] = []
        reads: list[BookRead] = []
        for request in requests:
            pairs = trader_addresses(request.traders)
            info, static = self._market(request.order_book)
            after = self._coalescer.cursor(info.order_book)
            unique = _unique_addresses(pairs)
            planned.append((info.order_book, _levels(request.levels), pairs, after))
            reads.append(
                BookRead(
                    info.order_book,
                    unique,
                    static.vault,
                    after,
                    self._in_doubt.in_flight(info.order_book),
                    top=static,
                )
            )
        depths = [self._pool.submit(self._api.orderbook, book, levels) for book, levels, _, _ in planned]
        try:
            results = self.chain.read_books(reads)
        except BaseException:
            for depth in depths:
                depth.cancel()
            raise
        out: dict[str, MarketRead] = {}
        for request, (book, levels, pairs, after), read, result, depth in zip(
            requests, planned, reads, results, depths, strict=True
        ):
            self._settle(book, read.traders, after, result.orders)
            orders, collateral = result.orders, result.orders.collateral
            assert result.top is not None and collateral is not None  # both asked for
            snapshot = _book_of(result.top, depth.result(), levels)
            out[request.order_book] = MarketRead(
                snapshot,
                {given: orders.orders[address] for given, address in pairs},
                {given: collateral[address] for given, address in pairs},
            )
        return out

    def _settle(self, order_book: str, unique: Sequence[str], after: int | None, read: OrdersRead) -> None:
        """What an orders read settles: placements in doubt it saw land or fail, and the fill logs
        it read on the way (kept for the next `fills_since`)."""
        for tx_hash, trader in self._in_doubt.resolve(order_book, read.orders, read.tx_states):
            receipt = read.receipts.get(tx_hash)
            if receipt is not None:
                self._learn(tx_hash, placement_outcome(receipt, order_book, checksum(trader)))
        if after is not None and read.logs is not None:
            end = self.chain.log_range_end(after, read.head)
            self._coalescer.put_logs(order_book, PrefetchedLogs(after, end, frozenset(unique), read.logs))

    def placements_in_flight(
        self, order_book: str, traders: Sequence[str]
    ) -> dict[str, tuple[InFlightPlacement, ...]]:
        """Placements sent (answered `pending`) or whose answer was lost, not yet seen on the book
        nor mined, as of the last open-orders read (which settles them against the same block)."""
        info, _ = self._market(order_book)
        return self._in_doubt.placements(info.order_book, traders)

    def available_collateral(self, traders: Sequence[str]) -> dict[str, int]:
        pairs = trader_addresses(traders)
        unique = _unique_addresses(pairs)
        if not unique:
            return {}
        vault = self._default_vault()
        values = self._coalescer.take_collateral(vault, unique)
        if values is None:
            values = self.chain.collateral(vault, unique)
        return {given: values[address] for given, address in pairs}

    def positions(self, order_book: str, traders: Sequence[str]) -> dict[str, Position]:
        pairs = trader_addresses(traders)
        _, static = self._market(order_book)
        unique = _unique_addresses(pairs)
        if not unique:
            return {}
        values = self.chain.positions(static, unique)
        return {given: values[address] for given, address in pairs}

    def fills_cursor(self, order_book: str) -> str:
        info, _ = self._market(order_book)
        head = self.chain.head()
        self._coalescer.handed_out(info.order_book, head)
        return str(head)

    def fills_since(self, order_book: str, traders: Sequence[str], cursor: str) -> FillsPage:
        """Our traders' fills in the blocks after `cursor` (a block number). The cursor handed back
        is the last block read; at most MAX_LOG_RANGE * MAX_LOG_CHUNKS blocks are read per call."""
        pairs = trader_addresses(traders)
        info, _ = self._market(order_book)
        if not isinstance(cursor, str) or not cursor.strip().isascii() or not cursor.strip().isdigit():
            raise InvalidCursor(f"a fills cursor is a block number, got {str(cursor)[:40]!r}")
        after = int(cursor.strip())
        wanted: dict[str, str] = {}
        for given, address in pairs:
            wanted.setdefault(address, given)
        held = self._coalescer.take_logs(info.order_book, after, list(wanted))
        if held is not None:
            logs, end = held.logs, held.end
        else:
            head = self.chain.head()
            end = self.chain.log_range_end(after, head)
            logs = (
                self.chain.trade_logs(info.order_book, list(wanted), after, end)
                if wanted and end > after
                else ()
            )
        fills = self._feed.fills(info.order_book, logs, wanted)
        self._coalescer.handed_out(info.order_book, end)
        return FillsPage(fills=fills, cursor=str(end))

    # ============================================================== sessions

    def session_domain(self) -> SessionDomain:
        return SessionDomain(chain_id=self.settings.chain_id, registry=self.settings.session_registry)

    def warm_start(self, roots: RootMemory | None = None) -> None:
        """Start reading, in the background, what the run's first sessions need (the relayer
        set): one relay round trip taken while the market is being looked up. With `roots`, the
        root remembered from the last run is the first sessions' hint (`relayer_root_hint`) and
        the root read now is remembered for the next."""
        with self._lock:
            if roots is not None:
                self._roots = roots
                with contextlib.suppress(OSError, ValueError):
                    self._root_hint = roots.recall()
            if self._relayer_root is None and not self._closed:
                early = self._pool.submit(lambda: self._api.relayer_set().relayerSetRoot)
                early.add_done_callback(self._remember_read)  # once done: a hint is moot then
                self._relayer_root = early

    def _remember_read(self, done: Future[str]) -> None:
        if not done.cancelled() and done.exception() is None:
            self._remember_root(done.result())

    def _remember_root(self, root: str) -> None:
        if self._roots is not None:
            with contextlib.suppress(OSError, ValueError):
                self._roots.remember(root)

    def _read_relayer_root(self) -> str:
        root = self._api.relayer_set().relayerSetRoot
        self._remember_root(root)
        return root

    def relayer_root_hint(self) -> str | None:
        """The root remembered from the last run, once, while the early read is in flight (or
        failed: a read again takes a round trip); None once it has answered, when no early read
        was begun, or when nothing was remembered."""
        with self._lock:
            hint, self._root_hint = self._root_hint, None
            early = self._relayer_root
        if hint is None or early is None or (early.done() and early.exception() is None):
            return None  # nothing to guess: no read in flight, or its answer is at hand
        return hint

    def relayer_set_root(self) -> str:
        """The relayer set's root; the one `warm_start` read, once (a later session reads afresh:
        the set may change over a long run), or a new read if that one failed."""
        with self._lock:
            early, self._relayer_root = self._relayer_root, None
        if early is not None:
            with contextlib.suppress(VenueError, CancelledError):
                return early.result()
        return self._read_relayer_root()

    def session_nonce(self, trader: str) -> int:
        """Read on the chain (what the web app's nonce route reads too, one relay round trip
        less per session); the route answers when the chain read fails."""
        address = trader_address(trader)
        try:
            return self.chain.meta_nonce(self.settings.session_registry, address)
        except VenueError:
            return self._api.nonce(address)

    def sessions_active(self, session_ids: Sequence[str]) -> dict[str, bool]:
        """Which of these sessions the registry holds active and unexpired (one batched read)."""
        wanted = [sid for sid in session_ids if isinstance(sid, str) and BYTES32_HEX.match(sid)]
        active = self.chain.sessions_active(self.settings.session_registry, wanted, int(self.clock.now()))
        return {sid: active.get(sid, False) for sid in session_ids}

    def create_session(self, order_book: str, permit: SessionPermit, signature: str) -> SessionGrant:
        if not isinstance(permit, SessionPermit):
            raise TypeError(f"permit must be a SessionPermit, got {type(permit).__name__}")
        info, _ = self._market(order_book)
        if not isinstance(signature, str):
            raise TradeRejected(ErrorCode.BAD_SIG, "the signature must be a hex string")
        self._coalescer.invalidate()
        answer = self._api.session_init(info.order_book, permit.to_api_json(), signature)
        return SessionGrant(session_id=answer.sessionId, expiry=permit.expiry, tx_hash=answer.txHash)

    # ============================================================== trading

    def submit(self, order_book: str, session_id: str, request: TradeRequest) -> TradeReceipt:
        info, static = self._market(order_book)
        method, params = trade_body(request, static.margin_bps)
        trader = params["trader"]
        placing = request if isinstance(request, PlaceLimit) else None
        doubt = _doubt_key(request)  # (is_buy, price6) of a placement or a market order
        if doubt is not None:
            self._in_doubt.check(info.order_book, trader, *doubt)
        self._coalescer.invalidate()
        try:
            answer = self._api.trade(info.order_book, method, str(session_id), params)
        except VenueError as exc:
            if doubt is not None and outcome_unknown(exc):
                self._in_doubt.note(
                    info.order_book,
                    trader,
                    *doubt,
                    answered=answered(exc),
                    amount18=placing.amount18 if placing is not None else 0,
                )
            if placing is not None and isinstance(exc, TradeRejected):
                _explain_shortfall(exc, placing, static.margin_bps)
            raise
        finally:
            self._coalescer.invalidate()  # a read racing the trade may have cached the old values
        if isinstance(request, CancelOrder):
            pending = bool(answer.pending)  # the order rests until the cancel is mined
            return TradeReceipt(answer.txHash, request.order_id, answer.filledAmount, pending=pending)
        if not isinstance(request, PlaceLimit | ModifyOrder):  # a market order rests nowhere
            if doubt is not None and (answer.pending or not answer.blockNumber):
                # sent, not mined: no second take on this side until its receipt shows
                self._in_doubt.note(info.order_book, trader, *doubt, answered=True, tx_hash=answer.txHash)
            return TradeReceipt(answer.txHash, None, answer.filledAmount)
        if answer.orderId is not None:  # older relays say it
            return TradeReceipt(answer.txHash, answer.orderId, answer.filledAmount)
        if answer.pending or not answer.blockNumber:
            # sent, not mined: in flight until a read sees its receipt (the next open-orders read
            # looks every in-flight transaction up in one batch) or the book shows the order; the
            # id is learned then (`placement_outcomes`), never waited for here
            if placing is not None:
                book, side, price = info.order_book, placing.is_buy, placing.price6
                self._in_doubt.note(
                    book, trader, side, price, answered=True, tx_hash=answer.txHash, amount18=placing.amount18
                )
            return TradeReceipt(tx_hash=answer.txHash, order_id=None, filled18=answer.filledAmount)
        order_id = self._order_from_receipt(answer, info.order_book, trader)
        return TradeReceipt(tx_hash=answer.txHash, order_id=order_id, filled18=answer.filledAmount)

    def _order_from_receipt(self, answer: TradeAnswer, order_book: str, trader: str) -> int | None:
        """The new order's id from the receipt of a transaction the relay answered as mined (it
        never answers the id): None when the receipt cannot be read or it placed none. A mined
        revert raises TX_REVERTED: nothing landed."""
        receipt = self._receipt(answer.txHash)
        if receipt is None:
            return None
        if not succeeded(receipt):
            raise TradeRejected(
                ErrorCode.TX_REVERTED,
                "the transaction was mined and reverted",
                {"txHash": answer.txHash, "blockNumber": answer.blockNumber or _block_of(receipt)},
            )
        outcome = placement_outcome(receipt, order_book, trader)
        self._learn(answer.txHash, outcome)
        return outcome.order_id

    def order_status(self, order_book: str, order_ids: Sequence[int]) -> dict[int, OrderStatus]:
        """What became of these orders (`OrderStatusReader`), from the chain in two round trips."""
        info, _ = self._market(order_book)
        return read_order_status(self.chain.executor, info.order_book, order_ids, self.chain.head())

    def placed_order_id(self, tx_hash: str, trader: str, order_book: str) -> int | None:
        """The id of the order a placement or modify sent as `tx_hash` created, once it is mined
        (None while it is not, or when it placed none): what a `pending` answer could not say."""
        return self.placement_outcomes(order_book, [(tx_hash, trader)])[tx_hash].order_id

    def placement_outcomes(
        self, order_book: str, sent: Sequence[tuple[str, str]]
    ) -> dict[str, PlacementOutcome]:
        """What became of placements answered `pending`: learned from the reads that settled them
        (no call), the rest from their receipts in one batched read (PENDING while unmined or
        when the receipts cannot be read)."""
        info = self.market_info(order_book)
        out: dict[str, PlacementOutcome] = {}
        unknown: list[tuple[str, str]] = []
        with self._lock:
            for tx_hash, trader in sent:
                learned = self._learned.get(tx_hash.lower())
                if learned is None:
                    unknown.append((tx_hash, trader))
                else:
                    out[tx_hash] = learned
        receipts: dict[str, dict[str, Any] | None] = {}
        if unknown:
            with contextlib.suppress(VenueError):
                receipts = self.chain.receipts(list(dict.fromkeys(tx for tx, _ in unknown)))
        for tx_hash, trader in unknown:
            receipt = receipts.get(tx_hash)
            if receipt is None:
                out[tx_hash] = PlacementOutcome(PlacementState.PENDING)
                continue
            outcome = placement_outcome(receipt, info.order_book, trader_address(trader))
            self._learn(tx_hash, outcome)
            out[tx_hash] = outcome
        return out

    def _receipt(self, tx_hash: str) -> dict[str, Any] | None:
        try:
            return self.chain.receipts([tx_hash]).get(tx_hash)
        except VenueError:
            return None

    def _learn(self, tx_hash: str, outcome: PlacementOutcome) -> None:
        with self._lock:
            self._learned[tx_hash.lower()] = outcome
            self._learned.move_to_end(tx_hash.lower())
            while len(self._learned) > LEARNED_IDS:
                self._learned.popitem(last=False)

    # ============================================================== lifecycle

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._api.close()
        self.rpc.close()

    # ---------------------------------------------------------------- addresses


# ------------------------------------------------------------------ conversions


def _doubt_key(request: TradeRequest) -> tuple[bool, int] | None:
    """What an unknown outcome of `request` blocks a second of: a placement's side and price, a
    market order's side (`in_doubt`); None for cancels and modifies."""
    if isinstance(request, PlaceLimit):
        return request.is_buy, request.price6
    if isinstance(request, PlaceMarket):
        return request.is_buy, MARKET_ORDER
    return None


def _levels(levels: int) -> int:
    if isinstance(levels, bool) or not isinstance(levels, int):
        raise TypeError("levels must be an int")
    return min(max(levels, 1), MAX_LEVELS)


def _book_of(top: BookTop, data: Any, levels: int) -> BookSnapshot:
    """The book from the chain's top and the app's depth (`data`, the orderbook route's answer)."""
    bids, asks = depth_levels(data, levels)  # none when the app's depth read timed out
    # the chain is the fresher source: drop levels it shows are gone, keep the book uncrossed
    bids = tuple(level for level in bids if top.best_bid6 and level.price6 <= top.best_bid6)
    asks = tuple(level for level in asks if top.best_ask6 and level.price6 >= top.best_ask6)
    trades = sorted(
        (trade for trade in map(public_trade, data.recentTrades) if trade is not None),
        key=lambda trade: trade.timestamp,
        reverse=True,
    )
    return BookSnapshot(top=top, bids=bids, asks=asks, recent_trades=tuple(trades), timestamp=time.time())


def _unique_addresses(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """The checksummed addresses of `trader_addresses` pairs, once each, in first-seen order."""
    return list(dict.fromkeys(address for _, address in pairs))


def _block_of(receipt: dict[str, Any]) -> int | None:
    try:
        return int(str(receipt.get("blockNumber")), 16)
    except ValueError:
        return None


def _explain_shortfall(exc: TradeRejected, order: PlaceLimit, margin_bps: int) -> None:
    """Add the chain's margin and the route's fee estimate to an `insufficient_collateral` answer
    (its `required6` is margin + fee)."""
    if exc.code != ErrorCode.INSUFFICIENT_COLLATERAL:
        return
    margin6 = estimate_margin6(order.price6, order.amount18, order.is_buy, margin_bps)
    exc.details.setdefault("margin6", margin6)
    required = exc.details.get("required6")
    if isinstance(required, int) and not isinstance(required, bool):
        exc.details.setdefault("fee6", max(0, required - margin6))
