"""The Solidity ABI's head-and-tail encoding, for the calls the venue makes and the data it reads.

Types as the canonical strings of `protocol.abi` (`uint256`, `address`, `bytes32`, `bytes`,
`uint256[]`, `(address,bool,bytes)[]`, ...). Values: `int` for integers, `bool`, `bytes` for
`bytesN` and `bytes`, `str` for `string`, a list or tuple for arrays and tuples (tuples out), and
for an address a hex string or 20 bytes in, `0x` and lower-case hex out (as eth_abi gives them).

Decoding is strict, as it must be for data from a node: a word whose padding is not zero, a
`bool` other than 0 or 1, an integer wider than its type, an offset or length past the end of the
data all raise `AbiError` instead of being read as something else.

Written for the run's start-up: eth_abi does the same job but imports eth_utils, eth_typing and a
grammar parser, about a fifth of what a run imported before its first request. The tests check
this module against eth_abi byte for byte.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from ama_tui.protocol.abi import split_top_level
from ama_tui.protocol.accounts import is_hex_address

WORD: Final = 32
_ZERO_WORD: Final = bytes(WORD)
_ELEMENTARY: Final = re.compile(r"^(uint|int|bytes)([0-9]*)$|^(address|bool|string)$")
_ARRAY: Final = re.compile(r"^(.*)\[([0-9]*)\]$")


class AbiError(ValueError):
    """A value that does not fit its type, or data that does not decode as the types say."""


@dataclass(frozen=True, slots=True)
class AbiType:
    """A parsed type: `kind` is uint, int, address, bool, bytes (size 1-32, or 0 for dynamic
    `bytes`), string, array (`length` None when dynamic) or tuple. `dynamic` and `head_size` (the
    bytes it takes in its enclosing head: one word if dynamic, else all of it) are worked out once."""

    kind: str
    size: int = 0
    element: AbiType | None = None
    length: int | None = None
    components: tuple[AbiType, ...] = ()
    dynamic: bool = False
    head_size: int = WORD


def _type(
    kind: str,
    size: int = 0,
    element: AbiType | None = None,
    length: int | None = None,
    components: tuple[AbiType, ...] = (),
) -> AbiType:
    if kind == "array":
        assert element is not None
        dynamic = length is None or element.dynamic
        head = WORD if dynamic else (length or 0) * element.head_size
    elif kind == "tuple":
        dynamic = any(c.dynamic for c in components)
        head = WORD if dynamic else sum(c.head_size for c in components)
    else:
        dynamic = kind == "string" or (kind == "bytes" and size == 0)
        head = WORD
    return AbiType(kind, size, element, length, components, dynamic, head)


@functools.lru_cache(maxsize=256)
def parse_type(text: str) -> AbiType:
    """A canonical type string as an `AbiType` (spaces are not allowed, as in a signature)."""
    array = _ARRAY.match(text)
    if array is not None and not text.endswith(")"):
        element = parse_type(array.group(1))
        length = int(array.group(2)) if array.group(2) else None
        if length == 0:
            raise AbiError(f"a fixed array needs at least one element: {text!r}")
        return _type("array", element=element, length=length)
    if text.startswith("(") and text.endswith(")"):
        inner = text[1:-1]
        components = tuple(parse_type(p) for p in split_top_level(inner)) if inner else ()
        return _type("tuple", components=components)
    match = _ELEMENTARY.match(text)
    if match is None:
        raise AbiError(f"not an ABI type: {text!r}")
    if match.group(3):
        return _type(match.group(3))
    kind, digits = match.group(1), match.group(2)
    if kind == "bytes":
        size = int(digits) if digits else 0
        if digits and not 1 <= size <= WORD:
            raise AbiError(f"bytesN takes N from 1 to 32: {text!r}")
        return _type("bytes", size=size)
    bits = int(digits) if digits else 256
    if bits % 8 or not 8 <= bits <= 256:
        raise AbiError(f"integer sizes are multiples of 8 from 8 to 256: {text!r}")
    return _type(kind, size=bits)


# --- encoding ------------------------------------------------------------------------------------


def encode(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """`abi.encode(values...)` for these types."""
    if len(types) != len(values):
        raise AbiError(f"{len(types)} types but {len(values)} values")
    return _encode_sequence([parse_type(t) for t in types], values)


def _encode_sequence(types: Sequence[AbiType], values: Sequence[Any]) -> bytes:
    heads: list[bytes] = []
    tails: list[bytes] = []
    offset = sum(t.head_size for t in types)
    for abi_type, value in zip(types, values, strict=True):
        if abi_type.dynamic:
            heads.append(offset.to_bytes(WORD, "big"))
            tail = _encode(abi_type, value)
            tails.append(tail)
            offset += len(tail)
        else:
            heads.append(_encode(abi_type, value))
    return b"".join(heads) + b"".join(tails)


def _padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % WORD)


def _encode(abi_type: AbiType, value: Any) -> bytes:
    kind = abi_type.kind
    if kind in ("uint", "int"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise AbiError(f"{kind}{abi_type.size} takes an int, got {type(value).__name__}")
        bound = 1 << (abi_type.size - 1)
        low, high = (0, bound * 2) if kind == "uint" else (-bound, bound)
        if not low <= value < high:
            raise AbiError(f"{value} does not fit in {kind}{abi_type.size}")
        return value.to_bytes(WORD, "big", signed=True) if kind == "int" else value.to_bytes(WORD, "big")
    if kind == "address":
        return bytes(12) + _address_bytes(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise AbiError(f"bool takes True or False, got {type(value).__name__}")
        return int(value).to_bytes(WORD, "big")
    if kind in ("bytes", "string"):
        if kind == "string":
            if not isinstance(value, str):
                raise AbiError(f"string takes a str, got {type(value).__name__}")
            data = value.encode("utf-8")
        elif isinstance(value, bytes | bytearray):
            data = bytes(value)
        else:
            raise AbiError(f"bytes{abi_type.size or ''} takes bytes, got {type(value).__name__}")
        if abi_type.size:
            if len(data) > abi_type.size:
                raise AbiError(f"{len(data)} bytes do not fit in bytes{abi_type.size}")
            return _padded(data) if data else _ZERO_WORD
        return len(data).to_bytes(WORD, "big") + _padded(data)
    if not isinstance(value, list | tuple):
        raise AbiError(f"an array or tuple takes a list or tuple, got {type(value).__name__}")
    if kind == "tuple":
        if len(value) != len(abi_type.components):
            raise AbiError(f"a tuple of {len(abi_type.components)} got {len(value)} values")
        return _encode_sequence(abi_type.components, value)
    assert abi_type.element is not None
    if abi_type.length is not None:
        if len(value) != abi_type.length:
            raise AbiError(f"an array of {abi_type.length} got {len(value)} values")
        return _encode_sequence([abi_type.element] * len(value), value)
    return len(value).to_bytes(WORD, "big") + _encode_sequence([abi_type.element] * len(value), value)


def _address_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray) and len(value) == 20:
        return bytes(value)
    if isinstance(value, str) and is_hex_address(value):  # any case, as eth_abi takes it
        return bytes.fromhex(value[-40:])
    raise AbiError(f"not an address: {str(value)[:50]!r}")


# --- decoding ------------------------------------------------------------------------------------


def decode(types: Sequence[str], data: bytes) -> tuple[Any, ...]:
    """The values `abi.encode` of these types wrote into `data` (trailing bytes are ignored)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise AbiError(f"decode takes bytes, got {type(data).__name__}")
    return _decode_sequence([parse_type(t) for t in types], bytes(data), 0)


