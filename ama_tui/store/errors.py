"""Typed errors of the state folder. Messages name the file; none ever contains a private key."""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base of every error raised by `ama_tui.store`."""


class StateFileError(StoreError):
    """A state file (checkpoint, wallet file) that cannot be read or does not validate.

    The file is left exactly as it was, so it can be inspected or fixed by hand.
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class StateWriteError(StoreError):
    """A write that did not happen; the previous content of the file is intact."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"could not write {path}: {reason}")


class NotLockedError(StoreError):
    """A write was attempted on a market folder this process has not opened (locked)."""
