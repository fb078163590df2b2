"""A session's record as the registry's `sessions(bytes32)` getter returns it, in either shape.

The real registry (reference section 7) returns `(trader, relayerSetRoot, expiry,
maxNotionalPerTrade, maxNotionalPerSession, sessionNotionalUsed, methodsBitmap, revoked)`; the
devnet's stand-in still returns `(..., methodsBitmap, notionalUsed, active)`. Both are eight static
words, so the length cannot tell them apart, and their last flag means opposite things (revoked
vs active). The methods bitmap can: it only ever has bits 0-5 set and is never 0 for a session
(a session that may do nothing is useless), while the notional used is 0 on a fresh session and
at least 64 (0.000064 USDC) after any real trade. So the bitmap is the one of words 5 and 6 that
is in 1..63 when exactly one of them is; when both or neither are, the shape last seen on this
registry is kept (the real one until another was seen).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from ama_tui.protocol.methods import ALL_METHODS
from ama_tui.venues.dexetra.codec import ZERO_ADDRESS

_MAX_BITMAP: Final = int(ALL_METHODS)


class RegistryShape(Enum):
    REAL = "real"
    """`..., sessionNotionalUsed, methodsBitmap, revoked`."""
    LEGACY = "legacy"
    """`..., methodsBitmap, notionalUsed, active` (the devnet's stand-in)."""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    trader: str
    expiry: int
    methods_bitmap: int
    notional_used6: int
    revoked: bool

    def active(self, now_s: int) -> bool:
        """Open for trading: it exists, is not revoked and not expired."""
        return int(self.trader, 16) != 0 and not self.revoked and self.expiry > now_s


def _word(value: Any) -> int:
    return int.from_bytes(value, "big") if isinstance(value, bytes) else int(value)


def shape_of(fields: Sequence[Any]) -> RegistryShape | None:
    """The shape an 8-field record must have, or None when the record cannot tell."""
    real_bitmap = 0 < _word(fields[6]) <= _MAX_BITMAP
    legacy_bitmap = 0 < _word(fields[5]) <= _MAX_BITMAP
    if real_bitmap != legacy_bitmap:
        return RegistryShape.REAL if real_bitmap else RegistryShape.LEGACY
    return None


def session_record(fields: Sequence[Any], shape: RegistryShape) -> SessionRecord:
    """The record of a decoded `sessions` answer (decoded as the real shape) read as `shape`."""
    trader = str(fields[0]) if int(str(fields[0]), 16) else ZERO_ADDRESS
    flag = bool(fields[7])
    if shape is RegistryShape.REAL:
        return SessionRecord(trader, int(fields[2]), _word(fields[6]), _word(fields[5]), revoked=flag)
    return SessionRecord(trader, int(fields[2]), _word(fields[5]), _word(fields[6]), revoked=not flag)
