"""A strategy cannot start processes or threads, cannot signal anything outside, and its death
(however it dies) is reported and reaped."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from ama_tui.sandbox import Limits, StrategyStopped
from tests.sandbox.helpers import FAST, HOSTILE, run_hostile


def test_a_fork_bomb_cannot_fork_and_neither_threads_nor_subprocess_work() -> None:
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    with pytest.raises(StrategyStopped) as stopped:
        run_hostile("fork_bomb", {})
    assert stopped.value.reason.startswith(
        "raised in analyze: BlockingIOError: [Errno 11] Resource temporarily unavailable"
    )
    assert 'fork_bomb.py", line 24, in analyze' in stopped.value.reason
    assert [event.message for event in stopped.value.events] == [  # type: ignore[attr-defined]
        "thread: RuntimeError",
        "threading: ModuleNotFoundError",
        "subprocess: ModuleNotFoundError",
    ]
    assert {child.pid for child in psutil.Process().children(recursive=True)} == before


def test_signals_reach_nothing_outside_and_pid_1_shrugs_off_its_own_sigkill() -> None:
    _, logs = run_hostile("kill_everything", {"parent_pid": os.getpid()})
    assert logs == [
        "kill -1: ProcessLookupError",  # nothing else in its PID namespace
        f"kill {os.getpid()}: ProcessLookupError",  # our pid means nothing there
        "kill 0: sent",  # its own process group: itself alone
        "still here as pid 1",
    ]


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("exit", "exited (code 3) during analyze"),
        ("segfault", "died (signal 11, SIGSEGV) during analyze"),
        (
            "sys.exit",
            'raised in analyze: SystemExit: 0\n  File "crash.py", line 18, in analyze\n    sys.exit(0)',
        ),
        (
            "divide",
            "raised in analyze: ZeroDivisionError: division by zero\n"
            '  File "crash.py", line 20, in analyze\n'
            "    self.ratio = 1 / 0  # the line the report must name",
        ),
    ],
)
def test_however_it_dies_the_reason_is_named_and_nothing_is_left(how: str, reason: str) -> None:
    with pytest.raises(StrategyStopped) as stopped:
        run_hostile("crash", {"how": how})  # asserts both processes are gone
    lines = stopped.value.reason.splitlines()
    assert lines[: len(reason.splitlines())] == reason.splitlines()  # (3.11 adds a line of carets)
    assert str(stopped.value).startswith(f"crash.py stopped: {reason}")


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "looping"])
def test_the_strategy_ends_when_the_engine_dies(tmp_path: Path, busy: bool) -> None:
    """Idle, it sees the pipe close; looping forever, its CPU limit ends it."""
    script = tmp_path / "engine.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, sys, threading
            sys.path.insert(0, {str(Path(__file__).parents[2])!r})
            from ama_tui.sandbox import Limits, SandboxedStrategy
            from tests.sandbox.helpers import FakeMarket, tick
            limits = Limits(cpu_seconds=1, call_timeout=30)
            sandbox = SandboxedStrategy(limits, scratch_dir={str(tmp_path / "scratch")!r})
            sandbox.start("ETH-USD", {{}}, {str(HOSTILE / ("forever.py" if busy else "flood.py"))!r})
            print(sandbox.pid, sandbox.worker_pid, flush=True)
            threading.Timer(0.3, os._exit, (0,)).start()
            if {busy}:
                sandbox.on_tick(tick(0), FakeMarket().answer)
            else:
                threading.Event().wait()
            """
        )
    )
    engine = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=30)
    pids = [int(pid) for pid in engine.stdout.split()]
    assert len(pids) == 2, engine.stderr
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in pids)


def test_the_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="call_timeout must be positive"):
        Limits(call_timeout=0)
    assert FAST.call_timeout > 0
