"""Keccak-256, the hash Ethereum calls `keccak256` (not NIST SHA3-256: the padding differs).

Through pycryptodome's C implementation, which eth_hash also uses, imported directly: importing
eth_hash or eth_utils for it costs about a tenth of a second at start-up (`importlib.metadata`,
eth_typing's table of every chain), a fifth of what a run imports before its first request.
"""

from __future__ import annotations

from Crypto.Hash import keccak as _keccak


def keccak256(data: bytes | bytearray | memoryview) -> bytes:
    """The 32-byte Keccak-256 digest of `data`."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"keccak256 takes bytes, got {type(data).__name__}")
    return _keccak.new(digest_bits=256, data=bytes(data)).digest()


def keccak_text(text: str) -> bytes:
    """Keccak-256 of a text's UTF-8 bytes (a function signature, a domain name)."""
    return keccak256(text.encode("utf-8"))
