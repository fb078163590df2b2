from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.sandbox.helpers import FAKE_KEY

collect_ignore_glob = [] if sys.platform.startswith("linux") else ["test_*.py"]
"""The sandbox confines strategies on Linux only (elsewhere it refuses them; see test_unsandboxed)."""


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """A wallets CSV and a state folder beside the scratch folder, and a key in our environment."""
    wallets = tmp_path / "wallets.csv"
    wallets.write_text(f"index,address,private_key\n0,0x{'1' * 40},{FAKE_KEY}\n")
    state = tmp_path / "state"
    state.mkdir()
    (state / "key.json").write_text(json.dumps({"privateKey": FAKE_KEY}))
    monkeypatch.setenv("AMA_TUI_PRIVATE_KEY", FAKE_KEY)
    return {"wallets": str(wallets), "state": str(state), "parent_pid": os.getpid()}
