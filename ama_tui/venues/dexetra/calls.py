"""Many contract reads in one round trip: Multicall3 `aggregate3` when the chain has it, a JSON-RPC
batch of plain `eth_call`s otherwise.

With Multicall3 the calls go out in chunks of `chunk` per `aggregate3` (so no single eth_call runs
into the node's gas cap), and all chunks plus any extra requests (`eth_blockNumber`, `eth_getLogs`)
travel in one JSON-RPC batch: one HTTP round trip however many wallets and orders there are.
Without it, each call is its own batch entry (`max_batch` entries per round trip).

`run_with_blocks` also tells which block the calls read. Two requests, even in one batch, need not
read the same state: a load-balanced endpoint can serve them from nodes at different heights, and
anvil under automine was seen answering a later eth_call from an older state than an earlier one.
With Multicall3 each aggregate3 carries one more call, Multicall3's own `getBlockNumber()`, which
runs in the same eth_call and so at the same state as the chunk's other calls: that chunk's block,
exactly, at no extra round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ama_tui.protocol.abi import MULTICALL3_ADDRESS
from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import VenueUnavailable
from ama_tui.venues.dexetra.codec import (
    AGGREGATE3,
    GET_BLOCK_NUMBER,
    MalformedChainData,
    hex_bytes,
    hex_int,
)
from ama_tui.venues.dexetra.rpc import JsonRpcClient, RpcReply, RpcRequest

DEFAULT_CHUNK: Final = 200
"""Calls per aggregate3: 200 `getOrder`s stay far below any node's eth_call gas cap."""

Block = str
"""A block tag (`latest`) or a hex block number."""


@dataclass(frozen=True, slots=True)
class Call:
    target: str
    data: bytes


@dataclass(frozen=True, slots=True)
class CallResult:
    success: bool
    data: bytes


@dataclass(frozen=True, slots=True)
class BlockRun:
    """What `CallExecutor.run_with_blocks` read."""

    results: list[CallResult]
    replies: list[RpcReply]
    """The extra requests' replies."""
    blocks: tuple[int | None, ...]
    """With Multicall3, the block each aggregate3 chunk read (its `getBlockNumber()`), in chunk
    order; without it, one entry: the node's `eth_blockNumber` answered just before the calls in the
    same batch (the oldest block they can have read on a node that answers a batch in order). None
    where the node did not tell."""

    @property
    def oldest(self) -> int | None:
        """The oldest block any of the calls read; None when a chunk did not tell (or no call ran)."""
        if not self.blocks or any(b is None for b in self.blocks):
            return None
        return min(b for b in self.blocks if b is not None)

    @property
    def newest(self) -> int | None:
        """The newest block a chunk read (None when none told)."""
        known = [b for b in self.blocks if b is not None]
        return max(known) if known else None


def eth_call(target: str, data: bytes, block: Block = "latest") -> RpcRequest:
    return RpcRequest("eth_call", ({"to": target, "data": "0x" + data.hex()}, block))


