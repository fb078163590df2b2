"""The relayer set as the registry sees it: a Merkle tree over relayer addresses.

leaf = keccak256(abi.encodePacked(address)); leaves sorted; a pair hashes as
keccak256(min(a, b) || max(a, b)) (OpenZeppelin's commutative hashing); an odd last node pairs
with itself; a single leaf is its own root; the empty set's root is the zero hash.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from ama_tui.protocol.accounts import checksum
from ama_tui.protocol.keccak import keccak256
from ama_tui.protocol.methods import BYTES32_HEX

ZERO_HASH: Final = "0x" + "00" * 32


def relayer_leaf(relayer: str) -> bytes:
    """The tree leaf of one relayer: keccak256 of its 20 address bytes."""
    return keccak256(bytes.fromhex(checksum(relayer)[2:]))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """OpenZeppelin's commutative pair hash."""
    return keccak256(a + b) if a <= b else keccak256(b + a)


def _sorted_leaves(addresses: Iterable[str]) -> list[bytes]:
    if isinstance(addresses, str):
        raise TypeError("give an iterable of addresses, not a single string")
    unique = {checksum(address) for address in addresses}
    return sorted(relayer_leaf(address) for address in unique)


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first, root level last."""
    levels = [leaves]
    while len(levels[-1]) > 1:
        level = levels[-1]
        levels.append(
            [
                hash_pair(level[i], level[i + 1] if i + 1 < len(level) else level[i])
                for i in range(0, len(level), 2)
            ]
        )
    return levels


def relayer_set_root(addresses: Iterable[str]) -> str:
    """The `relayerSetRoot` of a set of relayer addresses (duplicates in any case count once)."""
    leaves = _sorted_leaves(addresses)
    if not leaves:
        return ZERO_HASH
    return "0x" + _levels(leaves)[-1][0].hex()


def relayer_proof(addresses: Iterable[str], relayer: str) -> list[str]:
    """The sibling hashes that prove `relayer` is in the set, leaf level first."""
    leaves = _sorted_leaves(addresses)
    leaf = relayer_leaf(relayer)
    if leaf not in leaves:
        raise ValueError(f"relayer {checksum(relayer)} is not in the relayer set ({len(leaves)} members)")
    index = leaves.index(leaf)
    proof: list[str] = []
    for level in _levels(leaves)[:-1]:
        sibling = index ^ 1
        proof.append("0x" + level[sibling if sibling < len(level) else index].hex())
        index //= 2
    return proof


def _bytes32(value: str, what: str) -> bytes:
    if not isinstance(value, str) or not BYTES32_HEX.match(value):
        raise ValueError(f"{what} must be 0x followed by 64 hex digits (bytes32)")
    return bytes.fromhex(value[2:])


def verify_relayer_proof(root: str, relayer: str, proof: Sequence[str]) -> bool:
    """Whether `proof` links `relayer`'s leaf to `root`, hashing commutatively up the tree."""
    node = relayer_leaf(relayer)
    for index, sibling in enumerate(proof):
        node = hash_pair(node, _bytes32(sibling, f"proof[{index}]"))
    return node == _bytes32(root, "root")
