"""`read_books` against a node that answers a later request from an older state than an earlier one
(a load-balanced endpoint's nodes at different heights; anvil under automine was seen doing it):
an order listed in round 1 must never be reported gone because round 2 read a state from before it
was placed. Either the read reports it resting (round 2 read again at a state not older than round
1's) or the read fails with a clear VenueUnavailable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_abi import encode as abi_encode

from ama_tui.protocol.abi import MULTICALL3_ADDRESS
from ama_tui.protocol.accounts import checksum
from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import VenueUnavailable
from ama_tui.venues.dexetra.chain import ROUND_ONE_TRIES, ROUND_TWO_TRIES, ChainReader
from ama_tui.venues.dexetra.codec import GET_BLOCK_NUMBER
from ama_tui.venues.dexetra.rpc import JsonRpcClient

from .fakes import ALICE, BOB, BOOK, RPC_URL, FakeChain, order_words

PRICE = 2_999_510_000
TX = "0x" + "ab" * 32

State = tuple[dict[str, list[int]], dict[int, bytes]]


@dataclass
class LaggingChain(FakeChain):
    """A node with a state per block; each `latest` eth_call and each eth_blockNumber is answered at
    the next entry of `serve` (the newest block once `serve` is spent), as nodes at different
    heights behind one endpoint would. An entry is a block, or (state, told): the state read and the
    block Multicall3's `getBlockNumber()` tells, as anvil does while it mines (one lower)."""

    states: dict[int, State] = field(default_factory=dict)
    serve: list[int | tuple[int, int]] = field(default_factory=list)
    served: list[int] = field(default_factory=list)
    told: int = 0

    def _dispatch(self, method: str, params: list[Any]) -> Any:
        if method == "eth_blockNumber" or (method == "eth_call" and params[1] == "latest"):
            entry = self.serve.pop(0) if self.serve else max(self.states)
            at, self.told = entry if isinstance(entry, tuple) else (entry, entry)
            self.served.append(at)
            self.block = at if method == "eth_call" else self.told
            self.user_orders, self.orders = self.states[at]
        return super()._dispatch(method, params)

    def _view(self, target: str, data: bytes, tag: str) -> tuple[bool, bytes]:
        if target.lower() == MULTICALL3_ADDRESS.lower() and data[:4] == GET_BLOCK_NUMBER.selector:
            return True, abi_encode(["uint256"], [self.told])
        return super()._view(target, data, tag)


def _placed_at_101() -> LaggingChain:
    """Alice rests order 3 at block 100; order 7 is placed in block 101 (listed and stored in the
    same transaction, as the OrderBook does)."""
    three = order_words(3, ALICE, PRICE, 10**16, True)
    seven = order_words(7, ALICE, PRICE + 10_000, 10**16, False)
    return LaggingChain(
        states={
            100: ({ALICE: [3]}, {3: three}),
            101: ({ALICE: [3, 7]}, {3: three, 7: seven}),
        }
    )


def _reader(chain: FakeChain) -> ChainReader:
    reader = ChainReader(JsonRpcClient(RPC_URL, timeout=5.0, transport=chain.transport()))
    reader.configure(multicall=chain.multicall)
    return reader


def _round_one(block: int, multicall: bool) -> list[int | tuple[int, int]]:
    """What round 1 is served: its aggregate3 and its eth_blockNumber; without Multicall3 the
    eth_blockNumber that opens its batch, its getUserOrders and the eth_blockNumber after them."""
    return [block] * (2 if multicall else 3)


def _ids(reader: ChainReader, **kwargs: Any) -> list[int]:
    read = reader.read_orders(BOOK, [ALICE], **kwargs)
    return [o.order_id for o in read.orders[ALICE]]


# --- a listed order -----------------------------------------------------------------------------------


@pytest.mark.parametrize("multicall", [True, False])
def test_a_round_two_older_than_round_one_is_read_again(multicall: bool) -> None:
    chain = _placed_at_101()
    chain.multicall = multicall
    # round 1 (its getUserOrders and eth_blockNumber) at 101; round 2's first read at 100 (with
    # Multicall3 its one aggregate3; without, its eth_blockNumber and two getOrders), then the newest
    chain.serve = _round_one(101, multicall) + [100] * (1 if multicall else 3)
    reader = _reader(chain)
    before = chain.posts
    assert _ids(reader) == [3, 7]  # order 7 rests: never reported gone
    assert chain.posts - before == 3  # one more round 2, only because the first was stale
    assert 100 in chain.served


@pytest.mark.parametrize("multicall", [True, False])
def test_a_node_that_stays_older_fails_the_read_clearly(multicall: bool) -> None:
    chain = _placed_at_101()
    chain.multicall = multicall
    chain.serve = _round_one(101, multicall) + [100] * 20
    reader = _reader(chain)
    with pytest.raises(
        VenueUnavailable, match=r"order 7: the RPC node read it deleted and unlisted at block 100"
    ) as raised:
        reader.read_orders(BOOK, [ALICE])
    assert raised.value.code == ErrorCode.UNAVAILABLE
    assert chain.posts == 1 + ROUND_TWO_TRIES  # bounded: round 1 and three round 2s