class CallExecutor:
    def __init__(self, rpc: JsonRpcClient, *, multicall: bool, chunk: int = DEFAULT_CHUNK) -> None:
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        self.rpc = rpc
        self.multicall = multicall
        self.chunk = chunk

    def run(
        self, calls: Sequence[Call], extra: Sequence[RpcRequest] = (), *, block: Block = "latest"
    ) -> tuple[list[CallResult], list[RpcReply]]:
        """Every call's result (a failed call is `success=False`, never an exception) and the extra
        requests' replies, from as few HTTP round trips as the node allows (one with Multicall3)."""
        groups, replies = self.run_groups([(block, calls)], extra)
        return groups[0], replies

    def run_groups(
        self, groups: Sequence[tuple[Block, Sequence[Call]]], extra: Sequence[RpcRequest] = ()
    ) -> tuple[list[list[CallResult]], list[RpcReply]]:
        """As `run`, for groups of calls each at its own block, all in the same round trip."""
        results, replies, _ = self._run(groups, extra, probe=False)
        return results, replies

    def run_with_blocks(self, calls: Sequence[Call], extra: Sequence[RpcRequest] = ()) -> BlockRun:
        """As `run` at `latest`, telling which block the calls read (`BlockRun.blocks`), in the same
        round trips: Multicall3's `getBlockNumber()` rides in every aggregate3 chunk; without
        Multicall3, one `eth_blockNumber` goes first in the batch."""
        groups, replies, blocks = self._run([("latest", calls)], extra, probe=True)
        return BlockRun(groups[0], replies, blocks)

    def _run(
        self, groups: Sequence[tuple[Block, Sequence[Call]]], extra: Sequence[RpcRequest], *, probe: bool
    ) -> tuple[list[list[CallResult]], list[RpcReply], tuple[int | None, ...]]:
        probe_call = (MULTICALL3_ADDRESS, True, GET_BLOCK_NUMBER.encode())
        requests: list[RpcRequest] = []
        if probe and not self.multicall:
            requests.append(RpcRequest("eth_blockNumber"))
        layout: list[list[int]] = []  # per group: how many calls each of its requests carries
        for block, calls in groups:
            sizes: list[int] = []
            if self.multicall:
                for i in range(0, len(calls), self.chunk):
                    chunk = calls[i : i + self.chunk]
                    encoded = [(c.target, True, c.data) for c in chunk]
                    if probe:
                        encoded.append(probe_call)
                    requests.append(eth_call(MULTICALL3_ADDRESS, AGGREGATE3.encode(encoded), block))
                    sizes.append(len(chunk))
            else:
                requests.extend(eth_call(c.target, c.data, block) for c in calls)
                sizes.extend(1 for _ in calls)
            layout.append(sizes)
        replies = self.rpc.send([*requests, *extra])
        blocks: list[int | None] = []
        index = 0
        if probe and not self.multicall:
            blocks.append(_reply_block(replies[0]))
            index = 1
        results: list[list[CallResult]] = []
        for sizes in layout:
            group: list[CallResult] = []
            for size in sizes:
                reply = replies[index]
                index += 1
                if self.multicall:
                    answered = _aggregate_results(reply, size + 1 if probe else size)
                    if probe:
                        blocks.append(_probe_block(answered.pop()))
                    group.extend(answered)
                else:
                    group.append(_direct_result(reply))
            results.append(group)
        return results, replies[index:], tuple(blocks)


def _probe_block(result: CallResult) -> int | None:
    """Multicall3's `getBlockNumber()` answer; None when it failed or does not decode (a contract at
    the Multicall3 address without it)."""
    if not result.success:
        return None
    try:
        (number,) = GET_BLOCK_NUMBER.decode(result.data)
    except MalformedChainData:
        return None
    return int(number)


def _reply_block(reply: RpcReply) -> int | None:
    if reply.error is not None:
        return None
    try:
        return hex_int(reply.result)
    except MalformedChainData:
        return None


def _aggregate_results(reply: RpcReply, expected: int) -> list[CallResult]:
    if reply.error is not None:
        raise VenueUnavailable(
            f"RPC eth_call (Multicall3 aggregate3) failed: {reply.error.message[:200]}",
            code=ErrorCode.UNAVAILABLE,
        )
    try:
        (pairs,) = AGGREGATE3.decode(hex_bytes(reply.result))
    except MalformedChainData as exc:
        raise VenueUnavailable(
            f"RPC eth_call (Multicall3 aggregate3): {exc}", code=ErrorCode.UNAVAILABLE
        ) from None
    if len(pairs) != expected:
        raise VenueUnavailable(
            f"Multicall3 answered {len(pairs)} results for {expected} calls", code=ErrorCode.UNAVAILABLE
        )
    return [CallResult(bool(success), bytes(data)) for success, data in pairs]


def _direct_result(reply: RpcReply) -> CallResult:
    if reply.error is not None:
        if _is_revert(reply):
            return CallResult(False, reply.error.revert_data)
        raise VenueUnavailable(
            f"RPC eth_call failed: {reply.error.message[:200]}", code=ErrorCode.UNAVAILABLE
        )
    try:
        return CallResult(True, hex_bytes(reply.result))
    except MalformedChainData:
        raise VenueUnavailable(
            "RPC eth_call answered something that is not hex", code=ErrorCode.UNAVAILABLE
        ) from None


def _is_revert(reply: RpcReply) -> bool:
    error = reply.error
    assert error is not None
    return error.code == 3 or "revert" in error.message.lower()
