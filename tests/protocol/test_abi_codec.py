"""The run's own ABI codec against eth_abi (the reference, still a dependency of the devnet):
the same bytes out for every value, the same values back, and strict refusal of bad data."""

from __future__ import annotations

from typing import Any

import eth_abi
import eth_utils
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ama_tui.protocol.abi_codec import AbiError, decode, encode, parse_type
from ama_tui.venues.dexetra import codec

ADDRESS = "0x" + "ab" * 20

# every type the venue encodes or decodes, from the codec's own function table
VENUE_FUNCTIONS = [value for value in vars(codec).values() if isinstance(value, codec.AbiFunction)]


def _value_of(type_text: str) -> st.SearchStrategy[Any]:
    """Values of a canonical type, built from the parsed type."""
    return _strategy(parse_type(type_text))


def _strategy(abi_type: Any) -> st.SearchStrategy[Any]:
    kind = abi_type.kind
    if kind == "uint":
        return st.integers(0, (1 << abi_type.size) - 1)
    if kind == "int":
        bound = 1 << (abi_type.size - 1)
        return st.integers(-bound, bound - 1)
    if kind == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if kind == "bool":
        return st.booleans()
    if kind == "bytes":
        return (
            st.binary(min_size=abi_type.size, max_size=abi_type.size)
            if abi_type.size
            else st.binary(max_size=80)
        )
    if kind == "string":
        return st.text(max_size=40)
    if kind == "tuple":
        return st.tuples(*(_strategy(c) for c in abi_type.components))
    element = _strategy(abi_type.element)
    if abi_type.length is not None:
        return st.lists(element, min_size=abi_type.length, max_size=abi_type.length).map(tuple)
    return st.lists(element, max_size=4).map(tuple)


@st.composite
def _call(draw: st.DrawFn, types: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    return types, tuple(draw(_value_of(t)) for t in types)


def test_the_venue_uses_these_types() -> None:
    types = {t for f in VENUE_FUNCTIONS for t in (*f.inputs, *f.outputs)}
    assert {"address", "uint256[]", "(address,bool,bytes)[]", "(bool,bytes)[]", "int256", "bytes32"} <= types


@pytest.mark.parametrize("function", VENUE_FUNCTIONS, ids=lambda f: f.name)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_venue_call_and_answer_matches_eth_abi(
    function: codec.AbiFunction, data: st.DataObject
) -> None:
    for types in (function.inputs, function.outputs):
        values = data.draw(_call(types))[1]
        ours = encode(types, values)
        assert ours == eth_abi.encode(list(types), list(values))
        assert decode(types, ours) == eth_abi.decode(list(types), ours) == _normalised(types, values)


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    types=st.lists(
        st.sampled_from(
            [
                "uint8",
                "int16",
                "int256",
                "bytes1",
                "bytes20",
                "bytes",
                "string",
                "bool",
                "address",
                "uint64[2]",
                "(string,uint256)[]",
                "(bytes,(bool,int8)[])",
                "bytes[2]",
                "((uint256,bool)[1],string)",
            ]
        ),
        min_size=1,
        max_size=4,
    ).map(tuple),
)
def test_nested_and_dynamic_types_match_eth_abi(data: st.DataObject, types: tuple[str, ...]) -> None:
    _, values = data.draw(_call(types))
    ours = encode(types, values)
    assert ours == eth_abi.encode(list(types), list(values))
    assert decode(types, ours) == eth_abi.decode(list(types), ours)


def _normalised(types: tuple[str, ...], values: tuple[Any, ...]) -> tuple[Any, ...]:
    """What decoding gives back for `values`: lists as tuples, addresses lower-case."""
    return tuple(_back(parse_type(t), v) for t, v in zip(types, values, strict=True))