def test_one_stale_chunk_among_several_is_enough_to_read_again() -> None:
    """Round 2 in three aggregate3 chunks, only the first (which holds order 7) answered from the
    older block."""
    chain = _placed_at_101()
    three = order_words(3, ALICE, PRICE, 10**16, True)
    # ids 3, 7 and ten of Bob's (all at block 100 already): chunks of 5 ids
    bob_ids = list(range(20, 30))
    bob_orders = {i: order_words(i, BOB, PRICE - i, 10**16, True) for i in bob_ids}
    chain.states = {
        100: ({ALICE: [3], BOB: bob_ids}, {3: three, **bob_orders}),
        101: (
            {ALICE: [3, 7], BOB: bob_ids},
            {3: three, 7: order_words(7, ALICE, PRICE + 10_000, 10**16, False), **bob_orders},
        ),
    }
    # round 1: one chunk and eth_blockNumber; round 2: three chunks of ids 3, 7, 20, ..., 29
    chain.serve = [101, 101, 100, 101, 101]
    reader = ChainReader(JsonRpcClient(RPC_URL, timeout=5.0, transport=chain.transport()), chunk=5)
    reader.configure(multicall=True)
    read = reader.read_orders(BOOK, [ALICE, BOB])
    assert [o.order_id for o in read.orders[ALICE]] == [3, 7]
    assert [o.order_id for o in read.orders[BOB]] == bob_ids
    assert chain.posts == 3


def test_a_block_told_one_lower_than_the_state_read_is_not_trusted() -> None:
    """anvil, while it mines block 101: round 1's aggregate3 reads state 101 but tells block 100;
    round 2's then reads state 100 and tells 100. Same block told, older state: order 7 must not be
    reported gone."""
    chain = _placed_at_101()
    chain.serve = [(101, 100), 100, (100, 100)]  # round 1's chunk, its eth_blockNumber; round 2
    reader = _reader(chain)
    assert _ids(reader) == [3, 7]
    assert chain.posts == 3


@pytest.mark.parametrize("multicall", [True, False])
def test_an_old_entry_of_a_deleted_order_costs_no_second_read(multicall: bool) -> None:
    """Production's getUserOrders keeps listing filled and cancelled orders: read as zeros where
    they are still listed, they are gone, at the usual two round trips."""
    chain = LaggingChain(
        states={100: ({ALICE: [3, 5]}, {3: order_words(3, ALICE, PRICE, 10**16, True)})}, multicall=multicall
    )
    reader = _reader(chain)
    assert _ids(reader) == [3]
    assert chain.posts == 2


@pytest.mark.parametrize("multicall", [True, False])
def test_an_order_cancelled_between_the_rounds_is_gone_at_once(multicall: bool) -> None:
    three = order_words(3, ALICE, PRICE, 10**16, True)
    seven = order_words(7, ALICE, PRICE + 10_000, 10**16, False)
    chain = LaggingChain(
        states={100: ({ALICE: [3, 7]}, {3: three, 7: seven}), 101: ({ALICE: [3]}, {3: three})},
        multicall=multicall,
    )
    chain.serve = _round_one(100, multicall)  # round 1 at 100; round 2 at 101, where 7 was cancelled
    reader = _reader(chain)
    assert _ids(reader) == [3]
    assert chain.posts == 2


# --- a watched transaction's order (its receipt seen in round 1) ----------------------------------------


def _landed_at_101() -> LaggingChain:
    chain = _placed_at_101()
    chain.add_placement(
        tx=TX, order_id=7, trader=ALICE, price6=PRICE + 10_000, amount18=10**16, is_buy=False, index=0
    )
    chain.receipts[TX]["blockNumber"] = hex(101)
    return chain


@pytest.mark.parametrize("multicall", [True, False])
def test_a_landed_order_is_not_read_at_a_block_before_its_receipt(multicall: bool) -> None:
    chain = _landed_at_101()
    chain.multicall = multicall
    # round 1 read the lists at 100 (order 7 not listed yet) but the receipt of block 101; round 2's
    # first read at 100 too, where order 7 does not exist yet
    chain.serve = _round_one(100, multicall) + [100] * (1 if multicall else 3)
    reader = _reader(chain)
    read = reader.read_orders(BOOK, [ALICE], watch=[TX])
    assert [o.order_id for o in read.orders[ALICE]] == [3, 7]


def test_a_landed_order_and_a_node_stuck_before_its_receipt_fail_the_read() -> None:
    chain = _landed_at_101()
    chain.serve = [100] * 20
    with pytest.raises(VenueUnavailable, match=r"order 7: .* at block 100, .*\(block 101 or later"):
        _reader(chain).read_orders(BOOK, [ALICE], watch=[TX])


# --- the normal case costs what it did ----------------------------------------------------------------


