"""The jail as an ordinary (non-root) user gets it: unshare first, then mount and pivot.

The test process is root, so a script becomes `nobody` before confining itself (its interpreter
is already loaded: an ordinary user's process could not reach this one under /root)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

SCRIPT = """
import ctypes, errno, json, os, sys
sys.path.insert(0, {root!r})
from ama_tui.kit import jail

os.chdir({scratch!r})
os.setgroups([])
os.setresgid(65534, 65534, 65534)
os.setresuid(65534, 65534, 65534)
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(4, 1, 0, 0, 0)  # dumpable, as a process that never was root
jail.confine()
jail.split(lambda pid: None, 60)
jail.apply_limits(jail.ProcessLimits(memory_bytes=1 << 30, cpu_seconds=60, open_files=16, file_bytes=1 << 20))

def attempt(action):
    try:
        return action()
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0)

def connect():
    fd = libc.socket(2, 1, 0)
    address = bytes([2, 0, 0, 22, 127, 0, 0, 1]) + bytes(8)
    return "connected" if libc.connect(fd, address, 16) == 0 else errno.errorcode[ctypes.get_errno()]

def write():
    with open("/written.txt", "w") as file:
        file.write("inside")
    return "written"

result = {{
    "root": attempt(lambda: sorted(os.listdir("/"))),
    "pid": os.getpid(),
    "read": attempt(lambda: open({secret!r}).read()),
    "write": attempt(write),
    "fork": attempt(lambda: "forked" if os.fork() else os._exit(0)),
    "connect": connect(),
    "chroot": attempt(lambda: os.chroot("/")),
}}
os.write(2, json.dumps(result).encode())
"""


@pytest.fixture
def nobody_scratch() -> Iterator[Path]:
    """A scratch folder on a path `nobody` can walk (pytest's own tmp folders are root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="ama-jail-"))
    os.chown(folder, 65534, 65534)
    yield folder
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()


@pytest.mark.skipif(os.geteuid() != 0, reason="simulating an ordinary user needs root to become nobody")
def test_an_unprivileged_user_gets_the_same_jail(tmp_path: Path, nobody_scratch: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("key")
    script = SCRIPT.format(root=str(ROOT), scratch=str(nobody_scratch), secret=str(secret))
    completed = subprocess.run(
        [sys.executable, "-I", "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stderr) == {
        "root": [],
        "pid": 1,
        "read": "ENOENT",
        "write": "written",
        "fork": "EAGAIN",
        "connect": "ENETUNREACH",
        "chroot": "EPERM",
    }
    assert (nobody_scratch / "written.txt").read_text() == "inside"
    assert (nobody_scratch / "written.txt").stat().st_uid == 65534