def _back(abi_type: Any, value: Any) -> Any:
    if abi_type.kind == "address":
        return value.lower()
    if abi_type.kind == "tuple":
        return tuple(_back(c, v) for c, v in zip(abi_type.components, value, strict=True))
    if abi_type.kind == "array":
        return tuple(_back(abi_type.element, v) for v in value)
    return value


def test_short_values_of_bytes_n_are_right_padded_like_eth_abi() -> None:
    assert encode(["bytes32"], [b"\x01\x02"]) == eth_abi.encode(["bytes32"], [b"\x01\x02"])
    assert encode(["address"], [bytes.fromhex("ab" * 20)]) == encode(
        ["address"], [ADDRESS.upper().replace("0X", "0x")]
    )


@pytest.mark.parametrize(
    ("types", "value", "why"),
    [
        (["uint8"], 256, "does not fit"),
        (["uint256"], -1, "does not fit"),
        (["int8"], 128, "does not fit"),
        (["uint256"], True, "takes an int"),
        (["bool"], 1, "True or False"),
        (["address"], "0x1234", "not an address"),
        (["bytes2"], b"abc", "do not fit"),
        (["bytes"], "text", "takes bytes"),
        (["uint256[2]"], [1], "array of 2"),
        (["(uint256,bool)"], [1], "tuple of 2"),
    ],
)
def test_a_value_that_does_not_fit_its_type_is_refused(types: list[str], value: Any, why: str) -> None:
    with pytest.raises(AbiError, match=why):
        encode(types, [value])


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


@pytest.mark.parametrize(
    ("types", "data", "why"),
    [
        (["uint256"], b"\x00" * 31, "ends at byte 31"),
        (["uint8"], _word(256), "high bits"),
        (["int8"], _word(200), "sign-extended"),
        (["bool"], _word(2), "bool word holds 2"),
        (["address"], _word(1 << 160), "padding"),
        (["bytes2"], b"ab" + b"\x01" + bytes(29), "padding"),
        (["bytes"], _word(32) + _word(5), "runs past"),
        (["bytes"], _word(32) + _word(1) + b"a" + b"\x01" + bytes(30), "padding is not zero"),
        (["bytes"], _word(4096), "points past"),
        (["uint256[]"], _word(32) + _word(10**9) + _word(1), "array of 1000000000 elements"),
        (["string"], _word(32) + _word(2) + b"\xff\xfe" + bytes(30), "not UTF-8"),
    ],
)
def test_bad_data_is_refused_as_eth_abi_refuses_it(types: list[str], data: bytes, why: str) -> None:
    with pytest.raises(AbiError, match=why):
        decode(types, data)
    with pytest.raises(Exception):  # noqa: B017 - eth_abi has a type per case
        eth_abi.decode(types, data)


def test_the_venue_turns_bad_answers_into_malformed_chain_data() -> None:
    with pytest.raises(codec.MalformedChainData, match="getBestPrices returned 40 bytes"):
        codec.GET_BEST_PRICES.decode(bytes(40))
    with pytest.raises(codec.MalformedChainData, match="not hex"):
        codec.topic_address("0x" + "zz" * 32)


@pytest.mark.parametrize(
    "text", ["uint7", "uint264", "bytes33", "bytes0", "fixed128x18", "uint256[0]", "mapping"]
)
def test_a_type_that_is_not_an_abi_type_is_refused(text: str) -> None:
    with pytest.raises(AbiError):
        parse_type(text)


def test_the_run_path_decodes_an_order_as_before() -> None:
    fields = (7, ADDRESS, 3_000_000_000, 10**18, True, 123, 0, 5_000_000, True, 6)
    raw = codec.decode_order(eth_abi.encode([codec.GET_ORDER_V10.outputs[0]], [fields]))
    assert raw.trader == eth_utils.to_checksum_address(ADDRESS)
    assert (raw.order_id, raw.price6, raw.amount18, raw.is_buy, raw.prev_order_id) == (
        7,
        3_000_000_000,
        10**18,
        True,
        6,
    )