@pytest.mark.parametrize("multicall", [True, False])
def test_a_consistent_read_is_still_two_round_trips(multicall: bool) -> None:
    """50 wallets with 6 orders each: round 2 is two aggregate3 chunks (or 300 eth_calls), one post
    each round (max_batch large enough for the plain path); getBlockNumber rides in the chunks."""
    traders = [checksum("0x" + format(i + 1, "040x")) for i in range(50)]
    lists = {t: [10 * i + k for k in range(6)] for i, t in enumerate(traders)}
    orders = {
        oid: order_words(oid, t, PRICE - oid, 10**16, oid % 2 == 0) for t, ids in lists.items() for oid in ids
    }
    chain = LaggingChain(states={100: (lists, orders)}, multicall=multicall)
    reader = ChainReader(JsonRpcClient(RPC_URL, timeout=5.0, transport=chain.transport(), max_batch=1000))
    reader.configure(multicall=multicall)
    read = reader.read_orders(BOOK, traders)
    assert chain.posts == 2
    assert sum(len(v) for v in read.orders.values()) == 300
    if multicall:
        assert chain.methods.count("eth_call") == 1 + 2  # one chunk of 50 lists, two of 300 orders
        assert chain.served == [100, 100, 100, 100]  # 3 chunks and round 1's eth_blockNumber
        # round 2 reads each trader's orders together, so its lists cost about one per trader: 50
        # lists, 300 orders, and 50 + 1 lists again (one trader's orders span both chunks)
        assert chain.inner_calls == 50 + 300 + 51


# --- a later read answered from an older state than an earlier one ---------------------------------------


@pytest.mark.parametrize("multicall", [True, False])
def test_a_later_read_older_than_an_earlier_one_is_read_again(multicall: bool) -> None:
    """A node behind a load balancer lower than the one that answered the last read: its lists lack
    order 7, which the last read saw resting. Taken as read, the plan would place 7's slot again."""
    chain = _placed_at_101()
    chain.multicall = multicall
    reader = _reader(chain)
    assert _ids(reader) == [3, 7]  # every request at the newest block, 101
    before = chain.posts
    chain.serve = _round_one(100, multicall)  # the next read's round 1 at 100, then the newest
    assert _ids(reader) == [3, 7]
    assert chain.posts - before == 3  # round 1 twice, round 2 once


@pytest.mark.parametrize("multicall", [True, False])
def test_a_node_that_stays_older_than_an_earlier_read_fails_the_read_clearly(multicall: bool) -> None:
    chain = _placed_at_101()
    chain.multicall = multicall
    reader = _reader(chain)
    assert _ids(reader) == [3, 7]
    before = chain.posts
    chain.serve = [100] * 20
    with pytest.raises(
        VenueUnavailable, match=r"order lists from block 100, older than block 101 an earlier read"
    ) as raised:
        reader.read_orders(BOOK, [ALICE])
    assert raised.value.code == ErrorCode.UNAVAILABLE
    assert chain.posts - before == ROUND_ONE_TRIES


def test_a_placement_seen_mined_sets_how_new_the_next_read_must_be() -> None:
    """The first read lists at 100 but sees the receipt of block 101 (its round 2 reads order 7 at
    101); the next read, served at 100 again, would not list order 7: it is read again."""
    chain = _landed_at_101()
    reader = _reader(chain)
    chain.serve = _round_one(100, True)
    first = reader.read_orders(BOOK, [ALICE], watch=[TX])
    assert [o.order_id for o in first.orders[ALICE]] == [3, 7]
    chain.serve = _round_one(100, True)
    before = chain.posts
    assert _ids(reader) == [3, 7]
    assert chain.posts - before == 3


def test_reads_at_the_same_block_cost_no_second_read() -> None:
    """The steady state: nothing mined between two reads, each is still two round trips."""
    chain = _placed_at_101()
    reader = _reader(chain)
    assert _ids(reader) == [3, 7]
    assert _ids(reader) == [3, 7]
    assert chain.posts == 4


def test_without_multicall3_every_http_batch_tells_its_own_block() -> None:
    """A round larger than the client's batch goes out in several HTTP requests, which a load
    balancer can send to different nodes. Each opens with its own eth_blockNumber, so a later
    request served from an older node is seen: with `max_batch` 2, round 2 is [eth_blockNumber,
    getOrder(3)] then [eth_blockNumber, getOrder(7)], and the second node is a block behind."""
    chain = _placed_at_101()
    chain.multicall = False
    # round 1: [eth_blockNumber, getUserOrders] [eth_blockNumber] at 101; round 2's first batch at
    # 101, its second (order 7's) at 100; then the newest
    chain.serve = [101, 101, 101, 101, 101, 100, 100]
    reader = ChainReader(JsonRpcClient(RPC_URL, timeout=5.0, transport=chain.transport(), max_batch=2))
    reader.configure(multicall=False)
    assert _ids(reader) == [3, 7]  # order 7 rests: never reported gone
    assert chain.served[:7] == [101, 101, 101, 101, 101, 100, 100]
