"""History at a glance: a small ring of samples per series, drawn as a line of Unicode blocks.

The dashboard samples the snapshots it already receives, at most once a second of the snapshot's
own clock (`now`: the venue's time, so a test's virtual clock draws the same picture every run).
A second without a snapshot (an engine cycle can take several) repeats the last sample, so the
line's x axis is time. The ring is bounded: `size` samples, the oldest dropped.

Drawing folds the samples into at most `width` cells, `k` seconds a cell, `k` the smallest that
fits; a cell's boundaries are multiples of `k` seconds, so a cell does not change once its seconds
have passed (the line does not jitter as the window slides). Values are integers (usdc6, amount18,
basis points), scaled between the window's lowest and highest value unless a fixed range is given
(a utilization has one: 0 to the cap).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Final, TypeVar

T = TypeVar("T")

BLOCKS: Final = "▁▂▃▄▅▆▇█"
SAMPLES: Final = 120
"""Two minutes at one sample a second."""
PERIOD_S: Final = 1.0


class SampleRing:
    """The last `size` samples of a tuple of integer series, one per `period_s` of snapshot time."""

    __slots__ = ("period_s", "samples", "size", "slot")

    def __init__(self, size: int = SAMPLES, period_s: float = PERIOD_S) -> None:
        self.size = size
        self.period_s = period_s
        self.samples: deque[tuple[int, ...]] = deque(maxlen=size)
        self.slot: int | None = None
        """The slot (whole periods of snapshot time) of the newest sample."""

    def add(self, now: float, values: tuple[int, ...]) -> bool:
        """Sample `values` at `now` if it starts a new period; True when a sample was added.
        A clock that goes back (another run) starts the ring afresh."""
        slot = int(now // self.period_s)
        last = self.slot
        if last is not None and slot == last:
            return False
        if last is None or slot < last:
            self.samples.clear()
        elif self.samples:
            held = self.samples[-1]
            for _ in range(min(slot - last - 1, self.size)):  # periods without a snapshot
                self.samples.append(held)
        self.samples.append(values)
        self.slot = slot
        return True

    def series(self, index: int) -> list[int]:
        """One series, oldest first."""
        return [sample[index] for sample in self.samples]

    @property
    def first_slot(self) -> int:
        return (self.slot or 0) - len(self.samples) + 1


def fold(values: Sequence[T], width: int, first_slot: int = 0) -> list[T]:
    """`values` (one a slot, the first at `first_slot`) in at most `width` cells: the last value of
    each run of `k` slots, `k` the smallest that fits, runs aligned on multiples of `k` (an
    unaligned start may leave one run too many: the oldest is dropped)."""
    if width <= 0 or not values:
        return []
    if len(values) <= width:
        return list(values)
    k = -(-len(values) // width)
    cells: list[T] = []
    bucket: int | None = None
    for offset, value in enumerate(values):
        key = (first_slot + offset) // k
        if key == bucket:
            cells[-1] = value
        else:
            cells.append(value)
            bucket = key
    return cells[-width:]


def spark(values: Sequence[int], width: int, *, low: int | None = None, high: int | None = None) -> str:
    """The values as blocks, one a value, right-aligned in `width` cells (the newest at the right
    edge). Scaled between `low` and `high` (the values' own lowest and highest when not given;
    values outside are clamped); a flat line reads as the lowest block."""
    if width <= 0:
        return ""
    shown = values[-width:]
    if not shown:
        return " " * width
    low = min(shown) if low is None else low
    high = max(shown) if high is None else high
    span = high - low
    top = len(BLOCKS) - 1
    if span <= 0:
        text = BLOCKS[0] * len(shown)
    else:
        text = "".join(BLOCKS[min(top, max(0, (value - low) * top // span))] for value in shown)
    return text.rjust(width)


def ring_spark(
    ring: SampleRing, index: int, width: int, *, low: int | None = None, high: int | None = None
) -> str:
    """Series `index` of `ring`, folded into `width` cells and drawn."""
    return spark(fold(ring.series(index), width, ring.first_slot), width, low=low, high=high)


class RingsByKey:
    """A `SampleRing` per key (a wallet's address), all sampled at the same seconds; a key that
    is gone from a sample loses its ring."""

    __slots__ = ("period_s", "rings", "size", "slot")

    def __init__(self, size: int = SAMPLES, period_s: float = PERIOD_S) -> None:
        self.size = size
        self.period_s = period_s
        self.rings: dict[str, SampleRing] = {}
        self.slot: int | None = None

    def due(self, now: float) -> bool:
        """Does `now` start a new period (so `add` would sample)?"""
        return int(now // self.period_s) != self.slot

    def add(self, now: float, samples: Mapping[str, tuple[int, ...]]) -> bool:
        """Sample every key at `now` if it starts a new period; True when it did."""
        if not self.due(now):
            return False
        self.slot = int(now // self.period_s)
        rings = self.rings
        for key in [key for key in rings if key not in samples]:
            del rings[key]
        for key, values in samples.items():
            ring = rings.get(key)
            if ring is None:
                ring = rings[key] = SampleRing(self.size, self.period_s)
            ring.add(now, values)
        return True
