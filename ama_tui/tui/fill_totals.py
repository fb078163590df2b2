"""Adding up a run's fills from its snapshots, on the engine thread as each one is published.

A snapshot carries the newest fills only (`recent_fills`, a sliding window over a ledger that
never repeats a fill), so a fill is counted the first time a snapshot shows it: one that left the
window never comes back. Every snapshot is seen (this runs in the engine's publish callback), and
a cycle adds far fewer fills than the window holds.
"""

from __future__ import annotations

from dataclasses import replace

from ama_tui.engine.snapshot import EngineSnapshot, FillTotals


class FillCounter:
    def __init__(self) -> None:
        self.totals = FillTotals()
        self._window: frozenset[str] = frozenset()

    def see(self, snapshot: EngineSnapshot) -> EngineSnapshot:
        """`snapshot` with the run's fill totals so far."""
        window = self._window
        totals = self.totals
        for fill in reversed(snapshot.recent_fills):  # oldest first
            if fill.fill_id not in window:
                totals = totals.add(fill)
        self._window = frozenset(fill.fill_id for fill in snapshot.recent_fills)
        self.totals = totals
        return replace(snapshot, fill_totals=totals)
