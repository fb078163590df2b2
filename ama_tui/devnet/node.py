"""A local anvil node for the devnet, started and always stopped by a context manager.

`AnvilNode` starts `anvil` on a loopback port in its own process group, waits until it answers
`eth_chainId`, and on exit (also on exceptions and Ctrl-C) terminates the whole group, escalating
to SIGKILL, and reaps it, so no process outlives the block.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

from ama_tui.core.keys import PrivateKey

DEFAULT_CHAIN_ID: Final = 31337
LOOPBACK: Final = "127.0.0.1"
PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]

ANVIL_DEV_KEYS: Final[tuple[str, ...]] = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
)
"""anvil's default accounts (mnemonic "test test ... junk"): public, for the devnet only."""


def dev_key(index: int) -> PrivateKey:
    """The private key of anvil's default account `index` (0-9)."""
    return PrivateKey(ANVIL_DEV_KEYS[index])


class AnvilNotFound(FileNotFoundError):
    """No anvil binary in the project's node_modules or on PATH."""


class AnvilStartError(RuntimeError):
    """anvil exited or did not answer in time; the message ends with the tail of its stderr."""


def find_anvil(project_root: Path = PROJECT_ROOT) -> Path:
    """The anvil to run: the project's pinned binary, else one on PATH, else the npm wrapper.

    The platform package's real binary comes first because the `.bin/anvil` wrapper is a Node
    script that spawns it as a child (still stopped cleanly: the whole process group is killed).
    """
    node_modules = project_root / "node_modules"
    for candidate in sorted(node_modules.glob("@foundry-rs/anvil-*/bin/anvil")):
        if os.access(candidate, os.X_OK):
            return candidate
    on_path = shutil.which("anvil")
    if on_path is not None:
        return Path(on_path)
    wrapper = node_modules / ".bin" / "anvil"
    if wrapper.exists():
        return wrapper
    raise AnvilNotFound(
        "anvil not found: run `npm install --no-save` in the project root, or put Foundry's anvil on PATH"
    )


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free a moment ago (the caller retries if anvil loses the race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


_DIRECT: Final = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Loopback traffic never goes through an HTTP(S)_PROXY from the environment."""


def rpc_request(rpc_url: str, method: str, params: Sequence[Any] = (), *, timeout: float = 5.0) -> Any:
    """One JSON-RPC call over HTTP with the standard library; returns `result` or raises."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    request = urllib.request.Request(rpc_url, data=body, headers={"Content-Type": "application/json"})
    with _DIRECT.open(request, timeout=timeout) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise RuntimeError(f"{method} failed: {reply['error']}")
    return reply["result"]


class AnvilNode:
    """An anvil process on a loopback port. Use as a context manager, or call start()/stop()."""

    def __init__(
        self,
        *,
        port: int | None = None,
        chain_id: int = DEFAULT_CHAIN_ID,
        accounts: int = 10,
        balance_eth: int = 10_000,
        block_time: float | None = None,
        anvil_path: Path | str | None = None,
        startup_timeout: float = 20.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        self._requested_port = port
        self.chain_id = chain_id
        self.accounts = accounts
        self.balance_eth = balance_eth
        self.block_time = block_time
        self.anvil_path = Path(anvil_path) if anvil_path is not None else None
        self.startup_timeout = startup_timeout
        self.extra_args = tuple(extra_args)
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._workdir: Path | None = None
        self._via_wrapper = False

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> AnvilNode:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> AnvilNode:
        if self._process is not None:
            raise RuntimeError("this AnvilNode is already running")
        binary = self.anvil_path or find_anvil()
        attempts = 1 if self._requested_port is not None else 3
        try:
            for attempt in range(attempts):
                self.port = self._requested_port or free_port()
                self._spawn(binary)
                try:
                    self._wait_ready()
                    return self
                except AnvilStartError as error:
                    port_lost = "address already in use" in str(error).lower()
                    self.stop()
                    if not port_lost or attempt == attempts - 1:
                        raise
            raise AssertionError("unreachable")
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate anvil (and any child of it), escalate to SIGKILL, reap it. Idempotent."""
        process, self._process = self._process, None
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        try:
            if process is not None:
                self._terminate(process, timeout)
        finally:
            if self._stderr is not None:
                self._stderr.close()
                self._stderr = None
            if self._workdir is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None

    def _terminate(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        try:
            if process.poll() is None:
                self._signal(process, signal.SIGTERM)
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self._signal(process, signal.SIGKILL)
                    process.wait(timeout=timeout)
        finally:
            if self._via_wrapper:
                # the npm wrapper's child may outlive it; the group id stays reserved while it does
                self._signal(process, signal.SIGKILL)

    # --- facts -------------------------------------------------------------------------------

    @property
    def rpc_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the node has not been started")
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def rpc(self, method: str, *params: Any) -> Any:
        return rpc_request(self.rpc_url, method, params)

    # --- internals ---------------------------------------------------------------------------

    def _command(self, binary: Path) -> list[str]:
        command = [
            str(binary),
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--accounts",
            str(self.accounts),
            "--balance",
            str(self.balance_eth),
            "--silent",
            # Past 500 blocks anvil moves old states to ~/.foundry/anvil/tmp, a full state per block
            # that it never removes: each block then costs more (mining slowed from ~60 to a few a
            # second in a long pack) and a day of devnet runs filled the disk (78 GB). The devnet
            # keeps the last 500 states in memory and drops older ones.
            "--max-persisted-states",
            "0",
        ]
        if self.block_time is not None:
            command += ["--block-time", str(self.block_time)]
        return command + list(self.extra_args)

    def _spawn(self, binary: Path) -> None:
        self._via_wrapper = binary.name == "anvil" and binary.parent.name == ".bin"
        self._workdir = Path(tempfile.mkdtemp(prefix="ama-anvil-"))
        self._stderr = (self._workdir / "stderr.log").open("w+b")
        self._process = subprocess.Popen(
            [*self._command(binary), "--config-out", str(self._config_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=sys.platform != "win32",
        )
        atexit.register(self.stop)

    @property
    def _config_path(self) -> Path:
        assert self._workdir is not None
        return self._workdir / "config.json"

    def _wait_ready(self) -> None:
        """Ready = anvil wrote its --config-out file (it does so only once it holds the port) and
        answers eth_chainId; the file tells our node apart from another one already on the port."""
        deadline = time.monotonic() + self.startup_timeout
        while True:
            process = self._process
            assert process is not None
            if process.poll() is not None:
                raise AnvilStartError(f"anvil exited with code {process.returncode}{self._stderr_tail()}")
            try:
                if not self._config_path.exists():
                    raise OSError("anvil has not bound its port yet")
                answer = self.rpc("eth_chainId")
            except (OSError, ValueError, RuntimeError):
                if time.monotonic() > deadline:
                    raise AnvilStartError(
                        f"anvil did not answer on {self.rpc_url} within {self.startup_timeout:.0f} s"
                        f"{self._stderr_tail()}"
                    ) from None
                time.sleep(0.05)
                continue
            if int(answer, 16) != self.chain_id:
                raise AnvilStartError(f"anvil on {self.rpc_url} has chain id {answer}, not {self.chain_id}")
            return

    def _stderr_tail(self, limit: int = 2000) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", errors="replace").strip()
        return f"; anvil stderr:\n{text[-limit:]}" if text else " (no stderr output)"

    @staticmethod
    def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if sys.platform != "win32":
                os.killpg(process.pid, signum)
            elif signum == signal.SIGTERM:
                process.terminate()
            else:
                process.kill()
