from __future__ import annotations

import pytest

from ama_tui.protocol.accounts import address_of
from ama_tui.store import derive_wallets


def test_derived_wallets_are_deterministic_and_well_formed() -> None:
    fleet = derive_wallets(7, 12)
    assert fleet == derive_wallets(7, 12)
    assert fleet[:3] == derive_wallets(7, 3)
    assert [w.nickname for w in fleet[:2]] == ["Sim001", "Sim002"]
    assert fleet[-1].nickname == "Sim012"
    assert len({w.address for w in fleet}) == 12
    for wallet in fleet:
        assert address_of(wallet.key) == wallet.address
    assert {w.address for w in derive_wallets(8, 12)}.isdisjoint(w.address for w in fleet)


def test_derivation_is_pinned() -> None:
    # The simulator's reproducibility depends on this never changing.
    assert derive_wallets(0, 2)[1].address == "0x91f8B3Ed11480A0Acfad591c7318b2B273EE71a0"
    assert derive_wallets("0", 1) == derive_wallets(0, 1)


def test_count_must_be_positive() -> None:
    with pytest.raises(ValueError):
        derive_wallets(0, 0)
