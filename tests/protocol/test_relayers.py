"""The relayer Merkle set, checked against an independent walk of the tree."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from ama_tui.protocol.accounts import InvalidAddress
from ama_tui.protocol.relayers import ZERO_HASH, relayer_proof, relayer_set_root, verify_relayer_proof

RELAYERS = tuple("0x" + f"{n:040x}" for n in (0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x1234, 0xDEADBEEF))
OUTSIDER = "0x" + "99" * 20


def _leaf(address: str) -> bytes:
    return keccak(bytes.fromhex(address[2:]))


def _pair(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


def _independent_verify(root: str, address: str, proof: list[str]) -> bool:
    node = _leaf(address)
    for sibling in proof:
        node = _pair(node, bytes.fromhex(sibling[2:]))
    return "0x" + node.hex() == root


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_every_member_proves_and_an_outsider_does_not(size: int) -> None:
    members = RELAYERS[:size]
    root = relayer_set_root(members)
    for member in members:
        proof = relayer_proof(members, member)
        assert verify_relayer_proof(root, member, proof)
        assert _independent_verify(root, member, proof)
        assert not verify_relayer_proof(root, OUTSIDER, proof)
    assert len(relayer_proof(members, members[0])) == (size - 1).bit_length()


def test_small_roots_by_hand() -> None:
    a, b, c = sorted(_leaf(address) for address in RELAYERS[:3])
    assert relayer_set_root(RELAYERS[:1]) == "0x" + _leaf(RELAYERS[0]).hex()
    two = sorted(_leaf(address) for address in RELAYERS[:2])
    assert relayer_set_root(RELAYERS[:2]) == "0x" + _pair(two[0], two[1]).hex()
    # three leaves: the odd last node pairs with itself
    assert relayer_set_root(RELAYERS[:3]) == "0x" + _pair(_pair(a, b), _pair(c, c)).hex()


def test_empty_set_is_the_zero_hash() -> None:
    assert relayer_set_root([]) == ZERO_HASH == "0x" + "00" * 32
    assert not verify_relayer_proof(ZERO_HASH, RELAYERS[0], [])


def test_order_and_case_do_not_matter_and_duplicates_count_once() -> None:
    members = RELAYERS[:5]
    noisy = [m.upper().replace("0X", "0x") for m in reversed(members)] + [members[2], members[0].lower()]
    assert relayer_set_root(noisy) == relayer_set_root(members)
    assert relayer_proof(noisy, members[3]) == relayer_proof(members, members[3])


def test_proof_for_an_outsider_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not in the relayer set"):
        relayer_proof(RELAYERS[:3], OUTSIDER)
    with pytest.raises(ValueError, match="not in the relayer set"):
        relayer_proof([], OUTSIDER)


def test_tampered_proof_or_root_fails() -> None:
    members = RELAYERS[:5]
    root = relayer_set_root(members)
    proof = relayer_proof(members, members[1])
    flipped = proof[0][:-1] + ("0" if proof[0][-1] != "0" else "1")
    assert not verify_relayer_proof(root, members[1], [flipped, *proof[1:]])
    assert not verify_relayer_proof(root, members[1], proof[:-1])
    assert not verify_relayer_proof(relayer_set_root(members[:4]), members[1], proof)


def test_bad_inputs() -> None:
    with pytest.raises(InvalidAddress):
        relayer_set_root(["0x1234"])
    with pytest.raises(TypeError):
        relayer_set_root(RELAYERS[0])
    with pytest.raises(ValueError, match="bytes32"):
        verify_relayer_proof("0x12", RELAYERS[0], [])
    with pytest.raises(ValueError, match=r"proof\[0\]"):
        verify_relayer_proof(ZERO_HASH, RELAYERS[0], ["nothex"])
