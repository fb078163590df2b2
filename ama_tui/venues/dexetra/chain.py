"""The chain side of the venue: OrderBook, CoreVault and registry reads for a whole fleet at once.

Each public method costs a fixed number of HTTP round trips whatever the number of wallets:

- `connect`: 1 (chain id, Multicall3 code, registry code)
- `market_static`: 1, then cached
- `top`: 1 (best prices, last trade, mark)
- `read_orders`: 2 (round 1: every wallet's order ids, optionally their collateral, the state of
  watched transactions, and the head block; round 2: every order, those the mined watched
  transactions created included, optionally the fill logs up to that head). An order round 2 reads
  as deleted is reported gone only when round 2's state cannot be older than round 1's (a node can
  answer a later request from an older state); else round 2 is read again, then the read fails
  (`_read_orders_since`). Round 1 itself is read again, then fails, when its state is older than
  one an earlier read of the book relied on (`_round_one`)
- `read_books`: 2, what `read_orders` reads for several order books at once, each with its top
- `collateral`, `positions`, `head`, `trade_logs`: 1 each
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ama_tui.core.market import BookTop, OpenOrder
from ama_tui.protocol.abi import MULTICALL3_ADDRESS
from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import Position, VenueError, VenueUnavailable
from ama_tui.venues.dexetra.calls import DEFAULT_CHUNK, Call, CallExecutor, CallResult, ChunkRun, decoded
from ama_tui.venues.dexetra.codec import (
    FEES_DEDUCTED_TOPIC,
    GET_AVAILABLE_COLLATERAL,
    GET_BEST_PRICES,
    GET_LEVERAGE_INFO,
    GET_MARK_PRICE,
    GET_ORDER,
    GET_POSITION_SUMMARY,
    GET_USER_ORDERS,
    LAST_TRADE_PRICE,
    MARKET_STATIC,
    META_NONCE,
    SESSIONS,
    TRADE_TOPIC,
    AbiFunction,
    MalformedChainData,
    RawOrder,
    address_topic,
    decode_order,
    hex_int,
)
from ama_tui.venues.dexetra.fills import FeeLog, TradeLog, parse_chain_log, with_fees
from ama_tui.venues.dexetra.receipts import TxState, created_order_ids
from ama_tui.venues.dexetra.rpc import JsonRpcClient, RpcReply, RpcRequest
from ama_tui.venues.dexetra.sessions import RegistryShape, session_record, shape_of

MAX_LOG_RANGE: Final = 2_000
"""Blocks per eth_getLogs (hosted nodes cap the range)."""
MAX_LOG_CHUNKS: Final = 25
"""At most this many ranges per read; a longer gap is caught up over the following reads."""
ROUND_TWO_TRIES: Final = 3
"""Reads of a `read_books` round 2 that the node answered from a block older than round 1's,
before the read fails."""
STALE_PAUSE_S: Final = 0.05
"""Pause before reading round 1 or round 2 again (times the try): a lagging node gets a moment to
catch up."""
ROUND_ONE_TRIES: Final = 3
"""Reads of a round 1 that the node answered from a block older than an earlier read's, before the
read fails."""


class ChainMismatch(VenueError):
    """The node is not the chain the settings name, or the contracts are not where they say."""


@dataclass(frozen=True, slots=True)
class MarketStatic:
    order_book: str
    vault: str
    market_id: bytes
    margin_bps: int

    @property
    def market_id_hex(self) -> str:
        return "0x" + self.market_id.hex()


@dataclass(frozen=True, slots=True)
class OrdersRead:
    orders: dict[str, tuple[OpenOrder, ...]]
    """By checksummed trader."""
    collateral: dict[str, int] | None
    head: int
    logs: tuple[TradeLog, ...] | None
    """TradeExecutionCompleted of the traders in (fills_after, head], when asked for."""
    tx_states: dict[str, TxState] = field(default_factory=dict)
    """The watched transactions the node answered for (one it failed to answer is left out)."""
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The receipts of the watched transactions that are mined."""


@dataclass(frozen=True, slots=True)
class BookRead:
    """What to read of one order book in `ChainReader.read_books`."""

    order_book: str
    traders: Sequence[str]
    """Checksummed, each once."""
    vault: str | None = None
    """Read each trader's free collateral from this vault."""
    fills_after: int | None = None
    """Read the traders' fill logs in (fills_after, head]."""
    watch: Sequence[str] = ()
    """Transactions whose state (mined or pending) to read."""
    top: MarketStatic | None = None
    """Read the book's top (best prices, last trade, mark) as well."""


