"""The whole devnet in one context manager: anvil, the seeded exchange, the relay API, takers.

    with DevnetStack(wallets=3) as stack:
        stack.env()   # RPC_URL, SESSION_REGISTRY_ADDRESS, CHAIN_ID, APP_URL
        ...

The relay runs as a uvicorn server in a background thread on 127.0.0.1, and a watchdog mines a
block when anvil's automine leaves ready transactions waiting (`watchdog`); on exit (also on an
exception or Ctrl+C during start-up) the takers, the watchdog, the server and anvil are stopped, in
that order.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Final

import uvicorn

from ama_tui.devnet.catalog import DEFAULT_MARKETS, UNDEPLOYED_MARKETS, MarketListing
from ama_tui.devnet.deploy import DevnetDeployment
from ama_tui.devnet.node import DEFAULT_CHAIN_ID, LOOPBACK, AnvilNode
from ama_tui.devnet.relay import FaultPlan, make_relay_app
from ama_tui.devnet.relay.app import Relay
from ama_tui.devnet.relay.rpc import JsonRpc
from ama_tui.devnet.seeding import (
    DEFAULT_WALLET_FUNDS6,
    RELAYER_COUNT,
    BackgroundTakers,
    SeededDevnet,
    default_relayer_keys,
    seed_devnet,
)
from ama_tui.devnet.watchdog import AutomineWatchdog
from ama_tui.store.wallets_csv import LoadedWallets

log = logging.getLogger(__name__)

SERVER_START_TIMEOUT_S: Final = 15.0
SERVER_STOP_TIMEOUT_S: Final = 5.0
INTERVAL_BLOCK_GAS_LIMIT: Final = 1_000_000_000
"""The block gas limit under interval mining: every waiting transaction fits in the next block.
anvil's miner passes over a transaction that does not fit in what is left of a block and then
tries the same sender's next one, which fails "nonce too high" and is dropped from the pool, with
everything after it stuck behind the gap (at the default 30 M, a 50-wallet pack lost placements in
about half the runs). Production's relay would resend; the devnet keeps blocks big enough instead."""


class DevnetStackError(RuntimeError):
    """The devnet could not start (the message says why; it never contains a key)."""


