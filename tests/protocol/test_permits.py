"""Session permits: validation, API JSON, EIP-712 digest, signing, recovery and session ids."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak

from ama_tui.core.keys import PrivateKey
from ama_tui.protocol.accounts import address_of
from ama_tui.protocol.methods import ALL_METHODS, MethodBit, TradeMethod
from ama_tui.protocol.permits import (
    SESSION_PERMIT_TYPE,
    PermitSigningError,
    SessionPermit,
    build_session_permit,
    permit_digest,
    recover_permit_signer,
    session_id,
    sign_session_permit,
    typed_data,
)

KEY_HEX = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil #0, public
KEY = PrivateKey(KEY_HEX)
TRADER = address_of(KEY)
CHAIN_ID = 31337
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ROOT = "0x" + "ab" * 32
MARKETS = ("0x" + "01" * 32, "0x" + "02" * 32)


def _permit(**changes: Any) -> SessionPermit:
    fields: dict[str, Any] = {
        "trader": TRADER,
        "relayer_set_root": ROOT,
        "expiry": 1_800_000_000,
        "max_notional_per_trade": 1_000_000_000,
        "max_notional_per_session": 0,
        "methods_bitmap": "0x" + "0" * 62 + "3f",
        "session_salt": "0x" + "5a" * 32,
        "allowed_markets": MARKETS,
        "nonce": 7,
    }
    fields.update(changes)
    return SessionPermit(**fields)


def test_type_string_is_exact() -> None:
    assert SESSION_PERMIT_TYPE == (
        "SessionPermit(address trader,bytes32 relayerSetRoot,uint256 expiry,uint256 maxNotionalPerTrade,"
        "uint256 maxNotionalPerSession,bytes32 methodsBitmap,bytes32 sessionSalt,bytes32[] allowedMarkets,"
        "uint256 nonce)"
    )


def test_typed_data_shape() -> None:
    data = typed_data(CHAIN_ID, REGISTRY.lower(), _permit())
    assert data["primaryType"] == "SessionPermit"
    assert data["domain"] == {
        "name": "DexetraMeta",
        "version": "1",
        "chainId": CHAIN_ID,
        "verifyingContract": REGISTRY,
    }
    assert [f["name"] for f in data["types"]["EIP712Domain"]] == [
        "name",
        "version",
        "chainId",
        "verifyingContract",
    ]
    fields = ",".join(f"{f['type']} {f['name']}" for f in data["types"]["SessionPermit"])
    assert f"SessionPermit({fields})" == SESSION_PERMIT_TYPE
    assert data["message"]["allowedMarkets"] == list(MARKETS)
    assert data["message"]["nonce"] == 7
    json.dumps(data)  # plain JSON values only


def test_digest_matches_an_independent_eip712_computation() -> None:
    permit = _permit()
    domain_type = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    domain_separator = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [keccak(text=domain_type), keccak(text="DexetraMeta"), keccak(text="1"), CHAIN_ID, REGISTRY],
        )
    )
    struct_hash = keccak(
        encode(
            ["bytes32", "address", "bytes32", "uint256", "uint256", "uint256", "bytes32", "bytes32",
             "bytes32", "uint256"],
            [
                keccak(text=SESSION_PERMIT_TYPE),
                TRADER,
                bytes.fromhex(ROOT[2:]),
                1_800_000_000,
                1_000_000_000,
                0,
                (0x3F).to_bytes(32, "big"),
                bytes.fromhex("5a" * 32),
                keccak(b"".join(bytes.fromhex(m[2:]) for m in MARKETS)),
                7,
            ],
        )
    )  # fmt: skip
    assert permit_digest(CHAIN_ID, REGISTRY, permit) == keccak(b"\x19\x01" + domain_separator + struct_hash)


def test_signature_format_and_recovery() -> None:
    permit = _permit()
    signature = sign_session_permit(KEY, CHAIN_ID, REGISTRY, permit)
    raw = bytes.fromhex(signature[2:])
    assert signature.startswith("0x") and len(raw) == 65
    assert raw[64] in (27, 28)
    assert recover_permit_signer(CHAIN_ID, REGISTRY, permit, signature) == TRADER
    assert recover_permit_signer(CHAIN_ID, REGISTRY, permit, raw) == TRADER
    # v as 0/1 is accepted too
    assert recover_permit_signer(CHAIN_ID, REGISTRY, permit, raw[:64] + bytes([raw[64] - 27])) == TRADER
    # deterministic (RFC 6979), like ethers
    assert sign_session_permit(KEY, CHAIN_ID, REGISTRY, permit) == signature


TAMPERS: dict[str, Any] = {
    "trader": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "relayer_set_root": "0x" + "ac" * 32,
    "expiry": 1_800_000_001,
    "max_notional_per_trade": 1_000_000_001,
    "max_notional_per_session": 1,
    "methods_bitmap": "0x" + "0" * 62 + "3e",
    "session_salt": "0x" + "5b" * 32,
    "allowed_markets": (*MARKETS, "0x" + "03" * 32),
    "nonce": 8,
}


@pytest.mark.parametrize("field", list(TAMPERS))
def test_tampering_any_field_changes_the_signer(field: str) -> None:
    signature = sign_session_permit(KEY, CHAIN_ID, REGISTRY, _permit())
    tampered = _permit(**{field: TAMPERS[field]})
    assert recover_permit_signer(CHAIN_ID, REGISTRY, tampered, signature) != TRADER


def test_other_domain_or_market_order_changes_the_signer() -> None:
    permit = _permit()
    signature = sign_session_permit(KEY, CHAIN_ID, REGISTRY, permit)
    assert recover_permit_signer(CHAIN_ID + 1, REGISTRY, permit, signature) != TRADER
    assert recover_permit_signer(CHAIN_ID, "0x" + "11" * 20, permit, signature) != TRADER
    swapped = _permit(allowed_markets=tuple(reversed(MARKETS)))
    assert recover_permit_signer(CHAIN_ID, REGISTRY, swapped, signature) != TRADER


def test_session_id_matches_abi_encode_and_keccak() -> None:
    permit = _permit()
    expected = keccak(
        encode(["address", "bytes32", "bytes32"], [TRADER, bytes.fromhex("ab" * 32), b"\x5a" * 32])
    )
    assert session_id(TRADER.lower(), ROOT, permit.session_salt) == "0x" + expected.hex()
    assert permit.session_id == "0x" + expected.hex()


def test_api_json_shape_and_round_trip() -> None:
    permit = _permit(max_notional_per_session=(1 << 256) - 1)
    body = permit.to_api_json()
    assert list(body) == [
        "trader", "relayerSetRoot", "expiry", "maxNotionalPerTrade", "maxNotionalPerSession",
        "methodsBitmap", "sessionSalt", "allowedMarkets", "nonce",
    ]  # fmt: skip
    assert body["expiry"] == "1800000000" and body["nonce"] == "7"
    assert body["maxNotionalPerSession"] == str((1 << 256) - 1)
    assert body["allowedMarkets"] == list(MARKETS)
    assert SessionPermit.from_api_json(json.loads(json.dumps(body))) == permit
    as_ints = {**body, "expiry": 1_800_000_000, "nonce": 7}
    assert SessionPermit.from_api_json(as_ints) == permit


def test_from_api_json_rejects_missing_and_unknown_fields() -> None:
    body = _permit().to_api_json()
    with pytest.raises(ValueError, match="missing field"):
        SessionPermit.from_api_json({k: v for k, v in body.items() if k != "nonce"})
    with pytest.raises(ValueError, match="unknown field"):
        SessionPermit.from_api_json({**body, "extra": 1})
    with pytest.raises(ValueError, match="must be an object"):
        SessionPermit.from_api_json([])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expiry"):
        SessionPermit.from_api_json({**body, "expiry": "1.5"})


def test_normalisation() -> None:
    permit = _permit(trader=TRADER.lower(), session_salt="0x" + "5A" * 32, allowed_markets=[bytes(32)])
    assert permit.trader == TRADER
    assert permit.session_salt == "0x" + "5a" * 32
    assert permit.allowed_markets == ("0x" + "00" * 32,)
    assert permit.methods == ALL_METHODS


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"session_salt": "0x1234"}, "session_salt must be 0x followed by 64 hex digits"),
        ({"relayer_set_root": "ab" * 32}, "relayer_set_root must be 0x followed by 64 hex digits"),
        ({"trader": "0x1234"}, "not an address"),
        ({"nonce": -1}, "nonce must be a non-negative integer"),
        ({"expiry": 1.5}, "expiry must be a non-negative integer"),
        ({"expiry": True}, "expiry must be a non-negative integer"),
        ({"max_notional_per_trade": 1 << 256}, "does not fit in uint256"),
        ({"allowed_markets": MARKETS[0]}, "allowed_markets must be a list"),
        ({"allowed_markets": [MARKETS[0], "0x01"]}, r"allowed_markets\[1\]"),
    ],
)
def test_bad_inputs_raise_clear_errors(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _permit(**changes)


def test_permit_is_frozen() -> None:
    permit = _permit()
    with pytest.raises(ValueError, match="frozen"):
        permit.nonce = 8  # type: ignore[misc]


def test_build_session_permit() -> None:
    first = build_session_permit(
        trader=TRADER, relayer_set_root=ROOT, expiry=1_800_000_000, nonce=3, allowed_markets=MARKETS
    )
    second = build_session_permit(
        trader=TRADER,
        relayer_set_root=ROOT,
        expiry=1_800_000_000,
        nonce=3,
        allowed_markets=[MARKETS[0]],
        methods=[TradeMethod.PLACE_MARGIN_LIMIT, TradeMethod.CANCEL_ORDER],
        max_notional_per_trade=5,
        max_notional_per_session=50,
    )
    assert first.session_salt != second.session_salt
    assert first.methods_bitmap == "0x" + "0" * 62 + "3f"
    assert (first.max_notional_per_trade, first.max_notional_per_session) == (0, 0)
    assert second.methods == MethodBit.PLACE_MARGIN_LIMIT | MethodBit.CANCEL_ORDER
    assert (second.max_notional_per_trade, second.max_notional_per_session) == (5, 50)
    assert recover_permit_signer(
        CHAIN_ID, REGISTRY, first, sign_session_permit(KEY, CHAIN_ID, REGISTRY, first)
    ) == (TRADER)


def test_signing_errors_never_show_the_key() -> None:
    with pytest.raises(TypeError) as raised:
        sign_session_permit(KEY_HEX, CHAIN_ID, REGISTRY, _permit())  # type: ignore[arg-type]
    assert KEY_HEX[2:] not in str(raised.value)
    with pytest.raises(ValueError, match="chain_id"):
        sign_session_permit(KEY, 0, REGISTRY, _permit())
    with pytest.raises(ValueError, match="65 bytes"):
        recover_permit_signer(CHAIN_ID, REGISTRY, _permit(), "0x1234")
    with pytest.raises(ValueError, match="v must be"):
        recover_permit_signer(CHAIN_ID, REGISTRY, _permit(), "0x" + "11" * 64 + "05")


def test_validation_errors_do_not_echo_inputs() -> None:
    with pytest.raises(ValueError) as raised:
        _permit(session_salt=KEY_HEX[:-2])
    assert KEY_HEX[2:-2] not in str(raised.value)


def _chain(error: BaseException) -> list[BaseException]:
    """The error and every exception chained to it, as a traceback could print them."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


class _LeakyCurveKey:
    """Stands in for coincurve: fails with the secret in its message, as a library might."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def sign_recoverable(self, message: bytes, hasher: object = None) -> bytes:
        raise ValueError(f"cannot sign with {self.secret.hex()}")


class _LeakyPublicKey:
    @staticmethod
    def from_secret(secret: bytes) -> object:
        raise ValueError(f"bad secret {secret.hex()}")


def test_a_library_failure_never_carries_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from ama_tui.protocol import accounts, secp256k1

    monkeypatch.setattr(secp256k1, "CurveKey", _LeakyCurveKey)
    monkeypatch.setattr(secp256k1, "PublicKey", _LeakyPublicKey)
    with pytest.raises(PermitSigningError) as signing:
        sign_session_permit(KEY, CHAIN_ID, REGISTRY, _permit())
    with pytest.raises(secp256k1.SigningError) as deriving:
        accounts.address_of(KEY)
    for raised in (signing, deriving):
        chain = _chain(raised.value)
        assert len(chain) == 1, [type(error).__name__ for error in chain]
        assert "ValueError" in str(raised.value)
        assert KEY_HEX[2:] not in str(raised.value) and KEY_HEX[2:] not in repr(raised.value.args)
