"""A private key that cannot be printed by accident.

`repr`, `str`, `format` and pickling never reveal the key; only `reveal()` does, and only the
signing code calls it. Errors about a malformed key never echo the value.
"""

from __future__ import annotations

import re
from typing import Any, Final, NoReturn

_HEX_KEY = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
SECP256K1_ORDER: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class InvalidPrivateKey(ValueError):
    """The value is not a usable secp256k1 private key (the message never contains it)."""


class PrivateKey:
    __slots__ = ("_hex",)

    def __init__(self, value: str) -> None:
        text = value.strip() if isinstance(value, str) else ""
        if not _HEX_KEY.match(text):
            raise InvalidPrivateKey("private key must be 32 bytes of hex (64 hex digits, optional 0x)")
        scalar = int(text.removeprefix("0x"), 16)
        if not 0 < scalar < SECP256K1_ORDER:
            raise InvalidPrivateKey("private key is outside the secp256k1 range")
        self._hex = "0x" + text.removeprefix("0x").lower()

    def reveal(self) -> str:
        """The 0x-prefixed hex key. Call only where a signature is made."""
        return self._hex

    def __repr__(self) -> str:
        return "PrivateKey(***)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PrivateKey) and other._hex == self._hex

    def __hash__(self) -> int:
        return hash(("PrivateKey", self._hex))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a PrivateKey is not serialisable")

    def __getstate__(self) -> Any:
        raise TypeError("a PrivateKey is not serialisable")