def bind_loopback(port: int | None) -> socket.socket:
    """A TCP socket bound to 127.0.0.1 (`port` None or 0: any free port), for uvicorn to serve on.

    Created with an explicit IPPROTO_TCP: asyncio only turns Nagle off (TCP_NODELAY) on accepted
    sockets whose protocol reads as TCP, and without it every keep-alive request waits ~40 ms.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, port or 0))
    except OSError as error:
        sock.close()
        raise DevnetStackError(
            f"cannot listen on {LOOPBACK}:{port}: {error.strerror or error} (choose another --app-port)"
        ) from None
    return sock


class DevnetStack:
    def __init__(
        self,
        *,
        wallets: int | None = None,
        csv: Path | str | None = None,
        rpc_port: int | None = None,
        app_port: int | None = None,
        takers: bool = False,
        taker_interval: float = 3.0,
        markets: Sequence[MarketListing] = DEFAULT_MARKETS,
        wallet_funds6: int = DEFAULT_WALLET_FUNDS6,
        fault_plan: FaultPlan | None = None,
        chain_id: int = DEFAULT_CHAIN_ID,
        wait_for_mined: bool = False,
        undeployed: Sequence[MarketListing] = UNDEPLOYED_MARKETS,
        block_time: int | None = None,
        relayers: int = RELAYER_COUNT,
    ) -> None:
        """`wait_for_mined`: the relay answers trades once mined (`{txHash, blockNumber, mined}`)
        instead of right after sending (`{txHash, pending}`, production's default). `undeployed`:
        listings the relay lists without contracts (status PENDING, null address). `block_time`:
        once seeded, anvil mines a block every that many seconds with what was sent meanwhile
        (interval mining, as a chain with a block time does) instead of one per transaction.
        `relayers`: how many keys the relay sends from (`default_relayer_keys`)."""
        self._wallet_count = wallets
        self._csv = Path(csv) if csv is not None else None
        self._rpc_port = rpc_port or None
        self._app_port = app_port or None
        self._want_takers = takers
        self._taker_interval = taker_interval
        self._markets = tuple(markets)
        self._wallet_funds6 = wallet_funds6
        self.fault_plan = fault_plan if fault_plan is not None else FaultPlan()
        self._chain_id = chain_id
        self.wait_for_mined = wait_for_mined
        self._undeployed = tuple(undeployed)
        if block_time is not None and block_time < 1:
            raise ValueError(f"block_time must be a whole number of seconds, at least 1, got {block_time}")
        self.block_time = block_time
        self._relayer_keys = default_relayer_keys(relayers)

        self.node: AnvilNode | None = None
        self.seeded: SeededDevnet | None = None
        self.takers: BackgroundTakers | None = None
        self.startup_seconds: float | None = None
        self._tempdir: Path | None = None
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._relay: Relay | None = None
        self.watchdog: AutomineWatchdog | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> DevnetStack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> DevnetStack:
        if self.node is not None:
            raise RuntimeError("this DevnetStack is already running")
        started = time.monotonic()
        try:
            csv = self._csv
            if csv is None:
                self._tempdir = Path(tempfile.mkdtemp(prefix="ama-devnet-"))
                csv = self._tempdir / "wallets.csv"
            self._socket = bind_loopback(self._app_port)
            self._port = int(self._socket.getsockname()[1])
            extra = ("--gas-limit", str(INTERVAL_BLOCK_GAS_LIMIT)) if self.block_time is not None else ()
            self.node = AnvilNode(port=self._rpc_port, chain_id=self._chain_id, extra_args=extra).start()
            self.seeded = seed_devnet(
                self.node.rpc_url,
                csv=csv,
                wallets=self._wallet_count,
                markets=self._markets,
                wallet_funds6=self._wallet_funds6,
                relayer_keys=self._relayer_keys,
            )
            if self.block_time is not None:
                self._mine_every(self.block_time)
            self._serve()
            self.watchdog = AutomineWatchdog(self.node.rpc_url).start()
            if self._want_takers:
                self.takers = BackgroundTakers(self.seeded, interval=self._taker_interval).start()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _mine_every(self, seconds: int) -> None:
        assert self.node is not None
        rpc = JsonRpc(self.node.rpc_url)
        try:
            rpc.request("evm_setIntervalMining", [seconds])
        finally:
            rpc.close()

    def _serve(self) -> None:
        assert self.seeded is not None and self._socket is not None
        app = make_relay_app(
            self.seeded.deployment,
            relayer_keys=self._relayer_keys,
            listings=(*self.seeded.listings, *self._undeployed),
            fault_plan=self.fault_plan,
            wait_for_mined=self.wait_for_mined,
        )
        config = uvicorn.Config(
            app,
            # uvloop and httptools (C): on asyncio's loop and h11 (pure Python) the relay's event
            # loop thread took two thirds of its CPU and held a 50 x 6 pack's trades ~1 s
            loop="uvloop",
            http="httptools",
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._relay = app.state.relay
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._socket]}, name="devnet-relay", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not server.started:
            if not self._thread.is_alive():
                raise DevnetStackError("the relay server stopped during start-up")
            if time.monotonic() > deadline:
                raise DevnetStackError(
                    f"the relay server did not start within {SERVER_START_TIMEOUT_S:.0f} s"
                )
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the takers, the relay server and anvil; remove the temporary folder. Idempotent."""
        takers, self.takers = self.takers, None
        watchdog, self.watchdog = self.watchdog, None
        server, self._server = self._server, None
        thread, self._thread = self._thread, None
        node, self.node = self.node, None
        try:
            if takers is not None:
                takers.stop()
            if watchdog is not None:
                watchdog.stop()
            if server is not None and thread is not None:
                server.should_exit = True
                thread.join(SERVER_STOP_TIMEOUT_S)
                if thread.is_alive():
                    server.force_exit = True
                    thread.join(SERVER_STOP_TIMEOUT_S)
            relay, self._relay = self._relay, None
            if relay is not None:
                relay.chain.close()
        finally:
            try:
                if node is not None:
                    node.stop()
            finally:
                if self._socket is not None:
                    with contextlib.suppress(OSError):
                        self._socket.close()
                    self._socket = None
                if self._tempdir is not None:
                    shutil.rmtree(self._tempdir, ignore_errors=True)
                    self._tempdir = None

    # --- facts --------------------------------------------------------------------------------

    def _seeded(self) -> SeededDevnet:
        if self.seeded is None:
            raise RuntimeError("the devnet is not running")
        return self.seeded

    @property
    def deployment(self) -> DevnetDeployment:
        return self._seeded().deployment

    @property
    def wallets(self) -> LoadedWallets:
        return self._seeded().wallets

    @property
    def wallets_csv(self) -> Path:
        return self._seeded().wallets_csv

    @property
    def rpc_url(self) -> str:
        if self.node is None:
            raise RuntimeError("the devnet is not running")
        return self.node.rpc_url

    @property
    def app_url(self) -> str:
        if self._port is None or self._server is None:
            raise RuntimeError("the devnet is not running")
        return f"http://{LOOPBACK}:{self._port}"

    @property
    def healthy(self) -> bool:
        """anvil and the relay server are both still running."""
        node_ok = self.node is not None and self.node.is_running
        return node_ok and self._thread is not None and self._thread.is_alive()

    def env(self) -> dict[str, str]:
        """The `.env` variables that point ama-tui at this devnet."""
        deployment = self.deployment
        return {
            "RPC_URL": self.rpc_url,
            "SESSION_REGISTRY_ADDRESS": deployment.registry,
            "CHAIN_ID": str(deployment.chain_id),
            "APP_URL": self.app_url,
        }
