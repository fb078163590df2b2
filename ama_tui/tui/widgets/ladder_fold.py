"""Which levels of one side of the ladder get its rows, so that our own orders stay in sight.

The engine keeps every order a safety floor from the mid (hundreds of ticks on a lively market),
so our levels usually lie beyond the dozen nearest the spread that a side has room for. Rather
than cut them off, a side is folded: the levels nearest the spread, one fold line per run of
levels left out (`⋮ 7 levels`), then our levels. When even that does not fit, our levels nearest
the spread are shown and one summary line counts the rest (`● 14 more of ours down to …`).

Pure: it sees only, per level from the spread outward, whether it holds orders of ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

FoldRow = int | range
"""A level (its index, from the spread outward) or a fold over the levels in the range."""


@dataclass(frozen=True, slots=True)
class FoldPlan:
    rows: tuple[FoldRow, ...]
    """From the spread outward."""
    first_left_out: int | None = None
    """The index of the nearest level of ours that did not fit (every one beyond it is left out
    too: they go in one summary line after `rows`); None when all of ours are shown."""

    @property
    def line_count(self) -> int:
        return len(self.rows) + (self.first_left_out is not None)


def fold_side(ours: Sequence[bool], room: int) -> FoldPlan:
    """The rows of one side in `room` lines; `ours[i]`: level i (from the spread) holds our orders.

    Without orders of ours beyond the room, the nearest `room` levels, as an unfolded ladder.
    Otherwise, in this order of priority: a summary line if not all of ours fit, the best level,
    our levels nearest the spread first, then the levels nearest the spread again, outward, with
    what room is left. A fold never hides a level of ours, and never a single level (the level
    takes the line the fold would).
    """
    if room <= 0:
        return FoldPlan(())
    count = len(ours)
    ours_at = [i for i, mine in enumerate(ours) if mine]
    if count <= room or not ours_at or ours_at[-1] < room:
        return FoldPlan(tuple(range(min(count, room))))

    shown = [False] * count
    lines = 0  # shown levels plus folds (the summary line is counted apart)
    last = -1  # the farthest level shown
    left_out = len(ours_at)  # how many of ours are not shown: always the farthest ones

    def append(i: int, extra: int) -> bool:
        """Show level `i` beyond every shown level if it fits with `extra` more lines."""
        nonlocal lines, last
        cost = lines + 1 + (i - last > 1)
        if cost + extra > room:
            return False
        shown[i] = True
        lines, last = cost, i
        return True

    if not ours[0]:
        append(0, 1)  # the best level, if the summary line still fits after it
    for i in ours_at:
        if not append(i, 1 if left_out > 1 else 0):
            break
        left_out -= 1

    # the levels nearest the spread, outward, in what room is left
    for j in range(count):
        if shown[j]:
            continue
        after_shown = j + 1 < count and shown[j + 1]
        # j fills a one-level gap (no fold any more: no more lines) or grows the prefix by one
        cost = lines + (0 if after_shown else 1)
        still_out = left_out - (1 if ours[j] else 0)
        if cost + (still_out > 0) > room:
            break
        shown[j] = True
        lines, left_out = cost, still_out
        last = max(last, j)

    rows: list[FoldRow] = []
    previous = -1
    for i in range(last + 1):
        if not shown[i]:
            continue
        gap = i - previous - 1
        if gap == 1:
            rows.append(previous + 1)
        elif gap > 1:
            rows.append(range(previous + 1, i))
        rows.append(i)
        previous = i
    first_left_out = ours_at[len(ours_at) - left_out] if left_out else None
    return FoldPlan(tuple(rows), first_left_out)
