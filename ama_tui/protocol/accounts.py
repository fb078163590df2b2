"""Addresses derived from keys and signatures, and address normalisation (EIP-55).

Deriving an address costs tens of microseconds (libsecp256k1, see `secp256k1`) and checksumming
one a single keccak, so a 10,000-row wallets CSV loads in about a second.
"""

from __future__ import annotations

import re
from typing import Final

from ama_tui.core.keys import PrivateKey
from ama_tui.protocol.keccak import keccak256
from ama_tui.protocol.secp256k1 import public_key, recover_public_key

_HEX_ADDRESS: Final = re.compile(r"(?:0[xX])?([0-9a-fA-F]{40})")


class InvalidAddress(ValueError):
    """Not a 20-byte hex address."""


def _eip55(lower_hex: str) -> str:
    """`0x` + the 40 lower-case hex digits, a letter upper-cased where its keccak nibble is >= 8."""
    nibbles = keccak256(lower_hex.encode("ascii")).hex()
    return "0x" + "".join(
        digit.upper() if nibble in "89abcdef" else digit
        for digit, nibble in zip(lower_hex, nibbles, strict=False)
    )


def checksum_of(raw: bytes) -> str:
    """The checksummed form of a 20-byte address."""
    if len(raw) != 20:
        raise InvalidAddress(f"an address is 20 bytes, got {len(raw)}")
    return _eip55(raw.hex())


def _address_of_public_key(public: bytes) -> bytes:
    return keccak256(public)[-20:]


def address_bytes_of(key: PrivateKey) -> bytes:
    """The 20 bytes of the address a private key controls."""
    return _address_of_public_key(public_key(key))


def address_of(key: PrivateKey) -> str:
    """The checksummed address a private key controls."""
    return checksum_of(address_bytes_of(key))


def recover_address(digest: bytes, signature: bytes) -> str:
    """The checksummed address whose key signed the 32-byte `digest` (`r || s || v`)."""
    return checksum_of(_address_of_public_key(recover_public_key(digest, signature)))


def is_hex_address(value: object) -> bool:
    """Whether `value` is 40 hex digits, `0x`-prefixed or not, in any case (no checksum check)."""
    return isinstance(value, str) and _HEX_ADDRESS.fullmatch(value) is not None


def checksum_matches(address: str) -> bool:
    """Whether a hex address's letter case is one EIP-55 allows: all lower, all upper, or exactly
    its checksum (a mixed case that differs is a typo's sign)."""
    if not is_hex_address(address):
        return False
    digits = address[-40:]
    letters = [c for c in digits if c.isalpha()]
    if all(c.islower() for c in letters) or all(c.isupper() for c in letters):
        return True
    return checksum(address)[2:] == digits


def checksum(address: str) -> str:
    """Checksum an address, rejecting anything that is not 20 bytes of hex. Any case is taken (a
    mixed-case checksum is not checked here; `checksum_matches` does that)."""
    match = _HEX_ADDRESS.fullmatch(address.strip()) if isinstance(address, str) else None
    if match is None:
        raise InvalidAddress(f"not an address: {address!r}")
    return _eip55(match.group(1).lower())
