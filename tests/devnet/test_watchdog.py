"""The automine watchdog: when it mines (only a pool stuck under automine) and when it must not."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ama_tui.devnet.watchdog import AutomineWatchdog, Look, stuck

from .conftest import Devnet


def test_only_a_pool_stuck_under_automine_is_stuck() -> None:
    waiting = Look(automine=True, pending=3, block=10)
    assert stuck(waiting, Look(True, 3, 10))
    assert stuck(waiting, Look(True, 1, 10)), "fewer, but still waiting and still no block"
    assert not stuck(None, waiting), "one look is not enough"
    assert not stuck(waiting, Look(True, 3, 11)), "a block came: anvil is mining"
    assert not stuck(waiting, Look(True, 0, 10)), "nothing waits any more"
    assert not stuck(Look(True, 0, 10), waiting), "it was empty a moment ago"
    assert not stuck(waiting, Look(False, 3, 10)), "automine off: a test mines by hand"
    assert not stuck(Look(False, 3, 10), Look(True, 3, 10)), "automine just came back on"
    assert not stuck(waiting, Look(True, 3, 9)), "the chain went back (evm_revert)"


class _ScriptedNode:
    """Answers the watchdog's looks from a script and records what it was asked."""

    def __init__(self, looks: list[Look]) -> None:
        self.looks = looks
        self.calls: list[str] = []

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        look = self.looks.pop(0)
        return [look.automine, {"pending": hex(look.pending), "queued": "0x0"}, hex(look.block)]

    def request(self, method: str, params: Any = ()) -> Any:
        self.calls.append(method)
        return "0x0"

    def close(self) -> None:
        pass


def test_it_mines_once_per_stuck_pair_of_looks() -> None:
    watchdog = AutomineWatchdog("http://127.0.0.1:9")
    node = _ScriptedNode([Look(True, 5, 7), Look(True, 5, 7), Look(True, 2, 7), Look(True, 2, 7)])
    watchdog._rpc = node  # type: ignore[assignment]
    assert [watchdog.check_once() for _ in range(4)] == [False, True, False, True]
    assert node.calls == ["evm_mine", "evm_mine"] and watchdog.kicks == 2


@pytest.mark.devnet
def test_it_leaves_a_healthy_or_hand_mined_node_alone(devnet: Devnet) -> None:
    watchdog = AutomineWatchdog(devnet.node.rpc_url, interval=0.05)
    try:
        before = devnet.w3.eth.block_number
        for _ in range(4):
            assert watchdog.check_once() is False
        assert devnet.w3.eth.block_number == before, "an idle node got a block"
        devnet.w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
        try:
            tx = {"from": devnet.deployer, "to": devnet.outsider, "value": 1}
            devnet.w3.eth.send_transaction(tx)  # type: ignore[arg-type]
            for _ in range(4):
                assert watchdog.check_once() is False
                time.sleep(0.05)
            assert watchdog.look().pending == 1 and watchdog.kicks == 0, "a test's own pending tx was mined"
        finally:
            devnet.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
            devnet.w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    finally:
        watchdog.stop()
