"""Deterministic wallets for the embedded exchange, where there is no CSV and no real money.

Key i is `sha256("ama-tui-sim:{seed}:{i}")` reduced into [1, n-1] (n: the secp256k1 order), for
i = 1..count, nicknamed Sim001, Sim002, ... The same seed always gives the same fleet.
"""

from __future__ import annotations

import hashlib

from ama_tui.core.keys import SECP256K1_ORDER, PrivateKey
from ama_tui.protocol.accounts import address_of
from ama_tui.store.wallets_csv import WalletEntry


def derived_key(seed: str | int, index: int) -> PrivateKey:
    digest = hashlib.sha256(f"ama-tui-sim:{seed}:{index}".encode()).digest()
    scalar = int.from_bytes(digest, "big") % (SECP256K1_ORDER - 1) + 1
    return PrivateKey(f"{scalar:064x}")


def derive_wallets(seed: str | int, count: int) -> tuple[WalletEntry, ...]:
    """`count` wallets derived from `seed`, nicknamed Sim001.. in order."""
    if count < 1:
        raise ValueError(f"the number of wallets must be at least 1, got {count}")
    wallets = []
    for index in range(1, count + 1):
        key = derived_key(seed, index)
        wallets.append(WalletEntry(f"Sim{index:03d}", address_of(key), key))
    return tuple(wallets)
