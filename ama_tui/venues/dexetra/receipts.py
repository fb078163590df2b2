"""What a trade's transaction receipt says: the orders it placed or modified, and whether it ran.

The trade route never answers an order id (reference section 7): a client reads it here, from the
receipt's `OrderPlaced` (a placement) or `OrderModified` (a modify: `sessionModifyOrder` returns
the new id, and the event carries it) logs. Pure; the reads are the venue's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ama_tui.venues.base import PlacementOutcome, PlacementState
from ama_tui.venues.dexetra.codec import (
    ORDER_MODIFIED_TOPIC,
    ORDER_PLACED_TOPIC,
    MalformedChainData,
    hex_bytes,
    hex_int,
    topic_address,
    word,
)


@dataclass(frozen=True, slots=True)
class Placement:
    """An `OrderPlaced` in a transaction receipt."""

    log_index: int
    order_id: int
    trader: str
    is_buy: bool


class TxState(Enum):
    """A sent transaction as the node sees it."""

    MINED = "mined"
    """It has a receipt (it ran, successfully or not): nothing of it is in flight any more."""
    PENDING = "pending"
    """The node holds it, not mined yet."""
    UNKNOWN = "unknown"
    """The node knows nothing of it (not propagated yet, or dropped)."""


def _book_logs(receipt: Mapping[str, Any], order_book: str, topic: str, topics: int) -> list[dict[str, Any]]:
    found = []
    for raw in receipt.get("logs") or ():
        if not isinstance(raw, dict) or str(raw.get("address", "")).lower() != order_book.lower():
            continue
        logged = raw.get("topics") or []
        if len(logged) == topics and str(logged[0]).lower() == topic:
            found.append(raw)
    return found


def placements(receipt: Mapping[str, Any], order_book: str) -> list[Placement]:
    """The `OrderPlaced` events this order book emitted in a transaction."""
    return [
        Placement(
            log_index=hex_int(raw.get("logIndex")),
            order_id=int(str(raw["topics"][1]), 16),
            trader=topic_address(str(raw["topics"][2])),
            is_buy=word(hex_bytes(raw.get("data")), 2) != 0,
        )
        for raw in _book_logs(receipt, order_book, ORDER_PLACED_TOPIC, 3)
    ]


def succeeded(receipt: Mapping[str, Any]) -> bool:
    """Did the transaction run to the end? (A receipt without a status is pre-Byzantium: yes.)"""
    status = receipt.get("status")
    try:
        return status is None or hex_int(status) == 1
    except MalformedChainData:
        return False


def placed_order_id(receipt: Mapping[str, Any], order_book: str, trader: str) -> int | None:
    """The order a placement or a modify of `trader` created: the new id of its `OrderModified`,
    else the last of its `OrderPlaced`; None for a reverted transaction or one that placed none."""
    if not succeeded(receipt):
        return None
    try:
        modified = [
            int(str(raw["topics"][2]), 16)
            for raw in _book_logs(receipt, order_book, ORDER_MODIFIED_TOPIC, 4)
            if topic_address(str(raw["topics"][3])) == trader
        ]
        if modified:
            return modified[-1]
        placed = [p for p in placements(receipt, order_book) if p.trader == trader]
    except (MalformedChainData, ValueError):
        return None
    return placed[-1].order_id if placed else None


def placement_outcome(receipt: Mapping[str, Any], order_book: str, trader: str) -> PlacementOutcome:
    """What a mined placement or modify did: reverted, or landed with the order it created."""
    if not succeeded(receipt):
        return PlacementOutcome(PlacementState.REVERTED)
    return PlacementOutcome(PlacementState.LANDED, placed_order_id(receipt, order_book, trader))


def created_order_ids(receipt: Mapping[str, Any], order_book: str) -> list[int]:
    """Every order a mined transaction created on this book (its `OrderPlaced` ids and the new ids
    of its `OrderModified`), whoever placed them; none for a reverted or unreadable receipt."""
    if not succeeded(receipt):
        return []
    try:
        modified = [
            int(str(raw["topics"][2]), 16) for raw in _book_logs(receipt, order_book, ORDER_MODIFIED_TOPIC, 4)
        ]
        return [p.order_id for p in placements(receipt, order_book)] + modified
    except (MalformedChainData, ValueError, KeyError, IndexError):
        return []