@dataclass(frozen=True, slots=True)
class BookReadResult:
    orders: OrdersRead
    top: BookTop | None


@dataclass(frozen=True, slots=True)
class _BookRound:
    """One book's part of round 2 in `read_books`."""

    order_book: str
    ids_of: dict[str, list[int]]
    owners: dict[int, str]
    """Order id -> the trader whose `getUserOrders` listed it in round 1."""
    landed: dict[int, int | None]
    """Order id -> the block a mined watched transaction created it in (None: not told)."""
    unique_ids: list[int]
    logs_at: int
    log_count: int
    receipts: dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _OrderChunk:
    """One aggregate3 of round 2: `getOrder` of `ids`, then `getUserOrders` of `witnesses`."""

    book: int
    ids: list[int]
    witnesses: list[str]


def _value(function: AbiFunction, result: CallResult, what: str) -> tuple[Any, ...]:
    if not result.success:
        raise VenueUnavailable(f"{function.name} reverted {what}", code=ErrorCode.UNAVAILABLE)
    try:
        return function.decode(result.data)
    except MalformedChainData as exc:
        raise VenueUnavailable(f"{exc} {what}", code=ErrorCode.UNAVAILABLE) from None


def _optional_mark(result: CallResult) -> int:
    """The vault's mark price, or 0 when the call reverted or does not decode (a vault without a
    mark for the market is not fatal)."""
    if not result.success:
        return 0
    try:
        (mark,) = GET_MARK_PRICE.decode(result.data)
    except MalformedChainData:
        return 0
    return int(mark)


def _collateral_of(traders: Sequence[str], results: Sequence[CallResult]) -> dict[str, int]:
    """Each trader's getAvailableCollateral result, in trader order (one result per trader)."""
    out: dict[str, int] = {}
    for trader, result in zip(traders, results, strict=True):
        (available,) = _value(GET_AVAILABLE_COLLATERAL, result, f"for {trader}")
        out[trader] = int(available)
    return out


