"""What the dashboard app is started with: the same flags as `ama-tui run`, plus test knobs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ama_tui.wiring import VenueChoice


@dataclass(frozen=True, slots=True)
class AppOptions:
    venue: VenueChoice = VenueChoice.AUTO
    csv: Path | None = None
    wallets: int | None = None
    """Default of the form's wallet count (all of the CSV, or DEFAULT_SIM_WALLETS on the sim)."""
    state_dir: Path = Path("state")
    seed: int = 0
    preset: str = "REALISTIC"
    dry_run: bool = False
    max_in_flight: int | None = None
    env_dir: Path | None = None
    """Where `.env` / `.env.local` are read from (default: the working directory)."""
    alert_bell: bool = True
    """Ring the terminal bell when the dashboard raises an alert (`b` on the dashboard toggles it)."""

    # -- for tests: deterministic screens ------------------------------------------------------
    virtual_time: bool = False
    """The embedded exchange on its virtual clock (one seed, one run)."""
    run_id: str | None = None
    """A fixed id for a fresh run (default: a random UUID)."""
    cursor_blink: bool = True
    virtual_pace_s: float = 0.02
    """Real seconds the engine waits per cycle on the virtual clock, so it does not hog the CPU."""
    search_debounce_s: float = 0.3
    """Pause after the last keystroke before a server-side market search."""
    page_size: int = 50
    """Markets per page of a server-side search."""
