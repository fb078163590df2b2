"""Gasless session permits: the EIP-712 `SessionPermit` the registry verifies, its JSON body for
`POST /api/gasless/session/init`, signing (byte-identical to ethers v6) and the session id."""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from ama_tui.core.keys import PrivateKey
from ama_tui.protocol.accounts import checksum, recover_address
from ama_tui.protocol.keccak import keccak256, keccak_text
from ama_tui.protocol.methods import (
    ALL_METHODS,
    BYTES32_HEX,
    MethodBit,
    Methods,
    methods_bitmap,
    parse_methods_bitmap,
)
from ama_tui.protocol.secp256k1 import RecoveryError, SigningError, sign_digest

DOMAIN_NAME: Final = "DexetraMeta"
DOMAIN_VERSION: Final = "1"
PRIMARY_TYPE: Final = "SessionPermit"

PERMIT_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("trader", "address"),
    ("relayerSetRoot", "bytes32"),
    ("expiry", "uint256"),
    ("maxNotionalPerTrade", "uint256"),
    ("maxNotionalPerSession", "uint256"),
    ("methodsBitmap", "bytes32"),
    ("sessionSalt", "bytes32"),
    ("allowedMarkets", "bytes32[]"),
    ("nonce", "uint256"),
)
"""The primary type's members, in the order the registry hashes them."""

SESSION_PERMIT_TYPE: Final = PRIMARY_TYPE + "(" + ",".join(f"{t} {n}" for n, t in PERMIT_FIELDS) + ")"

DOMAIN_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
)

DOMAIN_TYPE: Final = "EIP712Domain(" + ",".join(f"{t} {n}" for n, t in DOMAIN_FIELDS) + ")"

_DOMAIN_TYPE_HASH: Final = keccak_text(DOMAIN_TYPE)
_PERMIT_TYPE_HASH: Final = keccak_text(SESSION_PERMIT_TYPE)

_API_NAMES: Final = {
    "trader": "trader",
    "relayer_set_root": "relayerSetRoot",
    "expiry": "expiry",
    "max_notional_per_trade": "maxNotionalPerTrade",
    "max_notional_per_session": "maxNotionalPerSession",
    "methods_bitmap": "methodsBitmap",
    "session_salt": "sessionSalt",
    "allowed_markets": "allowedMarkets",
    "nonce": "nonce",
}
_INT_FIELDS: Final = ("expiry", "max_notional_per_trade", "max_notional_per_session", "nonce")
_BYTES32_FIELDS: Final = ("relayer_set_root", "methods_bitmap", "session_salt")

_DECIMAL = re.compile(r"^[0-9]+$")
_SIGNATURE_HEX = re.compile(r"^(0x)?[0-9a-fA-F]{130}$")
_UINT256_LIMIT = 1 << 256


class PermitSigningError(RuntimeError):
    """Signing failed (the message never contains the key)."""


def _bytes32(value: Any, what: str) -> str:
    """Normalise bytes32 input (hex or 32 raw bytes) to lower-case `0x` + 64 hex digits."""
    if isinstance(value, bytes | bytearray) and len(value) == 32:
        return "0x" + bytes(value).hex()
    if isinstance(value, str) and BYTES32_HEX.match(value.strip()):
        return value.strip().lower()
    if isinstance(value, str):
        digits = len(value.strip().removeprefix("0x"))
        raise ValueError(f"{what} must be 0x followed by 64 hex digits (32 bytes), got {digits} characters")
    raise ValueError(f"{what} must be 0x followed by 64 hex digits (32 bytes), got {type(value).__name__}")


def _uint256(value: Any, what: str) -> int:
    """An unsigned 256-bit integer from an int or a decimal string (never a float or a bool)."""
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(
            f"{what} must be a non-negative integer or decimal string, got {type(value).__name__}"
        )
    if value < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {value}")
    if value >= _UINT256_LIMIT:
        raise ValueError(f"{what} does not fit in uint256")
    return value