class ChainReader:
    def __init__(self, rpc: JsonRpcClient, *, chunk: int = DEFAULT_CHUNK) -> None:
        self.rpc = rpc
        self._chunk = chunk
        self._executor: CallExecutor | None = None
        self._static: dict[str, MarketStatic] = {}
        self._session_shapes: dict[str, RegistryShape] = {}
        self._floors: dict[str, int] = {}
        """By order book (lower-case): the newest block an orders read of it has relied on (its
        lists' state, the receipts of the placements it saw mined). A later read older than that
        would not list orders already seen resting, and the plan would place them again."""
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ set-up

    def connect(self, expected_chain_id: int, registry: str) -> None:
        """Check the chain id and the registry's code, and see whether Multicall3 is deployed."""
        chain_id, multicall_code, registry_code = (
            reply.unwrap(method)
            for reply, method in zip(
                self.rpc.send(
                    [
                        RpcRequest("eth_chainId"),
                        RpcRequest("eth_getCode", (MULTICALL3_ADDRESS, "latest")),
                        RpcRequest("eth_getCode", (registry, "latest")),
                    ]
                ),
                ("eth_chainId", "eth_getCode", "eth_getCode"),
                strict=True,
            )
        )
        actual = hex_int(chain_id)
        if actual != expected_chain_id:
            raise ChainMismatch(
                f"the RPC node is chain {actual}, but CHAIN_ID says {expected_chain_id}: "
                "point RPC_URL and CHAIN_ID at the same chain"
            )
        if not _has_code(registry_code):
            raise ChainMismatch(f"no contract at SESSION_REGISTRY_ADDRESS {registry} on chain {actual}")
        self.configure(multicall=_has_code(multicall_code))

    def configure(self, *, multicall: bool) -> None:
        self._executor = CallExecutor(self.rpc, multicall=multicall, chunk=self._chunk)

    @property
    def executor(self) -> CallExecutor:
        if self._executor is None:
            raise RuntimeError("ChainReader.connect() has not run")
        return self._executor

    @property
    def uses_multicall(self) -> bool:
        return self.executor.multicall

    # ------------------------------------------------------------------ markets

    def market_static(self, order_book: str) -> MarketStatic:
        """Vault, market id and margin requirement of an order book (read once, then cached)."""
        key = order_book.lower()
        with self._lock:
            known = self._static.get(key)
        if known is not None:
            return known
        results, _ = self.executor.run(
            [Call(order_book, MARKET_STATIC.encode()), Call(order_book, GET_LEVERAGE_INFO.encode())]
        )
        where = f"on the OrderBook {order_book}"
        vault, market_id, _, _ = _value(MARKET_STATIC, results[0], where)
        _, _, margin_bps, _ = _value(GET_LEVERAGE_INFO, results[1], where)
        if int(margin_bps) <= 0:
            raise VenueUnavailable(f"the OrderBook {order_book} reports a margin requirement of 0 bps")
        static = MarketStatic(order_book, str(vault), bytes(market_id), int(margin_bps))
        with self._lock:
            self._static[key] = static
        return static

    def top(self, static: MarketStatic) -> BookTop:
        results, _ = self.executor.run(_top_calls(static))
        return _top_of(static.order_book, results)

    # ------------------------------------------------------------------ orders, collateral

    def read_orders(
        self,
        order_book: str,
        traders: Sequence[str],
        *,
        vault: str | None = None,
        fills_after: int | None = None,
        watch: Sequence[str] = (),
    ) -> OrdersRead:
        """Every trader's resting orders in two round trips. With `vault`, round 1 also reads
        every trader's free collateral; with `watch` (transaction hashes), round 1 also reads
        whether each is mined (its receipt) or pending; with `fills_after`, round 2 also reads the
        traders' fill logs in (fills_after, head], head being the block number round 1 saw."""
        (read,) = self.read_books([BookRead(order_book, traders, vault, fills_after, watch)])
        return read.orders

    def read_books(self, reads: Sequence[BookRead]) -> list[BookReadResult]:
        """What `read_orders` reads, for several order books at once and, per book when asked,
        its top (as `top`): still two round trips whatever the number of books. Collateral asked
        of the same vault for the same trader by several books is read once."""
        executor = self.executor
        calls: list[Call] = []
        top_at: list[int | None] = []
        ids_at: list[int] = []
        collateral_at: dict[tuple[str, str], int] = {}
        for read in reads:
            if read.top is not None:
                top_at.append(len(calls))
                calls += _top_calls(read.top)
            else:
                top_at.append(None)
            ids_at.append(len(calls))
            calls += [Call(read.order_book, GET_USER_ORDERS.encode(t)) for t in read.traders]
        for read in reads:
            if read.vault is not None:
                for trader in read.traders:
                    if (read.vault, trader) not in collateral_at:
                        collateral_at[(read.vault, trader)] = len(calls)
                        calls.append(Call(read.vault, GET_AVAILABLE_COLLATERAL.encode(trader)))
        watched = list(dict.fromkeys(tx for read in reads for tx in read.watch))
        round_one = [RpcRequest("eth_blockNumber"), *_watch_requests(watched)]
        first = self._round_one(calls, round_one, [read.order_book for read in reads])
        results, extra = [r for chunk in first.results for r in chunk], first.replies
        must_reach: int | None = None
        if executor.multicall:
            # anvil's getBlockNumber can be one lower than the state an aggregate3 read: a state
            # one block on is surely not older than what round 1 listed
            must_reach = None if first.newest is None else first.newest + 1
        head = _head(extra[0])
        if not executor.multicall:
            # answered after the calls in the same batch: not older than the state they read on a
            # node that answers a batch in order (a plain eth_call cannot tell its own block)
            must_reach = head
        all_states, all_receipts = _tx_states(watched, extra[1:])

        rounds: list[_BookRound] = []
        log_requests: list[RpcRequest] = []
        for index, read in enumerate(reads):
            ids_of: dict[str, list[int]] = {}
            for offset, trader in enumerate(read.traders):
                (ids,) = _value(GET_USER_ORDERS, results[ids_at[index] + offset], f"for {trader}")
                ids_of[trader] = [int(i) for i in ids]
            receipts = {tx: all_receipts[tx] for tx in read.watch if tx in all_receipts}
            # A watched transaction mined while round 1 ran can show its receipt but not yet its
            # order in `getUserOrders` (a batch's requests need not run at one block). Its receipt
            # settles the doubt, so its orders are read in round 2 (not before its block: checked)
            # and count as resting if they are: else the plan would place that level a second time.
            landed: dict[int, int | None] = {}
            for receipt in receipts.values():
                for order_id in created_order_ids(receipt, read.order_book):
                    landed[order_id] = _newer(landed.get(order_id), _receipt_block(receipt))
            owners: dict[int, str] = {}
            for trader in read.traders:
                for order_id in ids_of[trader]:
                    owners.setdefault(order_id, trader)
            unique_ids = [*owners, *sorted(set(landed) - owners.keys())]  # each trader's together
            book_logs = (
                _log_requests(read.order_book, read.traders, read.fills_after, head)
                if read.fills_after is not None
                else []
            )
            rounds.append(
                _BookRound(
                    read.order_book,
                    ids_of,
                    owners,
                    landed,
                    unique_ids,
                    len(log_requests),
                    len(book_logs),
                    receipts,
                )
            )
            log_requests += book_logs
        held_by_book: list[dict[int, RawOrder]] = [{} for _ in reads]
        log_replies: list[RpcReply] = []
        if any(book_round.unique_ids for book_round in rounds):
            held_by_book, log_replies = self._read_orders_since(rounds, log_requests, must_reach)
        elif log_requests:
            _, log_replies = executor.run([], log_requests)

        # what this read relied on: its lists' state (without Multicall3, up to the head the batch
        # told after them) and the blocks of the placements it saw mined
        relied = first.newest if executor.multicall else head
        for book_round in rounds:
            for block in book_round.landed.values():
                relied = _newer(relied, block)
        if relied is not None:
            with self._lock:
                for read in reads:
                    key = read.order_book.lower()
                    self._floors[key] = max(self._floors.get(key, relied), relied)

        out: list[BookReadResult] = []
        for index, (read, book_round) in enumerate(zip(reads, rounds, strict=True)):
            top = None
            if read.top is not None:
                at = top_at[index]
                assert at is not None
                top = _top_of(read.top.order_book, results[at : at + 3])
            collateral: dict[str, int] | None = None
            if read.vault is not None:
                vault = read.vault
                collateral = _collateral_of(
                    read.traders, [results[collateral_at[(vault, t)]] for t in read.traders]
                )
            logs: tuple[TradeLog, ...] | None = None
            if read.fills_after is not None:
                start = book_round.logs_at
                logs = _parse_logs(log_replies[start : start + book_round.log_count], read.fills_after)
            orders = _resting(read.traders, book_round.ids_of, set(book_round.landed), held_by_book[index])
            states = {tx: all_states[tx] for tx in read.watch if tx in all_states}
            out.append(
                BookReadResult(OrdersRead(orders, collateral, head, logs, states, book_round.receipts), top)
            )
        return out

    def _round_one(
        self, calls: Sequence[Call], extra: Sequence[RpcRequest], books: Sequence[str]
    ) -> ChunkRun:
        """Round 1 of `read_books`, at a state no older than any earlier read of these books relied on.

        A node behind a load balancer can answer one read from a node lower than the last one: the
        orders placed in between are not listed, the plan counts their slots empty and places them
        a second time, one over the target. So a round 1 whose chunks tell a block older than the
        books' floor (the newest block an earlier read relied on, see `_floors`) is read again
        (twice at most), then the read fails: the next cycle reads anew. With Multicall3 each chunk
        tells its own block; without it, the `eth_blockNumber` opening the batch is the oldest block
        its calls can read on a node that answers a batch in order. A node that tells no block is
        not checked."""
        executor = self.executor
        with self._lock:
            known = [self._floors[b.lower()] for b in books if b.lower() in self._floors]
        floor = max(known) if known else None
        oldest: int | None = None
        for _ in _tries(ROUND_ONE_TRIES):
            first = executor.run_chunks(executor.chunked(calls), extra)
            told = [b for b in first.blocks if b is not None]
            oldest = min(told) if told else None
            if floor is None or oldest is None or oldest >= floor:
                return first
        raise VenueUnavailable(
            f"the RPC node answered the order lists from block {oldest}, older than block {floor} an "
            f"earlier read had already seen, {ROUND_ONE_TRIES} reads in a row (a node lagging behind "
            "the others); the orders are read again next cycle",
            code=ErrorCode.UNAVAILABLE,
        )

    def _read_orders_since(
        self, rounds: Sequence[_BookRound], log_requests: Sequence[RpcRequest], must_reach: int | None
    ) -> tuple[list[dict[int, RawOrder]], list[RpcReply]]:
        """Round 2 of `read_books`: every order (and the log requests), by book.

        A node answering round 2 from an older state than round 1 shows an order placed in between,
        listed in round 1, as all zeros: counted gone, the plan would place it again and the side
        would end one over its target. Production's `getUserOrders` also keeps listing filled and
        cancelled orders, which read as zeros too, rightly. So with Multicall3 each aggregate3 of
        `getOrder`s also reads, at its own state, the `getUserOrders` of the traders whose orders it
        holds, and its block: an order that reads as zeros is gone when that state still lists it
        (an old entry), or when the state is newer than round 1's lists (`must_reach`) and than the
        receipt of a watched transaction that created it. Otherwise round 2 is read again, and if it
        stays in doubt the read fails (the next cycle reads anew) rather than report it gone.
        Without Multicall3 a plain eth_call cannot tell its block: round 2's batch opens with
        `eth_blockNumber`, the oldest block its calls can read on a node that answers in order."""
        executor = self.executor
        chunks = _order_chunks(rounds, self._chunk if executor.multicall else None)
        calls = [
            [
                *(Call(rounds[chunk.book].order_book, GET_ORDER.encode(i)) for i in chunk.ids),
                *(Call(rounds[chunk.book].order_book, GET_USER_ORDERS.encode(t)) for t in chunk.witnesses),
            ]
            for chunk in chunks
        ]
        doubt: tuple[int, int, int] | None = None
        for _ in _tries(ROUND_TWO_TRIES):
            run = executor.run_chunks(calls, log_requests)
            held: list[dict[int, RawOrder]] = [{} for _ in rounds]
            doubt = None
            for chunk, results, block in zip(chunks, run.results, run.blocks, strict=True):
                book_round = rounds[chunk.book]
                read = _orders_by_id(chunk.ids, results[: len(chunk.ids)])
                held[chunk.book].update(read)
                listings = {
                    trader: _listing(result)
                    for trader, result in zip(chunk.witnesses, results[len(chunk.ids) :], strict=True)
                }
                doubt = doubt or _doubt(book_round, chunk.ids, read, listings, block, must_reach)
            if doubt is None:
                return held, run.replies
        assert doubt is not None
        order_id, block, need = doubt
        raise VenueUnavailable(
            f"order {order_id}: the RPC node read it deleted and unlisted at block {block}, which may "
            "be older than where it listed the order or mined its placement (block "
            f"{need} or later was needed to tell it gone), {ROUND_TWO_TRIES} reads in a row; the "
            "orders are read again next cycle",
            code=ErrorCode.UNAVAILABLE,
        )

    def collateral(self, vault: str, traders: Sequence[str]) -> dict[str, int]:
        results, _ = self.executor.run([Call(vault, GET_AVAILABLE_COLLATERAL.encode(t)) for t in traders])
        return _collateral_of(traders, results)

    def sessions_active(self, registry: str, session_ids: Sequence[str], now_s: int) -> dict[str, bool]:
        """Per session id: does the registry hold it, not revoked and unexpired? (1 round trip;
        either shape of the `sessions` getter, see `venues.dexetra.sessions`)"""
        calls = [
            Call(registry, SESSIONS.encode(bytes.fromhex(sid.removeprefix("0x")))) for sid in session_ids
        ]
        results, _ = self.executor.run(calls)
        records = [
            _value(SESSIONS, result, f"for session {sid}")
            for sid, result in zip(session_ids, results, strict=True)
        ]
        with self._lock:
            shape = self._session_shapes.get(registry.lower(), RegistryShape.REAL)
        for fields in records:  # a record that tells its shape tells the registry's
            shape = shape_of(fields) or shape
        with self._lock:
            self._session_shapes[registry.lower()] = shape
        return {
            sid: session_record(fields, shape_of(fields) or shape).active(now_s)
            for sid, fields in zip(session_ids, records, strict=True)
        }

    def meta_nonce(self, registry: str, trader: str) -> int:
        """The registry's `metaNonce(trader)`: what the next permit must carry (1 round trip)."""
        results, _ = self.executor.run([Call(registry, META_NONCE.encode(trader))])
        (nonce,) = _value(META_NONCE, results[0], f"for {trader}")
        return int(nonce)

    def positions(self, static: MarketStatic, traders: Sequence[str]) -> dict[str, Position]:
        calls = [Call(static.vault, GET_POSITION_SUMMARY.encode(t, static.market_id)) for t in traders]
        calls.append(Call(static.vault, GET_MARK_PRICE.encode(static.market_id)))
        results, _ = self.executor.run(calls)
        mark = _optional_mark(results[-1])
        out: dict[str, Position] = {}
        for trader, result in zip(traders, results, strict=False):
            size, entry, locked = _value(GET_POSITION_SUMMARY, result, f"for {trader}")
            size, entry = int(size), int(entry)
            unrealized = _truncated_div((mark - entry) * size, 10**18) if size and mark else 0
            out[trader] = Position(
                size18=size, entry_price6=entry, margin_locked6=int(locked), unrealized_pnl6=unrealized
            )
        return out

    # ------------------------------------------------------------------ blocks and logs

    def head(self) -> int:
        return hex_int(self.rpc.call("eth_blockNumber"))

    def trade_logs(
        self, order_book: str, traders: Sequence[str], after: int, head: int
    ) -> tuple[TradeLog, ...]:
        """The traders' TradeExecutionCompleted logs in (after, head], with the fees of their
        FeesDeducted logs (read by the same filters): one round trip."""
        requests = _log_requests(order_book, traders, after, head)
        if not requests:
            return ()
        return _parse_logs(self.rpc.send(requests), after)

    def log_range_end(self, after: int, head: int) -> int:
        """Where a read from `after` stops: `head` (also when it is below `after`), or earlier when the
        gap is too long for one read."""
        return _range_end(after, head)

    def receipts(self, tx_hashes: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        replies = self.rpc.send([RpcRequest("eth_getTransactionReceipt", (h,)) for h in tx_hashes])
        out: dict[str, dict[str, Any] | None] = {}
        for tx_hash, reply in zip(tx_hashes, replies, strict=True):
            result = reply.unwrap("eth_getTransactionReceipt")
            out[tx_hash] = result if isinstance(result, dict) else None
        return out

    def block_timestamps(self, blocks: Sequence[int]) -> dict[int, int]:
        replies = self.rpc.send([RpcRequest("eth_getBlockByNumber", (hex(b), False)) for b in blocks])
        out: dict[int, int] = {}
        for block, reply in zip(blocks, replies, strict=True):
            result = reply.unwrap("eth_getBlockByNumber")
            if isinstance(result, dict):
                out[block] = hex_int(result.get("timestamp"))
        return out

    def orders_at(
        self, order_book: str, wanted: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], list[RawOrder]] | None:
        """Resting orders of (block, trader) pairs as of the end of those blocks, in two round
        trips; None when the node keeps no state that old (or answers it with an error)."""
        if not wanted:
            return {}
        by_block: dict[int, list[str]] = {}
        for block, trader in wanted:
            by_block.setdefault(block, []).append(trader)
        blocks = sorted(by_block)
        try:
            id_groups, _ = self.executor.run_groups(
                [(hex(b), [Call(order_book, GET_USER_ORDERS.encode(t)) for t in by_block[b]]) for b in blocks]
            )
            id_lists: dict[tuple[int, str], list[int]] = {}
            for block, results in zip(blocks, id_groups, strict=True):
                for trader, result in zip(by_block[block], results, strict=True):
                    if not result.success:
                        return None
                    (ids,) = GET_USER_ORDERS.decode(result.data)
                    id_lists[(block, trader)] = [int(i) for i in ids]
            ids_at = {
                b: sorted({i for (blk, _), ids in id_lists.items() if blk == b for i in ids}) for b in blocks
            }
            order_groups, _ = self.executor.run_groups(
                [(hex(b), [Call(order_book, GET_ORDER.encode(i)) for i in ids_at[b]]) for b in blocks]
            )
            out: dict[tuple[int, str], list[RawOrder]] = {}
            for block, results in zip(blocks, order_groups, strict=True):
                found = {
                    i: decode_order(r.data) for i, r in zip(ids_at[block], results, strict=True) if r.success
                }
                for trader in by_block[block]:
                    ids = id_lists[(block, trader)]
                    out[(block, trader)] = [found[i] for i in ids if i in found and not found[i].deleted]
            return out
        except (VenueUnavailable, MalformedChainData) as exc:
            if getattr(exc, "code", None) == ErrorCode.NETWORK_ERROR:
                raise
            return None


