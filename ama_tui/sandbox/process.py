"""Start the strategy's process with nothing of ours in it, kill it, and say how it ended.

The child is `python -I -S -B` (no environment, no site-packages, no user paths) with an empty
environment, only the three pipes, its own session, and the scratch folder as its cwd. Confined,
it forks once: the process we started is a shim (it reports the worker's end as its own) and
the strategy runs in the worker, which we kill through a pidfd (no pid-reuse race).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Final

import ama_tui.kit
from ama_tui.sandbox.limits import Limits

BOOTSTRAP: Final = (
    "import sys; sys.path.insert(0, sys.argv[1]); from ama_tui.kit.child import main; main(sys.argv[2:])"
)
"""`-I` ignores PYTHONPATH and `-S` site-packages: the kit's own location goes on the path, alone."""

KIT_ROOT: Final = str(Path(ama_tui.kit.__file__).resolve().parents[2])


class ChildProcess:
    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self.popen = popen
        self.worker_pid = popen.pid
        self._pidfd: int | None = None

    @classmethod
    def spawn(cls, scratch: Path, limits: Limits, confine: str) -> ChildProcess:
        """`confine`: "require" (fail if namespaces are unavailable), "try", or "off"."""
        options = {"confine": confine, "limits": asdict(limits.process())}
        popen = subprocess.Popen(
            [sys.executable, "-I", "-S", "-B", "-c", BOOTSTRAP, KIT_ROOT, json.dumps(options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={},
            cwd=scratch,
            close_fds=True,
            start_new_session=True,
            bufsize=0,
        )
        return cls(popen)

    def adopt_worker(self, pid: int) -> bool:
        """Track the worker the shim forked; False when it is already gone (or not the shim's)."""
        if pid == self.popen.pid:
            return True
        try:
            self._pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            return False
        except (OSError, AttributeError):  # a kernel before 5.3: the pid alone (the shim holds it)
            self._pidfd = None
        if _parent_of(pid) != self.popen.pid:  # a pidfd pins the process: check it is ours
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
            return False
        self.worker_pid = pid
        return True

    def kill(self) -> None:
        """SIGKILL the worker (the shim then exits as killed) and reap the shim."""
        if self._pidfd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
        elif self.popen.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.worker_pid, signal.SIGKILL)  # unreaped while the shim lives
        if self.wait(2.0) is None:
            self.popen.kill()  # the worker, orphaned, dies with it (PR_SET_PDEATHSIG)
            self.popen.wait()
        self.close()

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        for stream in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[1])


def describe_exit(returncode: int, limits: Limits) -> str:
    """How a process that was not killed by us ended, in words."""
    if returncode < 0:
        number = -returncode
        if number == signal.SIGXCPU:
            return f"used up its {limits.cpu_seconds} s of CPU time (the limit)"
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown"
        return f"died (signal {number}, {name})"
    return f"exited (code {returncode})"
