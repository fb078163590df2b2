"""The compiled devnet contracts, read from the committed JSON artifacts (no compiler needed).

`compile.mjs` writes one `<Name>.json` per deployable contract; `sources_hash()` recomputes the
hash it stamps into each artifact, so a test can tell when the committed build is stale.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

DEVNET_DIR: Final = Path(__file__).resolve().parent
CONTRACTS_DIR: Final = DEVNET_DIR / "contracts"
ARTIFACTS_DIR: Final = DEVNET_DIR / "artifacts"
COMPILE_SCRIPT: Final = DEVNET_DIR / "compile.mjs"

CONTRACT_NAMES: Final = ("SessionRegistry", "CoreVault", "OrderBook", "Multicall3")


class ArtifactError(RuntimeError):
    """An artifact is missing or malformed (rebuild with `node ama_tui/devnet/compile.mjs`)."""


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    source_hash: str
    solc_version: str


def source_files(contracts_dir: Path = CONTRACTS_DIR) -> list[Path]:
    """The Solidity sources in the order compile.mjs hashes them (file names by code point)."""
    return sorted(contracts_dir.glob("*.sol"), key=lambda path: path.name)


def sources_hash(contracts_dir: Path = CONTRACTS_DIR) -> str:
    """sha256 (hex) of the sources' bytes concatenated in `source_files` order."""
    digest = hashlib.sha256()
    for path in source_files(contracts_dir):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def read_artifact(path: Path) -> Artifact:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Artifact(
            name=str(data["contractName"]),
            abi=list(data["abi"]),
            bytecode=str(data["bytecode"]),
            deployed_bytecode=str(data["deployedBytecode"]),
            source_hash=str(data["sourceHash"]),
            solc_version=str(data["solcVersion"]),
        )
    except FileNotFoundError:
        raise ArtifactError(f"missing artifact {path} (run: node ama_tui/devnet/compile.mjs)") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"malformed artifact {path}: {exc}") from None


@cache
def load_artifact(name: str) -> Artifact:
    """One committed artifact by contract name (cached)."""
    if name not in CONTRACT_NAMES:
        raise ArtifactError(f"unknown devnet contract {name!r}; expected one of {CONTRACT_NAMES}")
    artifact = read_artifact(ARTIFACTS_DIR / f"{name}.json")
    if not artifact.bytecode.startswith("0x") or len(artifact.bytecode) <= 2:
        raise ArtifactError(f"artifact {name} has no bytecode")
    return artifact