def _open_order(order_id: int, order: RawOrder) -> OpenOrder:
    return OpenOrder(
        order_id=order_id,
        trader=order.trader,
        price6=order.price6,
        amount18=order.amount18,
        is_buy=order.is_buy,
        timestamp=order.timestamp,
        margin_required6=order.margin_required6,
        is_margin_order=order.is_margin_order,
    )


def _top_calls(static: MarketStatic) -> list[Call]:
    book = static.order_book
    return [
        Call(book, GET_BEST_PRICES.encode()),
        Call(book, LAST_TRADE_PRICE.encode()),
        Call(static.vault, GET_MARK_PRICE.encode(static.market_id)),
    ]


def _top_of(order_book: str, results: Sequence[CallResult]) -> BookTop:
    """The top from the results of `_top_calls`, in their order."""
    where = f"on the OrderBook {order_book}"
    bid, ask = _value(GET_BEST_PRICES, results[0], where)
    (last,) = _value(LAST_TRADE_PRICE, results[1], where)
    return BookTop(int(bid), int(ask), _optional_mark(results[2]), int(last))


def _orders_by_id(ids: Sequence[int], results: Sequence[CallResult]) -> dict[int, RawOrder]:
    """Each `getOrder` result that the book still knows (an id it no longer knows rests nothing)."""
    out: dict[int, RawOrder] = {}
    for order_id, result in zip(ids, results, strict=True):
        if not result.success:
            continue
        try:
            out[order_id] = decode_order(result.data)
        except MalformedChainData as exc:
            raise VenueUnavailable(f"getOrder({order_id}): {exc}", code=ErrorCode.UNAVAILABLE) from None
    return out


