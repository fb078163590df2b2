"""What became of orders by id, from the chain (`OrderStatusReader` for the production venue).

One round trip for the head, one for everything else, all as of that head: each order
(`getOrder`: deleted once it left the book) and its filled amount (`getFilledAmount`, kept
after deletion), plus the book's `OrderCancelled` and `OrderModified` logs of those ids over
the last LOOKBACK_BLOCKS. A resting order is open or partly filled; one that left is cancelled
when such a log names it (a modify replaces its order), else filled when anything of it filled,
else unknown (never placed, or a cancel older than the look-back).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ama_tui.venues.base import OrderState, OrderStatus, VenueUnavailable
from ama_tui.venues.dexetra.calls import Call, CallExecutor
from ama_tui.venues.dexetra.chain import MAX_LOG_CHUNKS, MAX_LOG_RANGE
from ama_tui.venues.dexetra.codec import (
    GET_FILLED_AMOUNT,
    GET_ORDER,
    ORDER_CANCELLED_TOPIC,
    ORDER_MODIFIED_TOPIC,
    MalformedChainData,
    decode_order,
    hex_int,
    uint_topic,
)
from ama_tui.venues.dexetra.rpc import RpcReply, RpcRequest

LOOKBACK_BLOCKS: Final = MAX_LOG_RANGE * MAX_LOG_CHUNKS
"""How far back a cancel is looked for: as many ranges as the fill reader reads at once."""


def read_order_status(
    executor: CallExecutor, order_book: str, order_ids: Sequence[int], head: int
) -> dict[int, OrderStatus]:
    ids = list(dict.fromkeys(order_ids))
    if not ids:
        return {}
    calls = [Call(order_book, GET_ORDER.encode(i)) for i in ids]
    calls += [Call(order_book, GET_FILLED_AMOUNT.encode(i)) for i in ids]
    # The reads are pinned at `head`, the logs' last block: read at "latest", a cancel mined after
    # `head` would show its order deleted with no log of why (unknown instead of open or cancelled).
    results, replies = executor.run(calls, _cancel_log_requests(order_book, ids, head), block=hex(head))
    leaving = _cancelled(replies)
    out: dict[int, OrderStatus] = {}
    for index, order_id in enumerate(ids):
        placed, filled_result = results[index], results[len(ids) + index]
        if not placed.success or not filled_result.success:
            raise VenueUnavailable(f"cannot read order #{order_id} on {order_book}")
        try:
            order = decode_order(placed.data)
            (filled,) = GET_FILLED_AMOUNT.decode(filled_result.data)
        except MalformedChainData as exc:
            raise VenueUnavailable(f"order #{order_id}: {exc}") from None
        filled = int(filled)
        if not order.deleted:
            state = OrderState.PARTIALLY_FILLED if filled else OrderState.OPEN
            out[order_id] = OrderStatus(order_id, state, filled, order.amount18)
        elif order_id in leaving:
            out[order_id] = OrderStatus(order_id, OrderState.CANCELLED, filled)
        elif filled:
            out[order_id] = OrderStatus(order_id, OrderState.FILLED, filled)
        else:
            out[order_id] = OrderStatus(order_id, OrderState.UNKNOWN)
    return out


def _cancel_log_requests(order_book: str, ids: Sequence[int], head: int) -> list[RpcRequest]:
    topics: list[Any] = [[ORDER_CANCELLED_TOPIC, ORDER_MODIFIED_TOPIC], [uint_topic(i) for i in ids]]
    start = max(0, head - LOOKBACK_BLOCKS + 1)
    requests = []
    while start <= head:
        stop = min(head, start + MAX_LOG_RANGE - 1)
        query = {"address": order_book, "fromBlock": hex(start), "toBlock": hex(stop), "topics": topics}
        requests.append(RpcRequest("eth_getLogs", (query,)))
        start = stop + 1
    return requests


def _cancelled(replies: Sequence[RpcReply]) -> set[int]:
    """Ids named first by an OrderCancelled or OrderModified log (the order that left)."""
    out: set[int] = set()
    for reply in replies:
        logs = reply.unwrap("eth_getLogs")
        if not isinstance(logs, list):
            raise VenueUnavailable("RPC eth_getLogs answered something that is not a list")
        for log in logs:
            try:
                if not log.get("removed"):
                    out.add(hex_int(log["topics"][1]))
            except (KeyError, IndexError, TypeError, ValueError, AttributeError, MalformedChainData):
                raise VenueUnavailable("eth_getLogs: a cancel log without its order id") from None
    return out
