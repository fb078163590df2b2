"""secp256k1 through libsecp256k1 (coincurve): public keys, and recoverable signatures over a
32-byte digest.

This replaces eth_account on the run path: importing it takes about half a second (eth_keyfile
pulls in py_ecc's BLS pairing code) and its pure-Python curve takes milliseconds per key, where
libsecp256k1 takes tens of microseconds. The signatures are the same bytes: RFC 6979 nonces and a
low `s`, as eth_keys and ethers make them.

Only this module reads a key's value (`reveal()`), and no error raised here carries it: the
library's own messages are replaced by the exception's type name, and the error is raised outside
the `except` block, so the library's exception is neither its `__cause__` nor its `__context__`.
"""

from __future__ import annotations

from typing import Final

from coincurve import PrivateKey as CurveKey
from coincurve import PublicKey

from ama_tui.core.keys import PrivateKey

SIGNATURE_LENGTH: Final = 65
V_OFFSET: Final = 27
"""Ethereum's `v` is the recovery id plus 27."""


class SigningError(RuntimeError):
    """Deriving or signing failed (the message never contains the key)."""


class RecoveryError(ValueError):
    """The signature does not recover to a public key for this digest."""


def _secret(key: PrivateKey) -> bytes:
    if not isinstance(key, PrivateKey):
        raise TypeError("key must be a PrivateKey")
    return bytes.fromhex(key.reveal()[2:])


def public_key(key: PrivateKey) -> bytes:
    """The 64-byte uncompressed public key `x || y` of a private key."""
    secret = _secret(key)
    try:
        return PublicKey.from_secret(secret).format(compressed=False)[1:]
    except Exception as exc:  # never let a library message or traceback carry the key
        failure = type(exc).__name__
    raise SigningError(f"deriving the public key failed ({failure})")


def sign_digest(key: PrivateKey, digest: bytes) -> bytes:
    """The 65-byte `r || s || v` signature of a 32-byte digest, v = 27 or 28."""
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise ValueError("the digest must be 32 bytes")
    secret = _secret(key)
    try:
        signature = CurveKey(secret).sign_recoverable(digest, hasher=None)
    except Exception as exc:
        failure = type(exc).__name__
    else:
        return signature[:64] + bytes([signature[64] + V_OFFSET])
    raise SigningError(f"signing failed ({failure})")


def recover_public_key(digest: bytes, signature: bytes) -> bytes:
    """The 64-byte public key whose key made `signature` (`r || s || v`, v 27/28 or 0/1) over the
    32-byte `digest`."""
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise ValueError("the digest must be 32 bytes")
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_LENGTH:
        raise RecoveryError(f"a signature is {SIGNATURE_LENGTH} bytes")
    v = signature[64]
    recovery_id = v - V_OFFSET if v >= V_OFFSET else v
    if recovery_id not in (0, 1):
        raise RecoveryError(f"signature v must be 27 or 28 (or 0/1), got {v}")
    try:
        public = PublicKey.from_signature_and_message(
            signature[:64] + bytes([recovery_id]), digest, hasher=None
        )
    except Exception as exc:
        raise RecoveryError(f"no public key recovers from it ({type(exc).__name__})") from None
    return public.format(compressed=False)[1:]