def _resting(
    traders: Sequence[str],
    ids_of: dict[str, list[int]],
    landed: set[int],
    held: dict[int, RawOrder],
) -> dict[str, tuple[OpenOrder, ...]]:
    """Each trader's orders still resting, by id (`getUserOrders` may still list a filled or
    cancelled one; a mined watched transaction's orders are counted for their trader)."""
    orders: dict[str, tuple[OpenOrder, ...]] = {}
    for trader in traders:
        mine: list[OpenOrder] = []
        seen: set[int] = set()
        for order_id in (*ids_of[trader], *sorted(landed)):
            order = held.get(order_id)
            if order is None or order.deleted or order_id in seen:
                continue
            if order.trader != trader or order.amount18 == 0:
                continue
            seen.add(order_id)
            mine.append(_open_order(order_id, order))
        orders[trader] = tuple(sorted(mine, key=lambda o: o.order_id))
    return orders


def _watch_requests(tx_hashes: Sequence[str]) -> list[RpcRequest]:
    return [
        request
        for tx_hash in tx_hashes
        for request in (
            RpcRequest("eth_getTransactionReceipt", (tx_hash,)),
            RpcRequest("eth_getTransactionByHash", (tx_hash,)),
        )
    ]


def _tx_states(
    tx_hashes: Sequence[str], replies: Sequence[RpcReply]
) -> tuple[dict[str, TxState], dict[str, dict[str, Any]]]:
    """Each watched transaction's state from its receipt and by-hash replies (two per hash); a
    transaction the node failed to answer for is left out (its state is not known)."""
    states: dict[str, TxState] = {}
    receipts: dict[str, dict[str, Any]] = {}
    for index, tx_hash in enumerate(tx_hashes):
        receipt, held = replies[2 * index], replies[2 * index + 1]
        if receipt.error is None and isinstance(receipt.result, dict):
            states[tx_hash] = TxState.MINED
            receipts[tx_hash] = receipt.result
        elif receipt.error is None and held.error is None:
            states[tx_hash] = TxState.PENDING if isinstance(held.result, dict) else TxState.UNKNOWN
    return states, receipts


