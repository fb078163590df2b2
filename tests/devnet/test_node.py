"""The anvil launcher: starts fast, deploys, and never leaves a process behind."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

from ama_tui.devnet.deploy import connect, contract, deploy_devnet
from ama_tui.devnet.node import AnvilNode, AnvilStartError, dev_key, find_anvil
from ama_tui.protocol.abi import MULTICALL3_ADDRESS
from ama_tui.protocol.accounts import address_of

from .conftest import ALU, BTC, pid_alive

pytestmark = pytest.mark.devnet


def _anvil_children() -> list[psutil.Process]:
    return [child for child in psutil.Process().children(recursive=True) if "anvil" in child.name()]


def test_find_anvil_prefers_the_projects_pinned_binary(node_modules: Path) -> None:
    path = find_anvil()
    assert path.is_file()
    assert "@foundry-rs" in path.parts


def test_start_deploy_stop_within_20_seconds_and_no_process_left(node_modules: Path) -> None:
    before = {child.pid for child in _anvil_children()}
    started = time.monotonic()
    with AnvilNode(chain_id=31337) as node:
        pid = node.pid
        assert pid is not None and node.is_running
        deployment = deploy_devnet(
            node.rpc_url,
            deployer_key=dev_key(0),
            relayer_addresses=[address_of(dev_key(1))],
            markets=[ALU, BTC],
        )
        w3 = connect(node.rpc_url)
        assert w3.eth.chain_id == 31337 == deployment.chain_id
        assert len(w3.eth.get_code(w3.to_checksum_address(MULTICALL3_ADDRESS))) > 0
        book = contract(w3, "OrderBook", deployment.market("ALU-USD").order_book)
        assert book.functions.getBestPrices().call() == [0, 0]
    elapsed = time.monotonic() - started
    assert elapsed < 20, f"start + deploy + stop took {elapsed:.1f} s"
    assert not pid_alive(pid)
    assert {child.pid for child in _anvil_children()} <= before
    assert not node.is_running and node.pid is None


def test_node_is_stopped_when_the_block_raises(node_modules: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), AnvilNode() as node:
        pid = node.pid
        raise RuntimeError("boom")
    assert pid is not None and not pid_alive(pid)


def test_node_is_stopped_on_keyboard_interrupt(node_modules: Path) -> None:
    with pytest.raises(KeyboardInterrupt), AnvilNode() as node:
        pid = node.pid
        raise KeyboardInterrupt
    assert pid is not None and not pid_alive(pid)


def test_a_port_in_use_fails_with_anvils_own_error(node_modules: Path) -> None:
    with AnvilNode() as first:
        clash = AnvilNode(port=first.port, startup_timeout=10)
        with pytest.raises(AnvilStartError, match="stderr"):
            clash.start()
        assert clash.pid is None
        assert first.rpc("eth_chainId") == hex(31337)


def test_bad_arguments_fail_fast_with_the_tail_of_stderr(node_modules: Path) -> None:
    before = set(_anvil_children())  # other modules' shared nodes may be running
    node = AnvilNode(extra_args=["--no-such-flag"])
    started = time.monotonic()
    with pytest.raises(AnvilStartError, match="no-such-flag"):
        node.start()
    assert time.monotonic() - started < 10
    assert node.pid is None and set(_anvil_children()) == before


def test_stop_is_idempotent(node_modules: Path) -> None:
    node = AnvilNode().start()
    pid = node.pid
    node.stop()
    node.stop()
    assert pid is not None and not pid_alive(pid)


def test_anvil_keeps_no_state_history_on_disk() -> None:
    """Old states on disk cost a full state a block and are never removed (see AnvilNode._command)."""
    command = AnvilNode()._command(Path("anvil"))
    assert command[command.index("--max-persisted-states") + 1] == "0"
