"""The machine-wide market lock: one run per (chain, order book), whatever its state folder."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ama_tui.store import LockError, LockHeldError, StateStore
from ama_tui.store.lock import MarketLock
from ama_tui.store.machine_lock import LOCK_DIR_ENV, MachineMarketLock, machine_lock_dir

CHAIN = 999
ORDER_BOOK = "0x4e5D6F497fCf4070A8d87A5Abb019f83E16c64bb"
OTHER_BOOK = "0x00000000000000000000000000000000000000aA"

HOLD_MARKET = textwrap.dedent(
    """
    import sys
    from ama_tui.store import StateStore
    store = StateStore(sys.argv[1]).open_market(999, sys.argv[2])
    print("locked", flush=True)
    sys.stdin.read()
    """
)


def read_line_within(child: subprocess.Popen[str], seconds: float) -> str:
    """The child's next stdout line, or a failure after `seconds` (never hangs the suite)."""
    assert child.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=seconds):
            pytest.fail(f"the child process printed nothing within {seconds} s")
    return child.stdout.readline().strip()


def test_the_same_market_in_another_state_folder_is_refused_naming_the_pid(
    tmp_path: Path, private_lock_dir: Path
) -> None:
    first = StateStore(tmp_path / "a").market(CHAIN, ORDER_BOOK)
    second = StateStore(tmp_path / "b").market(CHAIN, ORDER_BOOK)
    with first:
        lock_file = private_lock_dir / f"{CHAIN}-{ORDER_BOOK.lower()}.lock"
        assert lock_file.read_text().strip() == str(os.getpid())
        assert lock_file.stat().st_mode & 0o777 == 0o600
        with pytest.raises(LockHeldError) as refused:
            second.open()
        assert refused.value.pid == os.getpid()
        assert refused.value.path == lock_file
        assert f"PID {os.getpid()}" in str(refused.value)
        assert f"market {ORDER_BOOK.lower()} on chain {CHAIN}" in str(refused.value)
        assert not second.is_open and first.is_open
        # The refused store let its folder lock go again.
        MarketLock(second.folder).acquire().release()
    assert lock_file.read_text() == ""


def test_another_process_holding_the_market_is_named_at_once(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_MARKET, str(tmp_path / "theirs"), ORDER_BOOK],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert read_line_within(child, 60) == "locked"
        ours = StateStore(tmp_path / "ours").market(CHAIN, ORDER_BOOK)
        started = time.perf_counter()
        with pytest.raises(LockHeldError) as refused:
            ours.open()
        assert time.perf_counter() - started < 1.0
        assert refused.value.pid == child.pid
        assert f"PID {child.pid}" in str(refused.value)
        assert "in use by another ama-tui process" in str(refused.value)
        assert not ours.is_open
    finally:
        child.send_signal(signal.SIGKILL)  # a crash: the kernel drops both flocks
        child.wait(timeout=10)
    with StateStore(tmp_path / "ours").open_market(CHAIN, ORDER_BOOK) as market:
        assert market.is_open


def test_different_markets_do_not_block_each_other(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    with (
        store.open_market(CHAIN, ORDER_BOOK) as one,
        store.open_market(CHAIN, OTHER_BOOK) as two,
        StateStore(tmp_path / "elsewhere").open_market(CHAIN + 1, ORDER_BOOK) as three,
    ):
        assert one.is_open and two.is_open and three.is_open


def test_closing_lets_the_next_run_in_from_any_folder(tmp_path: Path) -> None:
    first = StateStore(tmp_path / "a").open_market(CHAIN, ORDER_BOOK)
    first.close()
    first.close()  # idempotent
    with StateStore(tmp_path / "b").open_market(CHAIN, ORDER_BOOK) as second:
        assert second.is_open
    with StateStore(tmp_path / "a").open_market(CHAIN, ORDER_BOOK) as again:
        assert again.is_open


def test_an_unusable_lock_folder_is_an_error_and_frees_the_folder_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(LOCK_DIR_ENV, str(blocker / "locks"))
    market = StateStore(tmp_path / "state").market(CHAIN, ORDER_BOOK)
    with pytest.raises(LockError, match="machine-wide lock folder"):
        market.open()
    assert not market.is_open
    MarketLock(market.folder).acquire().release()


def test_the_lock_folder_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LOCK_DIR_ENV, str(tmp_path / "explicit"))
    assert machine_lock_dir() == tmp_path / "explicit"

    monkeypatch.delenv(LOCK_DIR_ENV)
    runtime = tmp_path / "run-user"
    runtime.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert machine_lock_dir() == runtime / "ama-tui" / "locks"

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "missing"))
    assert machine_lock_dir() == home / ".cache" / "ama-tui" / "locks"
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert machine_lock_dir() == home / ".cache" / "ama-tui" / "locks"

    with MachineMarketLock(CHAIN, ORDER_BOOK) as lock:
        assert lock.path == home / ".cache" / "ama-tui" / "locks" / f"{CHAIN}-{ORDER_BOOK.lower()}.lock"
        for folder in (home / ".cache", home / ".cache" / "ama-tui", lock.path.parent):
            assert folder.stat().st_mode & 0o777 == 0o700


def test_lock_names_are_checked() -> None:
    with pytest.raises(ValueError):
        MachineMarketLock(0, ORDER_BOOK)
    with pytest.raises(ValueError):
        MachineMarketLock(CHAIN, "../../etc/passwd")
