"""The embedded, deterministic exchange: a real price-time order book (`book`) under a venue that adds
collateral, sessions and simulated participants.

The venue's names are loaded on first use, so importing only the matching engine
(`ama_tui.venues.sim.book`) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ama_tui.core.lazy_names import lazy_names

if TYPE_CHECKING:
    from ama_tui.venues.sim.audit import SimAudit
    from ama_tui.venues.sim.markets import SIM_CHAIN_ID
    from ama_tui.venues.sim.presets import PRESETS, SimPreset
    from ama_tui.venues.sim.snapshot_state import SimStateError
    from ama_tui.venues.sim.venue import STEP_MS, InvalidCursor, SimVenue

__all__ = [
    "PRESETS",
    "SIM_CHAIN_ID",
    "STEP_MS",
    "InvalidCursor",
    "SimAudit",
    "SimPreset",
    "SimStateError",
    "SimVenue",
]

_HOMES = {
    "SimAudit": "audit",
    "SIM_CHAIN_ID": "markets",
    "PRESETS": "presets",
    "SimPreset": "presets",
    "SimStateError": "snapshot_state",
    "STEP_MS": "venue",
    "InvalidCursor": "venue",
    "SimVenue": "venue",
}


__getattr__ = lazy_names(__name__, _HOMES, globals())
