"""Numbers written as JavaScript writes them (`Number::toString`, used by `JSON.stringify`), so a
journal line or state file the original tool wrote is re-saved byte for byte.

Checked against a reference written here from the ECMAScript specification (independent of the
code under test: it finds the shortest digits by trying every precision), and against Node.js
itself when it is installed.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import struct
import subprocess
from decimal import ROUND_FLOOR, Decimal, localcontext

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ama_tui.core.units import js_number_text, to_json_number
from ama_tui.store.js_json import js_dumps

NODE_TIMEOUT_S = 30


def reference_to_string(value: float) -> str:
    """ECMAScript Number::toString(x) (radix 10), step by step from the specification."""
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "0"  # +0 and -0
    if value < 0:
        return "-" + reference_to_string(-value)
    if math.isinf(value):
        return "Infinity"
    # k as small as possible such that some k-digit s, with s * 10**(n-k), reads back as the
    # value; among those s the one closest to the value (a tie: the even one). Found with exact
    # decimal arithmetic: the candidates at k digits are the value truncated and rounded up.
    exact = Decimal(value)
    with localcontext() as ctx:
        ctx.prec = 1200
        for k in range(1, 18):
            n = exact.adjusted() + 1
            scaled = exact.scaleb(k - n)
            floor = int(scaled.to_integral_value(rounding=ROUND_FLOOR))
            candidates = [
                (abs(Decimal(c).scaleb(n - k) - exact), c % 2, c)
                for c in {floor, floor + 1}
                if float(f"{c}e{n - k}") == value
            ]
            if candidates:
                break
        else:  # pragma: no cover - 17 digits always read back
            raise AssertionError(value)
    _, _, c = min(candidates)
    s, n = str(c), n + len(str(c)) - k  # c == 10**k carries into one more digit before the point
    s = s.rstrip("0")
    k = len(s)
    if k <= n <= 21:
        return s + "0" * (n - k)
    if 0 < n <= 21:
        return s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + s
    sign = "+" if n - 1 >= 0 else "-"
    if k == 1:
        return f"{s}e{sign}{abs(n - 1)}"
    return f"{s[0]}.{s[1:]}e{sign}{abs(n - 1)}"


BOUNDARIES = [
    0.000013947236317444,  # the issue's number, written by the original tool
    1e-6,
    9.999999999999999e-7,
    1e-7,
    1.5e-7,
    1e21,
    9.999999999999999e20,
    1.5e21,
    1e20,
    123456789012345680000.0,
    4.5200000000000005,
    0.1 + 0.2,
    -0.0,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    2.0**53,
    2.0**53 + 2,
    100.0,
    0.5,
    -2.5e-8,
]


@pytest.mark.parametrize("value", BOUNDARIES)
def test_boundaries_match_the_specification(value: float) -> None:
    assert js_number_text(value) == reference_to_string(value)


def test_the_issue_example_and_js_forms() -> None:
    assert js_number_text(1.3947236317444e-05) == "0.000013947236317444"
    assert js_number_text(1e-7) == "1e-7"
    assert js_number_text(1.5e21) == "1.5e+21"
    assert js_number_text(1e21) == "1e+21"
    assert js_number_text(1e-6) == "0.000001"
    assert js_number_text(100.0) == "100"
    assert js_number_text(-0.0) == "0"
    assert js_number_text(7) == "7"
    assert js_number_text(float("nan")) == "NaN"
    assert js_number_text(float("-inf")) == "-Infinity"
    with pytest.raises(TypeError):
        js_number_text(True)


@given(st.floats(allow_nan=False, allow_infinity=False))
@example(1e-7)
@example(1e21)
@example(2.0**-24)  # shortest digits round up: the tie-to-even 16 digits do not read back
def test_any_double_matches_the_specification_and_reads_back(value: float) -> None:
    text = js_number_text(value)
    assert text == reference_to_string(value)
    assert float(text) == value
    assert float(json.loads(text)) == value


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: Decimal("1e-300") < abs(d) < Decimal("1e300") or d == 0
    )
)
def test_json_numbers_of_decimals_are_written_as_javascript_would(value: Decimal) -> None:
    number = to_json_number(value)
    if isinstance(number, int):
        assert number == value and js_dumps(number) == str(number)  # integers stay exact
    else:
        assert number == float(value)
        assert js_dumps(number) == reference_to_string(number)


def test_decimals_of_the_state_files_are_written_as_javascript_would() -> None:
    assert to_json_number(Decimal("5")) == 5 and isinstance(to_json_number(Decimal("5")), int)
    assert js_dumps(to_json_number(Decimal("100.000"))) == "100"
    assert js_dumps(to_json_number(Decimal("0.000013947236317444"))) == "0.000013947236317444"
    assert js_dumps(to_json_number(Decimal("5E-7"))) == "5e-7"
    assert js_dumps(to_json_number(Decimal("4.5200000000000005"))) == "4.5200000000000005"


def _random_doubles(count: int, seed: int) -> list[float]:
    """Doubles of every kind: random bit patterns, short decimals at every scale, neighbours of
    the notation boundaries."""
    rng = random.Random(seed)
    values: list[float] = []
    while len(values) < count:
        kind = rng.randrange(3)
        if kind == 0:
            value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        elif kind == 1:
            digits = rng.randrange(1, 10 ** rng.randrange(1, 18))
            value = float(f"{digits}e{rng.randrange(-30, 30)}")
        else:
            base = rng.choice([1e-6, 1e-7, 1e21, 1e-5, 1e20])
            value = math.nextafter(base, math.inf if rng.random() < 0.5 else 0.0)
            for _ in range(rng.randrange(4)):
                value = math.nextafter(value, math.inf)
        if math.isfinite(value):
            values.append(-value if rng.random() < 0.3 else value)
    return values


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    return node


def _node_stringify(values: list[float]) -> list[str]:
    """`JSON.stringify` of each double, computed by Node (the doubles passed as exact bits)."""
    script = (
        "const lines = require('fs').readFileSync(0, 'utf8').trim().split('\\n');"
        "const view = new DataView(new ArrayBuffer(8));"
        "const out = lines.map((hex) => { view.setBigUint64(0, BigInt('0x' + hex));"
        " return JSON.stringify(view.getFloat64(0)); });"
        "process.stdout.write(out.join('\\n'));"
    )
    bits = "\n".join(struct.pack(">d", value).hex() for value in values)
    done = subprocess.run(
        [_node(), "-e", script],
        input=bits,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        check=True,
    )
    return done.stdout.split("\n")


def test_matches_node_on_many_doubles() -> None:
    values = _random_doubles(20_000, seed=12) + BOUNDARIES
    expected = _node_stringify(values)
    mismatches = [
        (value, mine, theirs)
        for value, theirs in zip(values, expected, strict=True)
        if (mine := js_dumps(value)) != theirs
    ]
    assert mismatches == []


def test_documents_match_node_json_stringify() -> None:
    document = {
        "a": [0.000013947236317444, 1e-7, 1.5e21, 4.5200000000000005, -0.0, 12, None, True, False],
        "nested": {"empty": {}, "list": [], "text": 'quote " back \\ tab \t nl \n bell \x07 é ✓ \u2028'},
        "lone": "\ud800x",
        "nan": float("nan"),
        "inf": float("inf"),
    }
    script = (
        "const d = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "d.a[4] = -0; d.lone = '\\ud800x'; d.nan = NaN; d.inf = Infinity;"
        "process.stdout.write(JSON.stringify(d) + '\\u0000' + JSON.stringify(d, null, 2));"
    )
    payload = json.dumps({**document, "lone": "", "nan": 0, "inf": 0})
    done = subprocess.run(
        [_node(), "-e", script],
        input=payload.encode(),
        capture_output=True,
        timeout=NODE_TIMEOUT_S,
        check=True,
    )
    compact, indented = done.stdout.decode("utf-8").split("\u0000")
    assert js_dumps(document) == compact
    assert js_dumps(document, indent=2) == indented
