"""Our EIP-712 hashing and libsecp256k1 signing give the same bytes as eth_account, which the run
path no longer imports (and as eth_keys' pure-Python curve, an independent implementation).

Keys are drawn as seeds and derived like the simulator's wallets, so a failing example shows a
seed, never a key.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_keys import KeyAPI
from eth_keys.backends import NativeECCBackend
from eth_utils import is_address, keccak, to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ama_tui.core.keys import SECP256K1_ORDER, PrivateKey
from ama_tui.protocol.accounts import InvalidAddress, address_of, checksum, recover_address
from ama_tui.protocol.permits import (
    SessionPermit,
    permit_digest,
    recover_permit_signer,
    sign_session_permit,
    typed_data,
)
from ama_tui.protocol.secp256k1 import sign_digest
from ama_tui.store.wallets_derived import derived_key

NATIVE = KeyAPI(NativeECCBackend())
"""eth_keys on its pure-Python backend, whichever backend eth_account picked."""

PARITY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

seeds = st.integers(min_value=0, max_value=2**32)
uint256 = st.one_of(
    st.integers(min_value=0, max_value=2**256 - 1), st.sampled_from([0, 1, 2**64, 2**256 - 1])
)
bytes32 = st.binary(min_size=32, max_size=32)
addresses = st.binary(min_size=20, max_size=20).map(to_checksum_address)


@st.composite
def permits(draw: st.DrawFn) -> SessionPermit:
    return SessionPermit(
        trader=draw(addresses),
        relayer_set_root=draw(bytes32),
        expiry=draw(uint256),
        max_notional_per_trade=draw(uint256),
        max_notional_per_session=draw(uint256),
        methods_bitmap=draw(bytes32),
        session_salt=draw(bytes32),
        allowed_markets=draw(st.lists(bytes32, max_size=6)),
        nonce=draw(uint256),
    )


chain_ids = st.one_of(st.integers(min_value=1, max_value=2**256 - 1), st.sampled_from([1, 31337, 999]))


def _signable(chain_id: int, registry: str, permit: SessionPermit) -> SignableMessage:
    return encode_typed_data(full_message=typed_data(chain_id, registry, permit))


def _eth_account_digest(message: SignableMessage) -> bytes:
    return keccak(b"\x19" + message.version + message.header + message.body)


def _key(seed: int) -> PrivateKey:
    return derived_key(f"parity-{seed}", 1)


@PARITY
@given(chain_id=chain_ids, registry=addresses, permit=permits())
def test_digest_is_eth_accounts(chain_id: int, registry: str, permit: SessionPermit) -> None:
    expected = _eth_account_digest(_signable(chain_id, registry, permit))
    assert permit_digest(chain_id, registry, permit) == expected
    assert permit_digest(chain_id, registry.lower(), permit) == expected


@PARITY
@given(seed=seeds, chain_id=chain_ids, registry=addresses, permit=permits())
def test_signature_and_recovery_are_eth_accounts(
    seed: int, chain_id: int, registry: str, permit: SessionPermit
) -> None:
    key = _key(seed)
    message = _signable(chain_id, registry, permit)
    signature = sign_session_permit(key, chain_id, registry, permit)
    assert signature == "0x" + bytes(Account.sign_message(message, private_key=key.reveal()).signature).hex()
    raw = bytes.fromhex(signature[2:])
    assert raw[64] in (27, 28)
    assert int.from_bytes(raw[32:64], "big") <= SECP256K1_ORDER // 2  # low s, as ethers requires
    native = NATIVE.PrivateKey(bytes.fromhex(key.reveal()[2:])).sign_msg_hash(_eth_account_digest(message))
    assert raw == native.to_bytes()[:64] + bytes([native.v + 27])
    signer = recover_permit_signer(chain_id, registry, permit, signature)
    assert signer == Account.recover_message(message, signature=raw) == address_of(key)


@PARITY
@given(digest=bytes32, signature=st.binary(min_size=64, max_size=64), v=st.sampled_from([0, 1, 27, 28]))
def test_recovery_of_arbitrary_signatures_agrees(digest: bytes, signature: bytes, v: int) -> None:
    """Random bytes recover to the address eth_keys' pure-Python curve gives, or fail for both."""
    raw = signature + bytes([v])
    try:
        expected: str | None = (
            NATIVE.Signature(raw[:64] + bytes([v % 27]))
            .recover_public_key_from_msg_hash(digest)
            .to_checksum_address()
        )
    except Exception:
        expected = None
    try:
        actual: str | None = recover_address(digest, raw)
    except ValueError:
        actual = None
    assert actual == expected


@PARITY
@given(seed=seeds)
def test_address_is_eth_accounts(seed: int) -> None:
    key = _key(seed)
    assert address_of(key) == Account.from_key(key.reveal()).address


@st.composite
def address_texts(draw: st.DrawFn) -> str:
    """Addresses as people write them: any prefix and case, a wrong checksum, a digit too many."""
    digits = draw(st.binary(min_size=20, max_size=20)).hex()
    case = draw(st.sampled_from(["lower", "upper", "checksum", "random"]))
    if case == "upper":
        digits = digits.upper()
    elif case == "checksum":
        digits = to_checksum_address(digits)[2:]
    elif case == "random":
        flips = draw(st.lists(st.booleans(), min_size=40, max_size=40))
        digits = "".join(c.upper() if flip else c for c, flip in zip(digits, flips, strict=True))
    digits = draw(st.sampled_from([digits, digits[:-1], digits + "0", digits[:-1] + "g"]))
    prefix = draw(st.sampled_from(["0x", "0X", "", "x", "00x"]))
    return draw(st.sampled_from(["", " ", "\t"])) + prefix + digits + draw(st.sampled_from(["", " ", "\n"]))


@settings(max_examples=400, deadline=None)
@given(text=address_texts())
def test_checksum_follows_eth_utils(text: str) -> None:
    if is_address(text.strip()):
        assert checksum(text) == to_checksum_address(text.strip())
    else:
        with pytest.raises(InvalidAddress):
            checksum(text)


@pytest.mark.parametrize("scalar", [1, 2, 3, SECP256K1_ORDER - 2, SECP256K1_ORDER - 1])
def test_address_at_the_ends_of_the_range(scalar: int) -> None:
    key = PrivateKey(f"{scalar:064x}")
    assert address_of(key) == Account.from_key(key.reveal()).address


def test_sign_digest_checks_its_inputs() -> None:
    key = _key(0)
    with pytest.raises(ValueError, match="32 bytes"):
        sign_digest(key, b"\x00" * 31)
    with pytest.raises(TypeError, match="PrivateKey"):
        sign_digest(key.reveal(), b"\x00" * 32)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="65 bytes"):
        recover_address(b"\x00" * 32, b"\x00" * 64)
    with pytest.raises(ValueError, match="v must be"):
        recover_address(b"\x00" * 32, b"\x01" * 64 + b"\x05")
