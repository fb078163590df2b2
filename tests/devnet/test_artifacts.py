"""The committed artifacts are the build of the committed sources, and speak the protocol's ABI in
the shape current deployments have (reference section 7): the 10-field `Order`, a
`sessionModifyOrder` that returns the new id, and no non-margin session placements."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ama_tui.devnet.artifacts import (
    ARTIFACTS_DIR,
    COMPILE_SCRIPT,
    CONTRACT_NAMES,
    load_artifact,
    sources_hash,
)
from ama_tui.protocol.abi import (
    CORE_VAULT_ABI,
    MULTICALL3_ABI,
    ORDER_BOOK_ABI_V10,
    ORDER_FIELDS_V10,
    SESSION_REGISTRY_ABI,
    canonical_signature,
)

pytestmark = pytest.mark.devnet

PROTOCOL_ABIS = {
    "OrderBook": ORDER_BOOK_ABI_V10,
    "CoreVault": CORE_VAULT_ABI,
    "SessionRegistry": SESSION_REGISTRY_ABI,
    "Multicall3": MULTICALL3_ABI,
}


LEGACY_ONLY = {
    "sessionPlaceLimit(bytes32,address,uint256,uint256,bool,bytes32[])",
    "sessionPlaceMarket(bytes32,address,uint256,bool,bytes32[])",
}
"""In the protocol's ABI for older deployments; current deployments (and the devnet) lack them."""

CURRENT_OUTPUTS = {
    "sessionModifyOrder(bytes32,address,uint256,uint256,uint256,bytes32[])": ["uint256"],
}
"""Where current deployments return more than the protocol's ABI declares (a client ignores it)."""


def _types(params: list[dict[str, Any]]) -> list[str]:
    return [canonical_signature({"name": "", "inputs": [p]})[1:-1] for p in params]


def _by_signature(abi: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {canonical_signature(entry): entry for entry in abi if entry["type"] == kind}


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_artifact_was_built_from_the_committed_sources(name: str) -> None:
    artifact = load_artifact(name)
    assert artifact.source_hash == sources_hash(), (
        f"{name}.json is stale: run `node ama_tui/devnet/compile.mjs` and commit the artifacts"
    )
    assert artifact.solc_version.startswith("0.8.")
    assert len(artifact.deployed_bytecode) > 2


@pytest.mark.parametrize("name", sorted(PROTOCOL_ABIS))
def test_compiled_abi_has_every_protocol_function_and_event(name: str) -> None:
    compiled = load_artifact(name).abi
    for kind in ("function", "event"):
        ours = _by_signature(compiled, kind)
        for signature, expected in _by_signature(PROTOCOL_ABIS[name], kind).items():
            if signature in LEGACY_ONLY:
                continue
            assert signature in ours, f"{name} lacks {kind} {signature}"
            entry = ours[signature]
            if kind == "function":
                outputs = CURRENT_OUTPUTS.get(signature, _types(expected["outputs"]))
                assert _types(entry["outputs"]) == outputs, signature
                is_view = entry["stateMutability"] == "view"
                assert is_view == (expected["stateMutability"] == "view"), signature
            else:
                indexed = [p["indexed"] for p in entry["inputs"]]
                assert indexed == [p["indexed"] for p in expected["inputs"]], signature


def test_the_order_book_has_no_non_margin_session_placements_but_a_fallback() -> None:
    compiled = load_artifact("OrderBook").abi
    assert LEGACY_ONLY.isdisjoint(_by_signature(compiled, "function"))
    assert [entry["stateMutability"] for entry in compiled if entry["type"] == "fallback"] == ["nonpayable"]
    assert "FunctionDoesNotExist()" in _by_signature(compiled, "error")


def test_get_order_returns_the_ten_field_order_tuple() -> None:
    get_order = next(e for e in load_artifact("OrderBook").abi if e.get("name") == "getOrder")
    (order,) = get_order["outputs"]
    assert tuple(component["name"] for component in order["components"]) == ORDER_FIELDS_V10


def test_get_available_collateral_is_declared_non_view_like_production() -> None:
    entry = next(e for e in load_artifact("CoreVault").abi if e.get("name") == "getAvailableCollateral")
    assert entry["stateMutability"] == "nonpayable"


def test_recompiling_reproduces_the_committed_artifacts_byte_for_byte(
    node_modules: Path, tmp_path: Path
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run(
        [node, str(COMPILE_SCRIPT), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in CONTRACT_NAMES:
        rebuilt = (tmp_path / f"{name}.json").read_bytes()
        committed = (ARTIFACTS_DIR / f"{name}.json").read_bytes()
        assert rebuilt == committed, f"{name}.json differs from a fresh build"
