"""Where a strategy cannot be confined it is refused, unless the caller allows it explicitly."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ama_tui.sandbox import SandboxedStrategy, SandboxUnavailable
from tests.sandbox.helpers import write_strategy

IDLE = """
from ama_tui.kit import Trading

class Idle(Trading):
    def analyze(self, data):
        self.log("ran")
"""
ROOT = Path(__file__).parents[2]


def _run_without_user_namespaces(tmp_path: Path, allow: bool) -> dict[str, object]:
    """Run a sandbox inside a user namespace that may create no further user namespace."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs util-linux's unshare")
    path = write_strategy(tmp_path, IDLE, "idle.py")
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(ROOT)!r})
        from ama_tui.sandbox import SandboxedStrategy, SandboxUnavailable
        from tests.sandbox.helpers import FakeMarket, tick
        try:
            with SandboxedStrategy(allow_unsandboxed={allow}) as sandbox:
                sandbox.start("ETH-USD", {{}}, {str(path)!r})
                events = sandbox.on_tick(tick(0), FakeMarket().answer)
                print(json.dumps({{"confined": sandbox.confined, "logs": [e.message for e in events]}}))
        except SandboxUnavailable as exc:
            print(json.dumps({{"refused": str(exc)}}))
        """
    )
    limit = "echo 0 > /proc/sys/user/max_user_namespaces"
    command = [
        unshare,
        "--user",
        "--map-root-user",
        "sh",
        "-c",
        f'{limit} && exec "$0" -c "$1"',
        sys.executable,
    ]
    completed = subprocess.run([*command, script], capture_output=True, text=True, timeout=60, check=False)
    if completed.returncode != 0 and "max_user_namespaces" in completed.stderr:
        pytest.skip(f"cannot limit user namespaces here: {completed.stderr.strip()}")
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_without_namespaces_an_untrusted_strategy_is_refused(tmp_path: Path) -> None:
    result = _run_without_user_namespaces(tmp_path, allow=False)
    assert result == {
        "refused": "idle.py stopped: cannot confine the strategy: unshare failed: No space left on device; "
        "refusing to run untrusted code without isolation (pass allow_unsandboxed=True to run it anyway)"
    }


def test_allow_unsandboxed_runs_it_and_says_it_is_not_confined(tmp_path: Path) -> None:
    assert _run_without_user_namespaces(tmp_path, allow=True) == {"confined": False, "logs": ["ran"]}


def test_off_linux_it_is_refused_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_strategy(tmp_path, IDLE, "idle.py")
    monkeypatch.setattr(sys, "platform", "darwin")
    sandbox = SandboxedStrategy()
    with pytest.raises(SandboxUnavailable) as refused:
        sandbox.start("ETH-USD", {}, path)
    assert "confined only on Linux (this is darwin); pass allow_unsandboxed=True" in str(refused.value)
    assert sandbox.pid is None