def _order_chunks(rounds: Sequence[_BookRound], size: int | None) -> list[_OrderChunk]:
    """Round 2's aggregate3s: up to `size` orders each, a book's own, each with the lists of the
    traders who listed them in round 1. `size` None (no Multicall3): one piece per book, no lists
    (plain eth_calls do not share a state)."""
    chunks: list[_OrderChunk] = []
    for index, book_round in enumerate(rounds):
        ids = book_round.unique_ids
        step = size or max(len(ids), 1)
        for start in range(0, len(ids), step):
            piece = ids[start : start + step]
            owners = book_round.owners
            witnesses = list(dict.fromkeys(owners[i] for i in piece if i in owners)) if size else []
            chunks.append(_OrderChunk(index, piece, witnesses))
    return chunks


def _listing(result: CallResult) -> set[int] | None:
    values = decoded(GET_USER_ORDERS, result)
    return None if values is None else {int(i) for i in values[0]}


def _doubt(
    book_round: _BookRound,
    ids: Sequence[int],
    read: dict[int, RawOrder],
    listings: dict[str, set[int] | None],
    block: int | None,
    must_reach: int | None,
) -> tuple[int, int, int] | None:
    """The first order of `ids` that reads as deleted (or failed) at `block` although that state may
    be older than where round 1 saw it: (order id, block, the block needed). None when none."""
    for order_id in ids:
        order = read.get(order_id)
        if order is not None and not order.deleted:
            continue
        need: int | None = None
        owner = book_round.owners.get(order_id)
        if owner is not None:
            listing = listings.get(owner)
            if listing is not None and order_id in listing:
                continue  # the same state lists it and reads it deleted: an old entry
            need = must_reach
        if order_id in book_round.landed:
            need = _newer(need, book_round.landed[order_id])
        # a node that does not tell a block (a Multicall3 without getBlockNumber) is not checked
        if need is not None and block is not None and block < need:
            return order_id, block, need
    return None


