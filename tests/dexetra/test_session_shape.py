"""The registry's `sessions(bytes32)` getter in the real shape (reference section 7) and in the
devnet stand-in's older one: a session is active when it exists, is not revoked and is unexpired."""

from __future__ import annotations

import pytest
from eth_abi import encode as abi_encode

from ama_tui.protocol.abi import SESSION_REGISTRY_ABI, find
from ama_tui.protocol.methods import ALL_METHODS, MethodBit
from ama_tui.venues.dexetra.sessions import RegistryShape, session_record, shape_of

from .fakes import ALICE, FakeChain, make_venue

NOW = 1_900_000_000
LATER, EARLIER = NOW + 3600, NOW - 1
ROOT = bytes.fromhex("ab" * 32)
TYPES_REAL = ["address", "bytes32", "uint256", "uint256", "uint256", "uint256", "bytes32", "bool"]
TYPES_LEGACY = ["address", "bytes32", "uint256", "uint256", "uint256", "bytes32", "uint256", "bool"]
ZERO = "0x" + "00" * 20


def _bitmap(bits: int) -> bytes:
    return bits.to_bytes(32, "big")


def real(
    trader: str = ALICE, expiry: int = LATER, used: int = 0, bits: int = ALL_METHODS, revoked: bool = False
) -> bytes:
    return abi_encode(TYPES_REAL, [trader, ROOT, expiry, 0, 0, used, _bitmap(bits), revoked])


def legacy(
    trader: str = ALICE, expiry: int = LATER, used: int = 0, bits: int = ALL_METHODS, active: bool = True
) -> bytes:
    return abi_encode(TYPES_LEGACY, [trader, ROOT, expiry, 0, 0, _bitmap(bits), used, active])


def test_the_abi_declares_the_real_getter() -> None:
    outputs = find(SESSION_REGISTRY_ABI, "sessions")["outputs"]
    assert [(o["name"], o["type"]) for o in outputs] == [
        ("trader", "address"),
        ("relayerSetRoot", "bytes32"),
        ("expiry", "uint256"),
        ("maxNotionalPerTrade", "uint256"),
        ("maxNotionalPerSession", "uint256"),
        ("sessionNotionalUsed", "uint256"),
        ("methodsBitmap", "bytes32"),
        ("revoked", "bool"),
    ]


SIDS = {
    name: "0x" + f"{index:02x}" * 32
    for index, name in enumerate(("fresh", "traded", "revoked", "expired", "unknown", "capped"), start=1)
}


@pytest.mark.parametrize("multicall", [True, False])
def test_real_registry_sessions(multicall: bool) -> None:
    chain = FakeChain(multicall=multicall)
    chain.sessions = {
        bytes.fromhex(SIDS["fresh"][2:]): real(),
        bytes.fromhex(SIDS["traded"][2:]): real(used=29_995_100),
        bytes.fromhex(SIDS["revoked"][2:]): real(used=29_995_100, revoked=True),
        bytes.fromhex(SIDS["expired"][2:]): real(expiry=EARLIER),
        # used 0.000050 USDC: both words look like a bitmap; the registry's shape decides
        bytes.fromhex(SIDS["capped"][2:]): real(used=50, bits=int(MethodBit.CANCEL_ORDER)),
    }
    venue, _, _ = make_venue(chain)
    venue.clock.now = lambda: float(NOW)  # type: ignore[method-assign]
    answer = venue.sessions_active([*SIDS.values(), "junk"])
    assert answer == {
        SIDS["fresh"]: True,
        SIDS["traded"]: True,
        SIDS["revoked"]: False,
        SIDS["expired"]: False,
        SIDS["unknown"]: False,
        SIDS["capped"]: True,
        "junk": False,
    }


def test_legacy_registry_sessions() -> None:
    chain = FakeChain()
    chain.sessions = {
        bytes.fromhex(SIDS["fresh"][2:]): legacy(),
        bytes.fromhex(SIDS["traded"][2:]): legacy(used=29_995_100),
        bytes.fromhex(SIDS["revoked"][2:]): legacy(used=29_995_100, active=False),
        bytes.fromhex(SIDS["expired"][2:]): legacy(expiry=EARLIER),
        bytes.fromhex(SIDS["capped"][2:]): legacy(used=50, bits=int(MethodBit.CANCEL_ORDER)),
    }
    venue, _, _ = make_venue(chain)
    venue.clock.now = lambda: float(NOW)  # type: ignore[method-assign]
    answer = venue.sessions_active(list(SIDS.values()))
    assert answer == {
        SIDS["fresh"]: True,
        SIDS["traded"]: True,
        SIDS["revoked"]: False,
        SIDS["expired"]: False,
        SIDS["unknown"]: False,
        SIDS["capped"]: True,  # ambiguous alone, read in the shape its neighbours showed
    }


def test_shape_and_record() -> None:
    from ama_tui.venues.dexetra.codec import SESSIONS

    fresh_real, fresh_legacy = SESSIONS.decode(real()), SESSIONS.decode(legacy())
    assert shape_of(fresh_real) is RegistryShape.REAL and shape_of(fresh_legacy) is RegistryShape.LEGACY
    assert shape_of(SESSIONS.decode(real(used=50))) is None
    record = session_record(SESSIONS.decode(real(used=7_000, bits=0x22, revoked=True)), RegistryShape.REAL)
    assert (record.notional_used6, record.methods_bitmap, record.revoked) == (7_000, 0x22, True)
    record = session_record(SESSIONS.decode(legacy(used=7_000, bits=0x22)), RegistryShape.LEGACY)
    assert (record.notional_used6, record.methods_bitmap, record.revoked) == (7_000, 0x22, False)
    assert not session_record(SESSIONS.decode(bytes(256)), RegistryShape.REAL).active(NOW)
    assert session_record(fresh_real, RegistryShape.REAL).active(NOW)
    assert not session_record(fresh_real, RegistryShape.REAL).active(LATER)
    assert session_record(SESSIONS.decode(real(trader=ZERO)), RegistryShape.REAL).trader == ZERO
