"""Unstick anvil's automine: mine a block when ready transactions wait and no block comes.

anvil 1.7 in automine mode can leave ready transactions in its pool without mining them after a
burst of concurrent sends (foundry-rs/foundry#10122, seen here with 50 wallets packing through the
relay: ~1,200 transactions pending, no block for seconds, until anything mined one). The watchdog
looks at the node every `interval` seconds (automine flag, pool, block number, in one batch) and
calls `evm_mine` when automine is on and ready transactions were waiting at two looks in a row
with no new block between them. Under automine that never happens otherwise; with automine off
(a test that mines by hand or by interval) it does nothing.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Final

from ama_tui.devnet.relay.rpc import JsonRpc

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S: Final = 0.5


@dataclass(frozen=True)
class Look:
    """What the watchdog saw at one look."""

    automine: bool
    pending: int
    block: int


def stuck(previous: Look | None, now: Look) -> bool:
    """Ready transactions waited at both looks, under automine, and no block came in between."""
    return (
        previous is not None
        and previous.automine
        and now.automine
        and previous.pending > 0
        and now.pending > 0
        and now.block == previous.block
    )


class AutomineWatchdog:
    def __init__(self, rpc_url: str, *, interval: float = DEFAULT_INTERVAL_S) -> None:
        self._rpc = JsonRpc(rpc_url, timeout=max(5.0, interval * 4))
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._previous: Look | None = None
        self.kicks = 0
        """Blocks the watchdog mined."""

    def look(self) -> Look:
        automine, pool, block = self._rpc.batch(
            [("anvil_getAutomine", []), ("txpool_status", []), ("eth_blockNumber", [])]
        )
        return Look(bool(automine), int(pool["pending"], 16), int(block, 16))

    def check_once(self) -> bool:
        """One look; mine a block if the pool is stuck. True when it mined."""
        now = self.look()
        if not stuck(self._previous, now):
            self._previous = now
            return False
        self._rpc.request("evm_mine", [])
        self.kicks += 1
        self._previous = None  # the next two looks decide again
        log.warning(
            "anvil left %d ready transactions unmined at block %d; mined a block", now.pending, now.block
        )
        return True

    def start(self) -> AutomineWatchdog:
        self._thread = threading.Thread(target=self._run, name="devnet-automine-watchdog", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(self._interval + 5.0)
        self._rpc.close()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.check_once()
            except Exception as error:  # the node may be stopping, or busy: look again later
                log.debug("automine watchdog: %s", type(error).__name__)
                self._previous = None