def _tries(count: int) -> Iterator[int]:
    """`count` attempts at a read a lagging node answered too old: a pause before each one after
    the first (`STALE_PAUSE_S` times the attempt), so the node gets a moment to catch up."""
    for attempt in range(count):
        if attempt:
            time.sleep(STALE_PAUSE_S * attempt)
        yield attempt


def _newer(block: int | None, other: int | None) -> int | None:
    if block is None:
        return other
    return block if other is None else max(block, other)


def _receipt_block(receipt: dict[str, Any]) -> int | None:
    try:
        return hex_int(receipt.get("blockNumber"))
    except MalformedChainData:
        return None


def _has_code(code: Any) -> bool:
    return isinstance(code, str) and code not in ("0x", "0x0", "")


def _head(reply: RpcReply) -> int:
    try:
        return hex_int(reply.unwrap("eth_blockNumber"))
    except MalformedChainData:
        raise VenueUnavailable(
            "RPC eth_blockNumber answered a non-number", code=ErrorCode.UNAVAILABLE
        ) from None


def _log_requests(order_book: str, traders: Sequence[str], after: int, head: int) -> list[RpcRequest]:
    """Buyer-side and seller-side filters over (after, head], in ranges of MAX_LOG_RANGE blocks.
    The range starts at `after` itself (a range past the head is an error on most nodes); logs of
    that block are dropped when parsed."""
    if not traders or head < after:
        return []
    topics = [address_topic(t) for t in traders]
    end = _range_end(after, head)
    requests: list[RpcRequest] = []
    start = after
    while start <= end:
        stop = min(end, start + MAX_LOG_RANGE - 1)
        for position in (1, 2):
            filter_topics: list[Any] = [[TRADE_TOPIC, FEES_DEDUCTED_TOPIC], None, None]
            filter_topics[position] = topics
            requests.append(
                RpcRequest(
                    "eth_getLogs",
                    (
                        {
                            "address": order_book,
                            "fromBlock": hex(start),
                            "toBlock": hex(stop),
                            "topics": filter_topics,
                        },
                    ),
                )
            )
        start = stop + 1
    return requests


def _range_end(after: int, head: int) -> int:
    """The ranges start at `after` itself: MAX_LOG_CHUNKS ranges reach `after + R * C - 1`."""
    return min(head, after + MAX_LOG_RANGE * MAX_LOG_CHUNKS - 1)


def _parse_logs(replies: Sequence[RpcReply], after: int) -> tuple[TradeLog, ...]:
    seen: dict[tuple[str, int], TradeLog | FeeLog] = {}
    for reply in replies:
        raw_logs = reply.unwrap("eth_getLogs")
        if not isinstance(raw_logs, list):
            raise VenueUnavailable(
                "RPC eth_getLogs answered something that is not a list", code=ErrorCode.UNAVAILABLE
            )
        for raw in raw_logs:
            try:
                log = parse_chain_log(raw)
            except MalformedChainData as exc:
                raise VenueUnavailable(f"eth_getLogs: {exc}", code=ErrorCode.UNAVAILABLE) from None
            if log is None or log.block_number <= after or log.removed:
                continue
            seen[(log.tx_hash, log.log_index)] = log
    return with_fees(seen.values())


def _truncated_div(numerator: int, denominator: int) -> int:
    quotient = abs(numerator) // denominator
    return quotient if numerator >= 0 else -quotient
