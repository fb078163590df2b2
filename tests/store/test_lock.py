from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ama_tui.store import LockHeldError, StateStore
from ama_tui.store.lock import MarketLock

ORDER_BOOK = "0x4e5D6F497fCf4070A8d87A5Abb019f83E16c64bb"

HOLD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ama_tui.store.lock import MarketLock
    lock = MarketLock(Path(sys.argv[1])).acquire()
    print("locked", flush=True)
    sys.stdin.read()
    """
)

TRY_OPEN = textwrap.dedent(
    """
    import sys, time
    from ama_tui.store import LockHeldError, StateStore
    started = time.perf_counter()
    try:
        StateStore(sys.argv[1]).open_market(999, sys.argv[2])
    except LockHeldError as exc:
        print(f"{time.perf_counter() - started:.3f}|{exc.pid}|{exc}", flush=True)
        sys.exit(3)
    sys.exit(0)
    """
)


def test_lock_records_the_pid_and_clears_it_on_release(tmp_path: Path) -> None:
    lock = MarketLock(tmp_path)
    with lock:
        assert lock.held
        assert (tmp_path / ".lock").read_text().strip() == str(os.getpid())
        assert (tmp_path / ".lock").stat().st_mode & 0o777 == 0o600
    assert not lock.held
    assert (tmp_path / ".lock").read_text() == ""
    lock.release()  # idempotent


def test_second_handle_in_the_same_process_is_refused(tmp_path: Path) -> None:
    with MarketLock(tmp_path), pytest.raises(LockHeldError) as refused:
        MarketLock(tmp_path).acquire()
    assert refused.value.pid == os.getpid()
    assert f"PID {os.getpid()}" in str(refused.value)
    MarketLock(tmp_path).acquire().release()  # free again


def test_another_process_holding_the_lock_is_named_and_its_death_frees_it(tmp_path: Path) -> None:
    folder = tmp_path / "999" / ORDER_BOOK.lower()
    folder.mkdir(parents=True)
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        market = StateStore(tmp_path).market(999, ORDER_BOOK)
        with pytest.raises(LockHeldError) as refused:
            market.open()
        assert refused.value.pid == child.pid
        assert f"PID {child.pid}" in str(refused.value)
        assert not market.is_open
    finally:
        child.send_signal(signal.SIGKILL)  # a crash: the kernel drops the flock
        child.wait(timeout=10)
    with StateStore(tmp_path).open_market(999, ORDER_BOOK) as market:
        assert market.is_open


def test_a_second_process_fails_at_once_naming_our_pid(tmp_path: Path) -> None:
    with StateStore(tmp_path).open_market(999, ORDER_BOOK):
        result = subprocess.run(
            [sys.executable, "-c", TRY_OPEN, str(tmp_path), ORDER_BOOK],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 3, result.stderr
    elapsed, pid, message = result.stdout.strip().split("|", 2)
    assert float(elapsed) < 1.0
    assert int(pid) == os.getpid()
    assert f"PID {os.getpid()}" in message
