"""Our permit signatures and digests are byte-identical to ethers v6's `signTypedData`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ama_tui.core.keys import PrivateKey
from ama_tui.protocol.accounts import address_of
from ama_tui.protocol.methods import MethodBit, methods_bitmap
from ama_tui.protocol.permits import SessionPermit, permit_digest, sign_session_permit, typed_data

SCRIPT = Path(__file__).with_name("ethers_sign.mjs")

# Anvil's well-known, public development keys.
ANVIL_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
)
REGISTRIES = ("0x5FbDB2315678afecb367f032d93F642f64180aa3", "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512")
UINT256_MAX = (1 << 256) - 1


def _market(n: int) -> str:
    return "0x" + f"{n:02x}" * 32


def _cases() -> list[tuple[PrivateKey, int, str, SessionPermit]]:
    shapes: list[dict[str, Any]] = [
        {
            "allowed_markets": (),
            "caps": (0, 0),
            "expiry": 1_700_000_000,
            "nonce": 0,
            "methods": MethodBit(0x3F),
        },
        {
            "allowed_markets": (_market(1),),
            "caps": (1_000_000_000, 0),
            "expiry": 2_000_000_000,
            "nonce": 1,
            "methods": MethodBit.PLACE_MARGIN_LIMIT | MethodBit.CANCEL_ORDER,
        },
        {
            "allowed_markets": (_market(2), _market(3), _market(0xAB)),
            "caps": (5_000_000, 250_000_000_000),
            "expiry": 1_771_016_731,
            "nonce": 42,
            "methods": MethodBit.MODIFY_ORDER,
        },
        {
            "allowed_markets": (_market(0xFF),) * 3,
            "caps": (UINT256_MAX, UINT256_MAX),
            "expiry": UINT256_MAX,
            "nonce": UINT256_MAX,
            "methods": MethodBit(0),
        },
    ]
    cases = []
    for index, shape in enumerate(shapes):
        key = PrivateKey(ANVIL_KEYS[index % len(ANVIL_KEYS)])
        permit = SessionPermit(
            trader=address_of(key),
            relayer_set_root=_market(0x10 + index),
            expiry=shape["expiry"],
            max_notional_per_trade=shape["caps"][0],
            max_notional_per_session=shape["caps"][1],
            methods_bitmap=methods_bitmap(shape["methods"]),
            session_salt="0x" + bytes(range(index, index + 32)).hex(),
            allowed_markets=shape["allowed_markets"],
            nonce=shape["nonce"],
        )
        chain_id = (31337, 999)[index % 2]
        cases.append((key, chain_id, REGISTRIES[index % 2], permit))
    return cases


def _ethers_payload(key: PrivateKey, chain_id: int, registry: str, permit: SessionPermit) -> dict[str, Any]:
    data = typed_data(chain_id, registry, permit)
    types = {name: fields for name, fields in data["types"].items() if name != "EIP712Domain"}
    # JSON numbers lose precision past 2**53: hand ethers the uint256 values as decimal strings.
    message = {k: str(v) if isinstance(v, int) else v for k, v in data["message"].items()}
    return {"privateKey": key.reveal(), "domain": data["domain"], "types": types, "message": message}


def test_signatures_and_digests_match_ethers(node_modules: Path, project_root: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "node is required for the ethers reference signatures"
    cases = _cases()
    completed = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps([_ethers_payload(*case) for case in cases]),
        capture_output=True,
        text=True,
        cwd=project_root,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    expected = json.loads(completed.stdout)
    assert len(expected) == len(cases)
    for (key, chain_id, registry, permit), reference in zip(cases, expected, strict=True):
        assert "0x" + permit_digest(chain_id, registry, permit).hex() == reference["digest"]
        assert sign_session_permit(key, chain_id, registry, permit) == reference["signature"]
