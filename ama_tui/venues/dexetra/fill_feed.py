"""Turns trade logs into `Fill`s: reads what attribution needs, and remembers the answer.

The reads (receipts of the trades' transactions, our orders as of the block before) happen only
for fills not seen before, so a cycle without new fills costs nothing here, and reading the same
range twice gives the same fills (the fills contract: stable across reads).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Final

from ama_tui.venues.base import Fill
from ama_tui.venues.dexetra.chain import ChainReader
from ama_tui.venues.dexetra.fills import (
    Attribution,
    FillSide,
    TradeLog,
    attribute,
    fill_sides,
    to_fill,
)
from ama_tui.venues.dexetra.receipts import Placement, placements

CACHE_SIZE: Final = 20_000


class FillFeed:
    def __init__(self, chain: ChainReader, *, cache_size: int = CACHE_SIZE) -> None:
        self._chain = chain
        self._cache: OrderedDict[str, tuple[Attribution, float]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def fills(self, order_book: str, logs: Sequence[TradeLog], wanted: Mapping[str, str]) -> tuple[Fill, ...]:
        """Our fills in `logs`; `wanted` maps checksummed addresses to the traders as the caller gave them."""
        sides = fill_sides(logs, wanted)
        if not sides:
            return ()
        with self._lock:
            known = {side.fill_id: self._cache[side.fill_id] for side in sides if side.fill_id in self._cache}
        missing = [side for side in sides if side.fill_id not in known]
        if missing:
            known.update(self._resolve(order_book, missing))
        return tuple(
            to_fill(side, known[side.fill_id][0], wanted[side.trader], known[side.fill_id][1])
            for side in sides
        )

    def _resolve(self, order_book: str, sides: Sequence[FillSide]) -> dict[str, tuple[Attribution, float]]:
        chain = self._chain
        tx_hashes = sorted({side.log.tx_hash for side in sides})
        receipts = chain.receipts(tx_hashes)
        placed: dict[str, Sequence[Placement] | None] = {}
        for tx_hash, receipt in receipts.items():
            try:
                placed[tx_hash] = placements(receipt, order_book) if receipt is not None else None
            except ValueError:  # MalformedChainData, or a topic that is not hex
                placed[tx_hash] = None
        pairs = sorted({(side.log.block_number - 1, side.trader) for side in sides})
        resting = chain.orders_at(order_book, pairs)
        attributions = attribute(sides, placed, resting)
        untimed = sorted({side.log.block_number for side in sides if side.log.timestamp is None})
        times = chain.block_timestamps(untimed) if untimed else {}
        resolved: dict[str, tuple[Attribution, float]] = {}
        for side in sides:
            stamp = (
                side.log.timestamp if side.log.timestamp is not None else times.get(side.log.block_number, 0)
            )
            resolved[side.fill_id] = (attributions[side.fill_id], float(stamp))
        with self._lock:
            for fill_id, value in resolved.items():
                self._cache[fill_id] = value
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return resolved
