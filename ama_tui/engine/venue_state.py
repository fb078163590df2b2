"""A venue that keeps its own state on our disk (the embedded exchange) resumes with the run.

The packer saves it after every checkpoint save, so the two move together; a resumed run restores
it before the first read, a fresh run forgets it (a new exchange). Venues that live elsewhere (a
chain) have no such capability and are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ama_tui.store import MarketStore


@runtime_checkable
class StatefulVenue(Protocol):
    """The capability: export the whole venue as bytes, and restore it (raising ValueError when
    the bytes cannot be restored here)."""

    def export_state(self) -> bytes: ...

    def restore_state(self, data: bytes) -> None: ...


class VenueStateError(RuntimeError):
    """The saved exchange cannot be restored (the message says why and what to do)."""


def attach_venue_state(venue: object, store: MarketStore, *, resumed: bool) -> Callable[[], None] | None:
    """Restore (resumed) or forget (fresh) the venue's saved state; returns the function that saves
    it (None for a venue without the capability)."""
    if not isinstance(venue, StatefulVenue):
        return None
    if resumed:
        data = store.load_venue_state()
        if data is not None:
            try:
                venue.restore_state(data)
            except ValueError as exc:
                raise VenueStateError(
                    f"cannot resume the embedded exchange saved in {store.venue_state_path}: {exc} "
                    "(use the same --seed and --preset as the run that saved it, or --fresh)"
                ) from None
    else:
        store.drop_venue_state()

    def save() -> None:
        store.save_venue_state(venue.export_state())

    return save
