"""Saving a run's checkpoint: what changed, as often as it is worth.

Session changes are saved at once (a new session must survive a crash); last-action times, which
the journal can rebuild, and `updatedAt` at most every PERSIST_INTERVAL_S, and always at the end.
New sessions of one round of creations are batched (SESSION_PERSIST_S). After each save the
embedded exchange saves its own state (`on_saved`), so the two stay together on disk. Safe to call
from the session workers and the engine thread at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Final

from ama_tui.core.models import MarketCheckpoint
from ama_tui.engine.run_setup import iso_now
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.store import MarketStore

PERSIST_INTERVAL_S: Final = 5.0
SESSION_PERSIST_S: Final = 0.25
"""New sessions reach the wallet files and the checkpoint together, at most this often (and all
of them once the round of creations ends): each one's SESSION_INIT line, fsynced the moment it
exists, is what a restart trusts (the later expiry wins), so a thousand wallets do not cost a
thousand checkpoint rewrites."""
SESSION_SAVE_SHARE: Final = 0.2
"""...nor most of the round: the next save of a round waits until the saves took at most this
share of its time (a 1,000-wallet checkpoint takes ~0.15 s to write: every 0.25 s, saving held the
lock the session workers wait on 40 % of the time, 78 saves in one round)."""


class CheckpointKeeper:
    def __init__(
        self,
        store: MarketStore,
        checkpoint: MarketCheckpoint,
        *,
        now: Callable[[], float],
        on_saved: Callable[[], None] | None = None,
        quiet: Callable[[], bool] = lambda: True,
    ) -> None:
        """`now`: the venue's clock (for `updatedAt`); `quiet`: no session creation is in flight
        (`on_saved` runs only then: the exchange's state mid-creation is not worth a save)."""
        self.store = store
        self.checkpoint = checkpoint
        self._now = now
        self._on_saved = on_saved
        self._quiet = quiet
        self.lock = threading.RLock()
        self._last_save = float("-inf")
        self._next_session_save = float("-inf")

    def update(self, **fields: object) -> None:
        """Replace checkpoint fields (saved with the next save)."""
        with self.lock:
            self.checkpoint = self.checkpoint.model_copy(update=fields)

    def session_saved(self, wallets: Sequence[WalletRuntime], wallet: WalletRuntime | None) -> None:
        """A session was created (None: the round of creations is over): save the sessions created
        since the last save, at most every SESSION_PERSIST_S (longer when a save takes more than
        SESSION_SAVE_SHARE of that) until the round ends."""
        started = time.monotonic()
        if wallet is not None and started < self._next_session_save:
            return
        self.save(wallets, force=True)
        took = time.monotonic() - started
        self._next_session_save = started + max(SESSION_PERSIST_S, took / SESSION_SAVE_SHARE)

    def save(
        self, wallets: Sequence[WalletRuntime], *, force: bool = False, only: WalletRuntime | None = None
    ) -> None:
        with self.lock:
            self._save_locked(wallets, force=force, only=only)

    def _save_locked(
        self, fleet: Sequence[WalletRuntime], *, force: bool, only: WalletRuntime | None
    ) -> None:
        due = force or time.monotonic() - self._last_save >= PERSIST_INTERVAL_S
        wallets = dict(self.checkpoint.wallets)
        changed = False
        for wallet in fleet if only is None else [only]:
            stored = wallets.get(wallet.key)
            if stored is None:
                continue
            session_id = wallet.session.session_id if wallet.session else None
            expiry = wallet.session.expiry if wallet.session else None
            session_changed = (stored.session_id, stored.session_expiry) != (session_id, expiry)
            action_changed = stored.last_action_at != wallet.last_action_at
            if session_changed or (due and action_changed):
                stored = stored.model_copy(
                    update={
                        "session_id": session_id,
                        "session_expiry": expiry,
                        "last_action_at": wallet.last_action_at,
                    }
                )
                wallets[wallet.key] = stored
                self.store.save_wallet(wallet.address, stored)
                changed = True
        if not (changed or due):
            return
        run = self.checkpoint.run.model_copy(update={"updated_at": iso_now(self._now())})
        self.checkpoint = self.checkpoint.model_copy(update={"wallets": wallets, "run": run})
        self.store.save_checkpoint(self.checkpoint)
        self._last_save = time.monotonic()
        if self._on_saved is not None and self._quiet():
            self._on_saved()