class SessionPermit(BaseModel):
    """What a trader signs to open a gasless session. Hex values are kept lower-case, the trader
    checksummed, integers as ints (they become decimal strings only in the API JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    trader: str
    relayer_set_root: str
    expiry: int
    max_notional_per_trade: int
    max_notional_per_session: int
    methods_bitmap: str
    session_salt: str
    allowed_markets: tuple[str, ...]
    nonce: int

    @field_validator("trader", mode="before")
    @classmethod
    def _trader(cls, value: Any) -> str:
        return checksum(value)

    @field_validator(*_BYTES32_FIELDS, mode="before")
    @classmethod
    def _hex32(cls, value: Any, info: ValidationInfo) -> str:
        return _bytes32(value, str(info.field_name))

    @field_validator(*_INT_FIELDS, mode="before")
    @classmethod
    def _uint(cls, value: Any, info: ValidationInfo) -> int:
        return _uint256(value, str(info.field_name))

    @field_validator("allowed_markets", mode="before")
    @classmethod
    def _markets(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise ValueError("allowed_markets must be a list of bytes32 market ids")
        return tuple(_bytes32(item, f"allowed_markets[{i}]") for i, item in enumerate(value))

    @property
    def methods(self) -> MethodBit:
        """The methods the permit allows (raises if the bitmap has bits no method uses)."""
        return parse_methods_bitmap(self.methods_bitmap)

    @property
    def session_id(self) -> str:
        """The id the registry will give the session this permit creates."""
        return session_id(self.trader, self.relayer_set_root, self.session_salt)

    def to_api_json(self) -> dict[str, Any]:
        """The `permit` object of `POST /api/gasless/session/init` (integers as decimal strings)."""
        body: dict[str, Any] = {}
        for field, key in _API_NAMES.items():
            value = getattr(self, field)
            if field in _INT_FIELDS:
                value = str(value)
            elif field == "allowed_markets":
                value = list(value)
            body[key] = value
        return body

    @classmethod
    def from_api_json(cls, data: Mapping[str, Any]) -> SessionPermit:
        """The inverse of `to_api_json`; integers may be decimal strings or JSON integers."""
        if not isinstance(data, Mapping):
            raise ValueError(f"permit JSON must be an object, got {type(data).__name__}")
        missing = [key for key in _API_NAMES.values() if key not in data]
        if missing:
            raise ValueError(f"permit JSON is missing field(s): {', '.join(missing)}")
        unknown = sorted(set(data) - set(_API_NAMES.values()))
        if unknown:
            raise ValueError(f"permit JSON has unknown field(s): {', '.join(map(str, unknown))}")
        return cls.model_validate({field: data[key] for field, key in _API_NAMES.items()})

    def eip712_message(self) -> dict[str, Any]:
        """The EIP-712 `message` (camelCase, integers as ints)."""
        message = {key: getattr(self, field) for field, key in _API_NAMES.items()}
        message["allowedMarkets"] = list(self.allowed_markets)
        return message


def eip712_domain(chain_id: int, registry: str) -> dict[str, Any]:
    """The registry's EIP-712 domain."""
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
        raise ValueError(f"chain_id must be a positive integer, got {chain_id!r}")
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": checksum(registry),
    }


def typed_data(chain_id: int, registry: str, permit: SessionPermit) -> dict[str, Any]:
    """The full `eth_signTypedData_v4` structure for a permit (a fresh dict each call)."""
    return {
        "types": {
            "EIP712Domain": [{"name": n, "type": t} for n, t in DOMAIN_FIELDS],
            PRIMARY_TYPE: [{"name": n, "type": t} for n, t in PERMIT_FIELDS],
        },
        "primaryType": PRIMARY_TYPE,
        "domain": eip712_domain(chain_id, registry),
        "message": permit.eip712_message(),
    }


def _uint_word(value: int) -> bytes:
    """A uint256 as the 32-byte big-endian word of `abi.encode` (values are checked < 2**256)."""
    return value.to_bytes(32, "big")


def _address_word(address: str) -> bytes:
    """An address as `abi.encode` gives it: 12 zero bytes, then its 20 bytes."""
    return bytes(12) + bytes.fromhex(address[2:])


