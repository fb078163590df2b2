"""Shared fixtures. The test setup installs the project's Node tools (anvil, solc-js, ethers)
from `package-lock.json` when they are missing, so `uv run pytest` works on a fresh clone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TS_STATE_FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "ts-state"
"""A real state folder written by the original TypeScript tool (a copy kept in the repository: a
fresh clone has nothing beside it)."""


def ensure_node_modules() -> Path:
    """Install the locked Node tools once if node_modules is missing or stale; returns its path."""
    node_modules = PROJECT_ROOT / "node_modules"
    marker = node_modules / ".package-lock.json"
    lock = PROJECT_ROOT / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return node_modules
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is required for the devnet and ethers tests (install Node.js 20+)")
    # `install --no-save` rather than `ci`: see .ci/run (the lock holds only this platform's anvil).
    subprocess.run(
        [npm, "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=PROJECT_ROOT,
        check=True,
        timeout=600,
    )
    return node_modules


@pytest.fixture(autouse=True)
def private_lock_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Machine-wide market locks go to a folder of this test's own, never the user's real one;
    subprocesses a test starts inherit it through the environment."""
    folder = tmp_path_factory.mktemp("locks")
    monkeypatch.setenv("AMA_TUI_LOCK_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def private_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's cache (remembered markets) goes to a folder of this test's own, so no test
    reads what another remembered; subprocesses inherit it through the environment."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("AMA_TUI_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def no_report_cache_keeper(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs in tests do not start the report cache's refresh beside them (its own tests turn it
    on): a child process parsing journals would only add load to timing-sensitive runs."""
    monkeypatch.setenv("AMA_TUI_REPORT_CACHE", "off")


@pytest.fixture(scope="session")
def node_modules() -> Path:
    return ensure_node_modules()


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture()
def ts_state_copy(tmp_path: Path) -> Path:
    """A writable copy of the original tool's state folder (the fixture itself is read-only)."""
    target = tmp_path / "state"
    shutil.copytree(TS_STATE_FIXTURE, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)
    return target
