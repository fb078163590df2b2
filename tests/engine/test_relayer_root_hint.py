"""Sessions opened on the relayer set remembered from the last run, while the live set is read
beside them (one relay round trip less before trading): the keeper checks the hint against the
live root before any trade, and opens every session again on the live set when they differ."""

from __future__ import annotations

from pathlib import Path

from ama_tui.core.models import ActionKind
from ama_tui.venues.base import RelayerRootHinter
from ama_tui.venues.sim import SimVenue

from .helpers import Rig, make_rig

SEED = 7
WALLETS = 3
STALE = "0x" + "11" * 32


class HintingSim(SimVenue):
    """The sim, offering a remembered relayer-set root once (as `DexetraVenue` does while its
    early read is in flight), and counting the live reads."""

    def __init__(self, hint: str | None) -> None:
        super().__init__(SEED, "PERFECT_EXECUTION", "virtual")
        self.hint = hint
        self.live_reads = 0
        self.hint_reads = 0

    def relayer_root_hint(self) -> str | None:
        self.hint_reads += 1
        hint, self.hint = self.hint, None
        return hint

    def relayer_set_root(self) -> str:
        self.live_reads += 1
        return super().relayer_set_root()


def _lines(rig: Rig) -> list[dict[str, object]]:
    return [line.model_dump(by_alias=True) for line in rig.store.iter_journal()]


def test_a_remembered_root_that_is_still_the_relays_opens_every_session_in_one_round(tmp_path: Path) -> None:
    live = SimVenue(SEED, "PERFECT_EXECUTION", "virtual").relayer_set_root()
    venue = HintingSim(live.upper().replace("0X", "0x"))  # case does not matter
    assert isinstance(venue, RelayerRootHinter)
    rig = make_rig(tmp_path, venue=venue, seed=SEED, wallets=WALLETS)
    try:
        assert rig.packer.ensure_sessions() == 0
        lines = _lines(rig)
        assert [line["action"] for line in lines].count(ActionKind.SESSION_INIT) == WALLETS
        assert not [line for line in lines if line["action"] == ActionKind.ERROR]
        assert venue.hint_reads == 1 and venue.live_reads == 1  # the hint, then its check
        rig.packer.cycle()
        assert rig.packer.snapshot().totals.placed > 0
    finally:
        rig.close()


def test_a_stale_remembered_root_opens_every_session_again_on_the_live_one(tmp_path: Path) -> None:
    venue = HintingSim(STALE)
    rig = make_rig(tmp_path, venue=venue, seed=SEED, wallets=WALLETS)
    try:
        # the sim refuses a permit naming another relayer set (the real registry takes it and
        # refuses its trades); either way the keeper opens them again before any trade
        assert rig.packer.ensure_sessions() == 0
        snapshot = rig.packer.snapshot()
        assert all(w.session_expiry is not None for w in snapshot.wallets)
        lines = _lines(rig)
        inits = [line for line in lines if line["action"] == ActionKind.SESSION_INIT]
        assert len(inits) == WALLETS
        refused = [line for line in lines if line["action"] == ActionKind.ERROR]
        assert len(refused) == WALLETS and all("session_bad_relayer" in str(r["error"]) for r in refused)
        assert any("relayer set changed since the last run" in note for note in snapshot.notices)
        kept = {w.session_id for w in rig.packer.checkpoint.wallets.values()}
        assert kept == {line["params"]["sessionId"] for line in inits}  # type: ignore[index]
        assert venue.live_reads >= 1
        rig.packer.cycle()
        after = rig.packer.snapshot()
        assert after.totals.placed > 0 and after.totals.errors == 0
        assert not [w for w in after.wallets if w.last_error]
    finally:
        rig.close()


def test_without_a_hint_the_live_root_is_read_as_before(tmp_path: Path) -> None:
    venue = HintingSim(None)
    rig = make_rig(tmp_path, venue=venue, seed=SEED, wallets=WALLETS)
    try:
        assert rig.packer.ensure_sessions() == 0
        assert venue.hint_reads == 1 and venue.live_reads == 1
        assert not [line for line in _lines(rig) if line["action"] == ActionKind.ERROR]
    finally:
        rig.close()
