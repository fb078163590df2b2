"""Many contract reads in one round trip: Multicall3 `aggregate3` when the chain has it, a JSON-RPC
batch of plain `eth_call`s otherwise.

With Multicall3 the calls go out in chunks of `chunk` per `aggregate3` (so no single eth_call runs
into the node's gas cap), and all chunks plus any extra requests (`eth_blockNumber`, `eth_getLogs`)
travel in one JSON-RPC batch: one HTTP round trip however many wallets and orders there are.
Without it, each call is its own batch entry (`max_batch` entries per round trip).

`run_chunks` also tells which block each chunk read. Two requests, even in one batch, need not
read the same state: a load-balanced endpoint can serve them from nodes at different heights, and
anvil under automine was seen answering a later eth_call from an older state than an earlier one.
With Multicall3 each aggregate3 carries one more call, Multicall3's own `getBlockNumber()`, which
runs in the same eth_call and so at the same state as the chunk's other calls, at no extra round
trip. (anvil's can be one lower than the state read while a block is being mined, never higher.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from ama_tui.protocol.abi import MULTICALL3_ADDRESS
from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import VenueUnavailable
from ama_tui.venues.dexetra.codec import (
    AGGREGATE3,
    GET_BLOCK_NUMBER,
    AbiFunction,
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
class ChunkRun:
    """What `CallExecutor.run_chunks` read."""

    results: list[list[CallResult]]
    """Per chunk, its calls' results in order."""
    replies: list[RpcReply]
    """The extra requests' replies."""
    blocks: tuple[int | None, ...]
    """Per chunk, the block it read. With Multicall3: the `getBlockNumber()` answered inside the
    chunk's aggregate3 (anvil's can be one lower than the state while it mines a block, never
    higher). Without Multicall3: the oldest of the `eth_blockNumber`s answered just before the
    chunk's calls in the HTTP batches they went in (the oldest block they can have read on nodes
    that answer a batch in order). None where a node did not tell."""

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
        requests: list[RpcRequest] = []
        layout: list[list[int]] = []  # per group: how many calls each of its requests carries
        for block, calls in groups:
            sizes: list[int] = []
            if self.multicall:
                for i in range(0, len(calls), self.chunk):
                    chunk = calls[i : i + self.chunk]
                    requests.append(_aggregate3([(c.target, True, c.data) for c in chunk], block))
                    sizes.append(len(chunk))
            else:
                requests.extend(eth_call(c.target, c.data, block) for c in calls)
                sizes.extend(1 for _ in calls)
            layout.append(sizes)
        replies = self.rpc.send([*requests, *extra])
        results: list[list[CallResult]] = []
        index = 0
        for sizes in layout:
            group: list[CallResult] = []
            for size in sizes:
                reply = replies[index]
                index += 1
                if self.multicall:
                    group.extend(_aggregate_results(reply, size))
                else:
                    group.append(_direct_result(reply))
            results.append(group)
        return results, replies[index:]

    def chunked(self, calls: Sequence[Call]) -> list[list[Call]]:
        """`calls` cut as `run` cuts them into aggregate3s (one piece without Multicall3)."""
        if not self.multicall:
            return [list(calls)] if calls else []
        return [list(calls[i : i + self.chunk]) for i in range(0, len(calls), self.chunk)]

    def run_chunks(self, chunks: Sequence[Sequence[Call]], extra: Sequence[RpcRequest] = ()) -> ChunkRun:
        """Each chunk's calls at `latest` and the block each chunk read (`ChunkRun.blocks`), in the
        same round trips as `run`. With Multicall3 each chunk is one aggregate3 (so its calls read
        one state), with Multicall3's `getBlockNumber()` as its last call; without Multicall3 the
        calls are plain eth_calls, and every HTTP batch the client sends (`max_batch` requests)
        opens with an `eth_blockNumber`: each batch can be answered by another node."""
        if not self.multicall:
            return self._plain_chunks(chunks, extra)
        probe = (MULTICALL3_ADDRESS, True, GET_BLOCK_NUMBER.encode())
        requests = [
            _aggregate3([*((c.target, True, c.data) for c in chunk), probe], "latest") for chunk in chunks
        ]
        replies = self.rpc.send([*requests, *extra])
        results: list[list[CallResult]] = []
        blocks: list[int | None] = []
        for chunk, reply in zip(chunks, replies, strict=False):
            answered = _aggregate_results(reply, len(chunk) + 1)
            blocks.append(_probe_block(answered.pop()))
            results.append(answered)
        return ChunkRun(results, replies[len(chunks) :], tuple(blocks))

    def _plain_chunks(self, chunks: Sequence[Sequence[Call]], extra: Sequence[RpcRequest]) -> ChunkRun:
        """`run_chunks` without Multicall3: [eth_blockNumber, calls...] per HTTP batch, so each call
        has a block it cannot be older than on a node answering its batch in order; a chunk's block
        is the oldest of its calls' (None when a node did not tell)."""
        flat = [c for chunk in chunks for c in chunk]
        per_batch = max(1, self.rpc.max_batch - 1)
        batches = [flat[start : start + per_batch] for start in range(0, max(1, len(flat)), per_batch)]
        requests: list[RpcRequest] = []
        for batch in batches:
            requests.append(RpcRequest("eth_blockNumber"))
            requests.extend(eth_call(c.target, c.data) for c in batch)
        replies = self.rpc.send([*requests, *extra])
        answers: list[CallResult] = []
        told: list[int | None] = []  # per call
        index = 0
        for batch in batches:
            block = _reply_block(replies[index])
            answers.extend(_direct_result(reply) for reply in replies[index + 1 : index + 1 + len(batch)])
            told.extend(block for _ in batch)
            index += 1 + len(batch)
        results: list[list[CallResult]] = []
        blocks: list[int | None] = []
        at = 0
        for chunk in chunks:
            results.append(answers[at : at + len(chunk)])
            mine = told[at : at + len(chunk)]
            blocks.append(None if not mine or None in mine else min(b for b in mine if b is not None))
            at += len(chunk)
        return ChunkRun(results, replies[index:], tuple(blocks))


def _aggregate3(calls: list[tuple[str, bool, bytes]], block: Block) -> RpcRequest:
    return eth_call(MULTICALL3_ADDRESS, AGGREGATE3.encode(calls), block)


def decoded(function: AbiFunction, result: CallResult) -> tuple[Any, ...] | None:
    """A call's decoded outputs; None when it reverted or its data does not decode."""
    if not result.success:
        return None
    try:
        return function.decode(result.data)
    except MalformedChainData:
        return None


def _probe_block(result: CallResult) -> int | None:
    """Multicall3's `getBlockNumber()` answer; None when it failed or does not decode (a contract at
    the Multicall3 address without it)."""
    values = decoded(GET_BLOCK_NUMBER, result)
    return None if values is None else int(values[0])


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
