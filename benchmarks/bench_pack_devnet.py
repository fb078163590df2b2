"""Time to a full pack on the devnet with a relay that answers in seconds, as production's does.

A proxy in front of the devnet's web app adds `--latency-s` (default 1 s) to every relay call;
the real `ama-tui run` is launched against it and the chain is polled until every wallet holds its
orders on both sides. Printed per fleet: launch to the last session on chain, launch to full pack,
and the pack phase alone (full pack minus sessions), pipelined (the default) and with one trade per
wallet at a time (the earlier engine), and their ratio. Needs anvil and node_modules (the devnet's).

    uv run python benchmarks/bench_pack_devnet.py [--fleets 10x6,50x6] [--latency-s 1] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ama_tui.devnet.deploy import client, order_book_contract, registry_contract
from ama_tui.devnet.stack import DevnetStack

LOOPBACK = "127.0.0.1"
TIMEOUT_S = 180.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # the listen backlog: set before the socket listens (the default 5
    # drops most of a burst of new connections, which the client sees as failed trades)


class LatencyProxy:
    """Forwards every request to `upstream` after sleeping `latency_s` (each request on its own
    thread, so concurrent requests wait side by side, as they would on a slow relay)."""

    def __init__(self, upstream: str, latency_s: float) -> None:
        self.upstream = upstream.rstrip("/")
        self.latency_s = latency_s
        self._http = httpx.Client(trust_env=False, timeout=60.0, limits=httpx.Limits(max_connections=512))
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("content-length", "0") or 0)
                body = self.rfile.read(length) if length else None
                time.sleep(proxy.latency_s)
                headers = {"content-type": self.headers.get("content-type", "application/json")}
                answer = proxy._http.request(
                    method, proxy.upstream + self.path, content=body, headers=headers
                )
                self.send_response(answer.status_code)
                for name in ("content-type", "retry-after"):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def do_GET(self) -> None:
                self._forward("GET")

            def do_POST(self) -> None:
                self._forward("POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server((LOOPBACK, 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="latency-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()


class BookWatcher:
    """Counts every wallet's resting orders per side in one batched chain read (the venue's
    Multicall reader): polling with one web3 call per order would take the GIL from the relay
    running in this process and slow what is measured."""

    def __init__(self, stack: DevnetStack) -> None:
        from ama_tui.settings import LiveSettings
        from ama_tui.venues.base import VenueKind
        from ama_tui.venues.dexetra import DexetraVenue

        deployment = stack.deployment
        settings = LiveSettings(stack.rpc_url, deployment.registry, deployment.chain_id, stack.app_url)
        self._venue = DexetraVenue(settings, kind=VenueKind.DEVNET)
        self._book = deployment.market("ETH-USD").order_book

    def held(self, traders: list[str]) -> dict[str, tuple[int, int]]:
        orders = self._venue.open_orders(self._book, traders)
        return {
            t: (sum(o.is_buy for o in held), sum(not o.is_buy for o in held)) for t, held in orders.items()
        }

    def close(self) -> None:
        self._venue.close()


def _sessions(stack: DevnetStack, traders: list[str], before: dict[str, int]) -> int:
    registry = registry_contract(client(stack.rpc_url), stack.deployment)
    return sum(int(registry.functions.metaNonce(t).call()) > before[t] for t in traders)


def one_run(
    stack: DevnetStack, proxy: LatencyProxy, watcher: BookWatcher, per_side: int, pipelined: bool
) -> tuple[float, float]:
    """(launch to the last session on chain, launch to full pack) for a fresh run."""
    traders = [w.address for w in stack.wallets.wallets]
    registry = registry_contract(client(stack.rpc_url), stack.deployment)
    nonces = {t: int(registry.functions.metaNonce(t).call()) for t in traders}
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("RPC_URL", "SESSION_REGISTRY", "CHAIN_ID"))
    }
    env |= {**stack.env(), "APP_URL": proxy.url, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-m", "ama_tui", "run", "--market", "ETH-USD", "--venue", "dexetra"]
        args += ["--csv", str(stack.wallets_csv), "--state-dir", str(Path(tmp) / "st"), "--fresh"]
        args += [
            "--set",
            f"ordersPerSidePerWallet={per_side}",
            "--set",
            "minDelayMs=200",
            "--set",
            "maxDelayMs=400",
        ]
        args += [] if pipelined else ["--one-trade-per-wallet"]
        started = time.monotonic()
        process = subprocess.Popen(args, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sessions_s = packed_s = float("nan")
        try:
            while time.monotonic() - started < TIMEOUT_S:
                if process.poll() is not None:
                    raise RuntimeError(f"the run ended early: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
                now = time.monotonic() - started
                if sessions_s != sessions_s and _sessions(stack, traders, nonces) == len(traders):
                    sessions_s = now
                held = watcher.held(traders)
                if all(b >= per_side and s >= per_side for b, s in held.values()):
                    packed_s = time.monotonic() - started
                    break
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        cancel_all(stack, traders)
    return sessions_s, packed_s


def cancel_all(stack: DevnetStack, traders: list[str]) -> None:
    """Empty the wallets' books between runs (through anvil's impersonation)."""
    from ama_tui.devnet.deploy import send_as
    from ama_tui.devnet.seeding import set_eth_balance

    w3 = client(stack.rpc_url)
    set_eth_balance(w3, traders, 10**20)  # the wallets trade gaslessly: they hold no ether
    book = order_book_contract(w3, stack.deployment, "ETH-USD")
    for trader in traders:
        for order_id in book.functions.getUserOrders(trader).call():
            if int(str(book.functions.getOrder(order_id).call()[1]), 16) != 0:
                send_as(w3, trader, book.functions.cancelOrder(order_id))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fleets", default="10x6,50x6", help="wallets x orders per side, comma separated")
    parser.add_argument("--latency-s", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure (the median is printed)")
    parser.add_argument(
        "--takers",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="run the devnet's background takers, this long before the first launch, so the market "
        "has a trade tape (the packer then skips its still-market watch); default: a still market",
    )
    args = parser.parse_args()
    market = f"takers trading for {args.takers:.0f} s before" if args.takers else "a still market (no trades)"
    print(f"relay latency {args.latency_s:.1f} s per call; median of {args.repeat}; {market}")
    print(f"{'fleet':>7} {'mode':>22} {'sessions':>9} {'full pack':>10} {'pack phase':>11}")
    for fleet in args.fleets.split(","):
        wallets, per_side = (int(part) for part in fleet.lower().split("x"))
        with DevnetStack(wallets=wallets, takers=args.takers > 0, taker_interval=1.0) as stack:
            time.sleep(args.takers)
            proxy = LatencyProxy(stack.app_url, args.latency_s)
            watcher = BookWatcher(stack)
            try:
                results = {}
                for pipelined in (True, False):
                    runs = [one_run(stack, proxy, watcher, per_side, pipelined) for _ in range(args.repeat)]
                    sessions = statistics.median(r[0] for r in runs)
                    packed = statistics.median(r[1] for r in runs)
                    results[pipelined] = packed
                    mode = "pipelined" if pipelined else "one trade per wallet"
                    phase = packed - sessions
                    print(
                        f"{fleet:>7} {mode:>22} {sessions:>8.1f}s {packed:>9.1f}s {phase:>10.1f}s", flush=True
                    )
                print(f"{fleet:>7} {'ratio (one/pipelined)':>22} {results[False] / results[True]:>30.1f}x")
            finally:
                watcher.close()
                proxy.close()


if __name__ == "__main__":
    main()