def _bytes32_word(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def _domain_separator(chain_id: int, registry: str) -> bytes:
    """`hashStruct(EIP712Domain)`, after `eip712_domain` has checked the inputs."""
    domain = eip712_domain(chain_id, registry)
    return _hash_domain(domain["chainId"], domain["verifyingContract"])


@functools.lru_cache(maxsize=64)
def _hash_domain(chain_id: int, registry: str) -> bytes:
    if chain_id >= _UINT256_LIMIT:
        raise ValueError("chain_id does not fit in uint256")
    return keccak256(
        _DOMAIN_TYPE_HASH
        + keccak_text(DOMAIN_NAME)
        + keccak_text(DOMAIN_VERSION)
        + _uint_word(chain_id)
        + _address_word(registry)
    )


def _struct_hash(permit: SessionPermit) -> bytes:
    """`hashStruct(SessionPermit)`: the type hash, then one 32-byte word per member in the type's
    order (the `bytes32[]` as the keccak of its concatenated elements)."""
    return keccak256(
        _PERMIT_TYPE_HASH
        + _address_word(permit.trader)
        + _bytes32_word(permit.relayer_set_root)
        + _uint_word(permit.expiry)
        + _uint_word(permit.max_notional_per_trade)
        + _uint_word(permit.max_notional_per_session)
        + _bytes32_word(permit.methods_bitmap)
        + _bytes32_word(permit.session_salt)
        + keccak256(b"".join(_bytes32_word(market) for market in permit.allowed_markets))
        + _uint_word(permit.nonce)
    )


def permit_digest(chain_id: int, registry: str, permit: SessionPermit) -> bytes:
    """The 32-byte EIP-712 hash the signature is over (`\\x19\\x01 || domainSeparator || structHash`)."""
    if not isinstance(permit, SessionPermit):
        raise TypeError(f"permit must be a SessionPermit, got {type(permit).__name__}")
    return keccak256(b"\x19\x01" + _domain_separator(chain_id, registry) + _struct_hash(permit))


def build_session_permit(
    *,
    trader: str,
    relayer_set_root: str,
    expiry: int,
    nonce: int,
    allowed_markets: Iterable[str],
    methods: Methods = ALL_METHODS,
    max_notional_per_trade: int = 0,
    max_notional_per_session: int = 0,
) -> SessionPermit:
    """A permit with a fresh random salt (so each permit opens a distinct session)."""
    return SessionPermit(
        trader=trader,
        relayer_set_root=relayer_set_root,
        expiry=expiry,
        max_notional_per_trade=max_notional_per_trade,
        max_notional_per_session=max_notional_per_session,
        methods_bitmap=methods_bitmap(methods),
        session_salt="0x" + secrets.token_bytes(32).hex(),
        allowed_markets=tuple(allowed_markets),
        nonce=nonce,
    )


def sign_session_permit(private_key: PrivateKey, chain_id: int, registry: str, permit: SessionPermit) -> str:
    """The 65-byte `r || s || v` signature (v = 27 or 28) as `0x` hex, as ethers' signTypedData gives."""
    if not isinstance(private_key, PrivateKey):
        raise TypeError("private_key must be a PrivateKey")
    digest = permit_digest(chain_id, registry, permit)
    try:
        return "0x" + sign_digest(private_key, digest).hex()
    except SigningError as exc:  # its message never carries the key
        failure = str(exc)
    raise PermitSigningError(f"signing the permit failed: {failure}")


def _signature_bytes(signature: str | bytes) -> bytes:
    if isinstance(signature, bytes | bytearray):
        raw = bytes(signature)
    elif isinstance(signature, str) and _SIGNATURE_HEX.match(signature.strip()):
        raw = bytes.fromhex(signature.strip().removeprefix("0x"))
    else:
        raise ValueError("signature must be 65 bytes (0x followed by 130 hex digits)")
    if len(raw) != 65:
        raise ValueError(f"signature must be 65 bytes, got {len(raw)}")
    v = raw[64]
    if v in (0, 1):
        raw = raw[:64] + bytes([v + 27])
    elif v not in (27, 28):
        raise ValueError(f"signature v must be 27 or 28 (or 0/1), got {v}")
    return raw


def recover_permit_signer(chain_id: int, registry: str, permit: SessionPermit, signature: str | bytes) -> str:
    """The checksummed address that signed this permit for this registry and chain."""
    raw = _signature_bytes(signature)
    digest = permit_digest(chain_id, registry, permit)
    try:
        return recover_address(digest, raw)
    except RecoveryError as exc:
        raise ValueError(f"signature does not recover to an address ({exc})") from None


def session_id(trader: str, relayer_set_root: str, session_salt: str) -> str:
    """`keccak256(abi.encode(trader, relayerSetRoot, sessionSalt))` as `0x` hex."""
    encoded = (
        _address_word(checksum(trader))
        + _bytes32_word(_bytes32(relayer_set_root, "relayer_set_root"))
        + _bytes32_word(_bytes32(session_salt, "session_salt"))
    )
    return "0x" + keccak256(encoded).hex()