def _word(data: bytes, at: int) -> int:
    if at < 0 or at + WORD > len(data):
        raise AbiError(f"the data ends at byte {len(data)}, a word was expected at {at}")
    return int.from_bytes(data[at : at + WORD], "big")


def _decode_sequence(types: Sequence[AbiType], data: bytes, start: int) -> tuple[Any, ...]:
    """Values whose heads start at `start`; a dynamic one's offset counts from `start`."""
    values: list[Any] = []
    at = start
    for abi_type in types:
        if abi_type.dynamic:
            offset = _word(data, at)
            if start + offset >= len(data):
                raise AbiError(f"an offset ({offset}) points past the data's {len(data)} bytes")
            values.append(_decode(abi_type, data, start + offset))
        else:
            values.append(_decode(abi_type, data, at))
        at += abi_type.head_size
    return tuple(values)


def _decode(abi_type: AbiType, data: bytes, at: int) -> Any:
    kind = abi_type.kind
    if kind == "uint":
        value = _word(data, at)
        if value >> abi_type.size:
            raise AbiError(f"a uint{abi_type.size} word has high bits set")
        return value
    if kind == "int":
        raw = _word(data, at)
        value = raw - (1 << (WORD * 8)) if raw >> (WORD * 8 - 1) else raw
        bound = 1 << (abi_type.size - 1)
        if not -bound <= value < bound:
            raise AbiError(f"an int{abi_type.size} word is not sign-extended")
        return value
    if kind == "address":
        value = _word(data, at)
        if value >> 160:
            raise AbiError("an address word has non-zero padding")
        return "0x" + value.to_bytes(20, "big").hex()
    if kind == "bool":
        value = _word(data, at)
        if value > 1:
            raise AbiError(f"a bool word holds {value}")
        return value == 1
    if kind == "bytes" and abi_type.size:
        _word(data, at)
        if any(data[at + abi_type.size : at + WORD]):
            raise AbiError(f"a bytes{abi_type.size} word has non-zero padding")
        return data[at : at + abi_type.size]
    if kind in ("bytes", "string"):
        length = _word(data, at)
        end = at + WORD + length
        padded_end = end + (-length % WORD)
        if padded_end > len(data):
            raise AbiError(f"a {kind} of {length} bytes runs past the data's {len(data)} bytes")
        if any(data[end:padded_end]):
            raise AbiError(f"a {kind}'s padding is not zero")
        content = data[at + WORD : end]
        if kind == "bytes":
            return content
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            raise AbiError("a string is not UTF-8") from None
    if kind == "tuple":
        return _decode_sequence(abi_type.components, data, at)
    assert abi_type.element is not None
    if abi_type.length is not None:
        return _decode_sequence([abi_type.element] * abi_type.length, data, at)
    count = _word(data, at)
    if count * abi_type.element.head_size > len(data) - at - WORD:
        raise AbiError(f"an array of {count} elements runs past the data's {len(data)} bytes")
    return _decode_sequence([abi_type.element] * count, data, at + WORD)
