"""Saving the checkpoint while a round of sessions is created: batched, and never most of the
round when a save is slow (a 1,000-wallet checkpoint takes ~0.15 s to write)."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from ama_tui.core.models import MarketCheckpoint
from ama_tui.engine.checkpoint_keeper import SESSION_PERSIST_S, SESSION_SAVE_SHARE

from .helpers import make_rig

SLOW_SAVE_S = 0.1


def test_a_slow_checkpoint_is_saved_less_often_while_sessions_are_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = make_rig(tmp_path, wallets=3)
    try:
        keeper = rig.packer._keeper
        saves: list[float] = []
        real = keeper.store.save_checkpoint

        def slow(checkpoint: MarketCheckpoint) -> None:
            saves.append(time.monotonic())
            time.sleep(SLOW_SAVE_S)
            real(checkpoint)

        monkeypatch.setattr(keeper.store, "save_checkpoint", slow)
        wallet = rig.packer.wallets[0]
        started = time.monotonic()
        while time.monotonic() - started < 1.6:
            keeper.session_saved(rig.packer.wallets, wallet)  # a session created, again and again
            time.sleep(0.005)
        gaps = [later - earlier for earlier, later in itertools.pairwise(saves)]
        # each save took at least SLOW_SAVE_S: the next waits until saving is at most
        # SESSION_SAVE_SHARE of the time (every 0.25 s, saving would hold the lock 40 % of it)
        assert SLOW_SAVE_S / SESSION_SAVE_SHARE > SESSION_PERSIST_S
        assert len(saves) >= 2 and min(gaps) >= SLOW_SAVE_S / SESSION_SAVE_SHARE - 0.01
        during = len(saves)
        keeper.session_saved(rig.packer.wallets, None)  # the round is over: saved at once
        assert len(saves) == during + 1
    finally:
        rig.close()
