"""Running the real `ama-tui` command in a subprocess for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def cli_env() -> dict[str, str]:
    """The environment for a child `ama-tui`: no live exchange configured, unbuffered output."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("RPC_URL", "SESSION_REGISTRY", "CHAIN_ID"))
    }
    env.pop("NEXT_PUBLIC_CHAIN_ID", None)
    env["PYTHONUNBUFFERED"] = "1"
    # Let children cache bytecode: with it off every `ama-tui` start recompiles web3 & co (seconds).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def ama(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ama_tui", *args],
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ama_popen(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ama_tui", *args],
        cwd=cwd,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
