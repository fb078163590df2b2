"""Time to a full pack on the devnet with a relay that answers in seconds, as production's does.

A proxy in front of the devnet's web app adds `--latency-s` (default 1 s) to every relay call;
the real `ama-tui run` is launched against it and the chain is polled until every wallet holds its
orders on both sides. Printed per fleet: launch to the last session on chain, launch to full pack,
and the pack phase alone (full pack minus sessions), pipelined (the default) and with one trade per
wallet at a time (the earlier engine), and their ratio. Needs anvil and node_modules (the devnet's).

The devnet (anvil, the relay API) runs as `python -m ama_tui.devnet` in its own process and the
proxy (`latency_proxy.py`) in another, so neither shares an interpreter lock with this script's
book polling; `--relay in-process`
serves it from this process as before (the relay was then the bottleneck: about 24 trades a second).
Every run gets a devnet of its own (a fresh chain). `--modes pipelined` skips the
one-trade-per-wallet runs (50 x 6 of those take minutes).

    uv run python benchmarks/bench_pack_devnet.py [--fleets 10x6,50x6] [--latency-s 1] [--repeat 1]
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ama_tui.devnet.deploy import DevnetDeployment, DevnetMarket
from ama_tui.devnet.relay.contracts import BOOK, REGISTRY, Read, read_many
from ama_tui.devnet.relay.rpc import JsonRpc
from ama_tui.devnet.stack import DevnetStack
from ama_tui.venues.market_cache import CACHE_DIR_ENV, MarketCache
from benchmarks.latency_proxy import LatencyProxy

LOOPBACK = "127.0.0.1"
TIMEOUT_S = 180.0
DEVNET_READY_TIMEOUT_S = 180.0


@dataclass
class Devnet:
    """What the benchmark needs of a running devnet, wherever it runs."""

    rpc_url: str
    app_url: str
    deployment: DevnetDeployment
    traders: list[str]
    wallets_csv: Path

    def env(self) -> dict[str, str]:
        deployment = self.deployment
        return {
            "RPC_URL": self.rpc_url,
            "SESSION_REGISTRY_ADDRESS": deployment.registry,
            "CHAIN_ID": str(deployment.chain_id),
            "APP_URL": self.app_url,
        }


@contextlib.contextmanager
def devnet_in_process(wallets: int, takers: bool, block_time: int | None = None) -> Iterator[Devnet]:
    with DevnetStack(wallets=wallets, takers=takers, taker_interval=1.0, block_time=block_time) as stack:
        traders = [w.address for w in stack.wallets.wallets]
        yield Devnet(stack.rpc_url, stack.app_url, stack.deployment, traders, stack.wallets_csv)


@contextlib.contextmanager
def devnet_process(wallets: int, takers: bool, block_time: int | None = None) -> Iterator[Devnet]:
    """`python -m ama_tui.devnet` in its own process, stopped with SIGINT on the way out."""
    with tempfile.TemporaryDirectory(prefix="bench-devnet-") as tmp:
        facts_path, log_path = Path(tmp) / "facts.json", Path(tmp) / "devnet.log"
        args = [sys.executable, "-m", "ama_tui.devnet", "--wallets", str(wallets)]
        args += ["--csv", str(Path(tmp) / "wallets.csv"), "--rpc-port", "0", "--app-port", "0"]
        args += ["--takers", "--taker-interval", "1"] if takers else ["--no-takers"]
        args += ["--write-facts", str(facts_path)]
        args += ["--block-time", str(block_time)] if block_time else []
        with open(log_path, "w") as log:
            process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + DEVNET_READY_TIMEOUT_S
            while not facts_path.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the devnet did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.1)
            facts = json.loads(facts_path.read_text())
            raw = facts["deployment"]
            deployment = DevnetDeployment(
                **{
                    **raw,
                    "relayers": tuple(raw["relayers"]),
                    "markets": tuple(DevnetMarket(**market) for market in raw["markets"]),
                }
            )
            env = facts["env"]
            yield Devnet(
                env["RPC_URL"], env["APP_URL"], deployment, list(facts["wallets"]), Path(facts["wallets_csv"])
            )
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class BookWatcher:
    """Counts every wallet's resting orders per side, cheaply enough to poll ten times a second
    beside what is measured (on 2 cores, a full read of 600 orders each poll took most of a core
    from the run it timed): one Multicall of every trader's `getUserOrders`, then `getOrder` only
    for ids not yet seen live (an order's side never changes). A count
    that says "full" is confirmed by the venue's own exact read (an order cancelled but still
    listed would otherwise count)."""

    def __init__(self, devnet: Devnet) -> None:
        from ama_tui.settings import LiveSettings
        from ama_tui.venues.base import VenueKind
        from ama_tui.venues.dexetra import DexetraVenue

        deployment = devnet.deployment
        settings = LiveSettings(devnet.rpc_url, deployment.registry, deployment.chain_id, devnet.app_url)
        self.venue = DexetraVenue(settings, kind=VenueKind.DEVNET)
        self._book = deployment.market("ETH-USD").order_book
        self._multicall = deployment.multicall
        self._rpc = JsonRpc(devnet.rpc_url)
        self.polls: list[tuple[float, float, int, int | None]] = []
        self._side: dict[int, bool] = {}
        """Order id -> is_buy, for the orders read live."""
        self._ids: dict[str, list[int]] = {}
        self.mismatches: list[str] = []
        """Polls where the quick count said short and the exact read said full (kept by --keep)."""

    def quick(self, traders: list[str]) -> dict[str, tuple[int, int]]:
        listed = read_many(
            self._rpc, self._multicall, [Read(self._book, BOOK, "getUserOrders", (t,)) for t in traders]
        )
        ids = {t: [int(i) for i in (v[0] if v else ())] for t, v in zip(traders, listed, strict=True)}
        new = sorted({i for held in ids.values() for i in held if i not in self._side})
        for at in range(0, len(new), 200):
            chunk = new[at : at + 200]
            reads = [Read(self._book, BOOK, "getOrder", (i,)) for i in chunk]
            orders = read_many(self._rpc, self._multicall, reads)
            for order_id, order in zip(chunk, orders, strict=True):
                if order is None:
                    continue  # the read failed (not the order): read it again at the next poll
                fields = order[0]  # the Order struct; a deleted order reads all zeros
                if int(fields[3]) > 0:
                    self._side[order_id] = bool(fields[4])
                # else not kept: anvil can answer `getOrder` of an order it has just listed in
                # `getUserOrders` as all zeros (seen at a poll's second read, the order live two
                # seconds on); kept as deleted, it left a full fleet counted one short until the
                # next re-quote (runs of 14-16 s against 4). Still listed, it is read again.
        self._ids = ids
        counts: dict[str, tuple[int, int]] = {}
        for trader, held in ids.items():
            sides = [self._side.get(i) for i in held]
            counts[trader] = (sum(s is True for s in sides), sum(s is False for s in sides))
        return counts

    def held(self, traders: list[str]) -> dict[str, tuple[int, int]]:
        """The exact count (the venue's read of every order)."""
        orders = self.venue.open_orders(self._book, traders)
        return {
            t: (sum(o.is_buy for o in held), sum(not o.is_buy for o in held)) for t, held in orders.items()
        }

    def full(self, traders: list[str], per_side: int) -> bool:
        """Every trader holds `per_side` on both sides (each poll is kept in `polls`: when it
        began, how long it took, the fewest a trader held on a side by the quick count and, when
        that said full, by the exact read)."""
        began = time.monotonic()
        counted = self.quick(traders)
        quick = min((min(counts) for counts in counted.values()), default=0)
        exact = None
        if quick >= per_side:
            exact = min((min(counts) for counts in self.held(traders).values()), default=0)
        elif quick == per_side - 1 and len(self.polls) % 20 == 19:
            self._check_short(traders, per_side, counted)
        self.polls.append((began, time.monotonic() - began, quick, exact))
        return exact is not None and exact >= per_side

    def _check_short(self, traders: list[str], per_side: int, counted: dict[str, tuple[int, int]]) -> None:
        """Now and then, when the quick count is one short: does the exact read agree? When it
        does not, what the quick count knew of the short wallets' orders is kept."""
        exact = self.held(traders)
        if min((min(counts) for counts in exact.values()), default=0) < per_side:
            return
        for trader, counts in counted.items():
            if min(counts) >= per_side:
                continue
            listed = self._ids.get(trader, [])
            again = read_many(
                self._rpc, self._multicall, [Read(self._book, BOOK, "getOrder", (i,)) for i in listed]
            )
            fresh = [None if o is None else (int(o[0][3]) > 0, bool(o[0][4])) for o in again]
            self.mismatches.append(
                f"poll {len(self.polls)} trader {trader} quick {counts} exact {exact[trader]} "
                f"ids {listed} cached {[self._side.get(i) for i in listed]} fresh (live, is_buy) {fresh}"
            )

    def close(self) -> None:
        self.venue.close()
        self._rpc.close()


def meta_nonces(devnet: Devnet, traders: list[str]) -> dict[str, int]:
    """Every trader's session nonce, in one batched read."""
    rpc = JsonRpc(devnet.rpc_url)
    try:
        registry = devnet.deployment.registry
        reads = [Read(registry, REGISTRY, "metaNonce", (trader,)) for trader in traders]
        values = read_many(rpc, devnet.deployment.multicall, reads)
    finally:
        rpc.close()
    return {t: int(v[0]) if v is not None else -1 for t, v in zip(traders, values, strict=True)}


def one_run(
    devnet: Devnet,
    proxy: LatencyProxy,
    watcher: BookWatcher,
    per_side: int,
    pipelined: bool,
    warm: bool,
    keep: Path | None = None,
) -> tuple[float, float]:
    """(launch to the last session on chain, launch to full pack) for a fresh run (a new state
    folder, new sessions). `warm`: the market was run before (the user's cache remembers its row
    and the relay's relayer set, so the run looks the market up only in the background and signs
    its sessions while the set is read again); cold: a first launch (an empty cache). `keep`: a
    folder to copy the run's journal, its stderr, the proxy's request log and the watcher's polls
    into (named by the run's start; times are seconds from the launch: a request's arrival,
    forwarding and answer; a poll's start and duration, then the fewest orders a trader held on a
    side by the quick count and by the exact read)."""
    traders = devnet.traders
    nonces = meta_nonces(devnet, traders)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("RPC_URL", "SESSION_REGISTRY", "CHAIN_ID"))
    }
    env |= {**devnet.env(), "APP_URL": proxy.url, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        env[CACHE_DIR_ENV] = str(Path(tmp) / "cache")
        if warm:
            row = next(
                r for r in watcher.venue.list_markets(search="ETH-USD").markets if r.symbol == "ETH-USD"
            )
            cache = MarketCache(Path(tmp) / "cache")
            cache.put(proxy.url, row)
            cache.put_relayer_root(proxy.url, watcher.venue.relayer_set_root())  # as that run left it
        args = [sys.executable, "-m", "ama_tui", "run", "--market", "ETH-USD", "--venue", "dexetra"]
        args += ["--csv", str(devnet.wallets_csv), "--state-dir", str(Path(tmp) / "st"), "--fresh"]
        args += [
            "--set",
            f"ordersPerSidePerWallet={per_side}",
            "--set",
            "minDelayMs=200",
            "--set",
            "maxDelayMs=400",
        ]
        args += [] if pipelined else ["--one-trade-per-wallet"]
        # stderr to a file, not a pipe nobody reads while the run lasts: the run's progress lines
        # would fill a pipe's 64 KB in a slow run and then block the run itself
        stderr_path = Path(tmp) / "stderr.txt"
        stderr = stderr_path.open("wb")
        started = time.monotonic()
        process = subprocess.Popen(args, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        sessions_s = packed_s = float("nan")
        try:
            while time.monotonic() - started < TIMEOUT_S:
                if process.poll() is not None:
                    tail = stderr_path.read_bytes()[-2000:].decode(errors="replace")
                    raise RuntimeError(f"the run ended early: {tail}")
                now = time.monotonic() - started
                if sessions_s != sessions_s:
                    opened = meta_nonces(devnet, traders)
                    if all(opened[t] > nonces[t] for t in traders):
                        sessions_s = now
                if watcher.full(traders, per_side):
                    packed_s = time.monotonic() - started
                    break
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            stderr.close()
            if keep is not None:
                name = f"run-{time.strftime('%H%M%S')}-{len(devnet.traders)}x{per_side}"
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copy(stderr_path, keep / f"{name}-stderr.txt")
                for journal in (Path(tmp) / "st").glob("**/actions.jsonl"):
                    shutil.copy(journal, keep / f"{name}-actions.jsonl")
                if watcher.mismatches:
                    (keep / f"{name}-mismatch.txt").write_text("\n".join(watcher.mismatches) + "\n")
                (keep / f"{name}-polls.txt").write_text(
                    "".join(
                        f"{began - started:.3f} {took:.3f} {quick} {'-' if exact is None else exact}\n"
                        for began, took, quick, exact in watcher.polls
                    )
                )
                if proxy.log is not None and proxy.log.exists():  # times from the launch
                    rows = [line.split() for line in proxy.log.read_text().splitlines()]
                    (keep / f"{name}-requests.txt").write_text(
                        "".join(
                            " ".join(f"{float(t) - started:.3f}" for t in row[:3]) + f" {row[3]} {row[4]}\n"
                            for row in rows
                        )
                    )
    return sessions_s, packed_s


def compile_bytecode() -> None:
    """Compile the project's own modules, as installing it does (the environment's are compiled by
    `uv sync --compile-bytecode`): where PYTHONDONTWRITEBYTECODE is set, as on these machines, every
    launch would otherwise compile ~200 modules from source (0.8 s of a 1.4 s start measured)."""
    package = Path(__file__).resolve().parent.parent / "ama_tui"
    compileall.compile_dir(package, quiet=1, workers=0)


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
    parser.add_argument(
        "--relay",
        choices=("process", "in-process"),
        default="process",
        help="run the devnet (anvil and the relay API) in its own process (default), or serve the "
        "relay from this script's process, sharing its interpreter lock with the proxy",
    )
    parser.add_argument(
        "--starts",
        default="cold,warm",
        help="cold (a first launch: the market is looked up through the relay), warm (a market run "
        "before: its row is remembered and only checked on the chain), or both (the default); the "
        "one-trade-per-wallet runs are cold",
    )
    parser.add_argument(
        "--block-time",
        type=int,
        metavar="SECONDS",
        help="the devnet mines a block every SECONDS with what was sent meanwhile, as a chain with a "
        "block time does (default: anvil's automine, one block per transaction at once)",
    )
    parser.add_argument(
        "--modes",
        default="pipelined,one",
        help="which runs: pipelined, one (one trade per wallet at a time), or both (the default)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="copy every run's journal, stderr and relay requests (times from the launch) into DIR, "
        "to read a slow run afterwards",
    )
    args = parser.parse_args()
    compile_bytecode()
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    if not modes or set(modes) - {"pipelined", "one"}:
        parser.error("--modes takes pipelined, one or pipelined,one")
    starts = [start.strip() for start in args.starts.split(",") if start.strip()]
    if not starts or set(starts) - {"cold", "warm"}:
        parser.error("--starts takes cold, warm or cold,warm")
    market = f"takers trading for {args.takers:.0f} s before" if args.takers else "a still market (no trades)"
    print(
        f"relay latency {args.latency_s:.1f} s per call; median of {args.repeat}; {market}; "
        f"devnet {'in its own process' if args.relay == 'process' else 'in this process'}; "
        f"{f'a block every {args.block_time} s' if args.block_time else 'one block per transaction'}"
    )
    print(f"{'fleet':>7} {'mode':>28} {'sessions':>9} {'full pack':>10} {'pack phase':>11}")
    start_devnet = devnet_process if args.relay == "process" else devnet_in_process

    def measured(wallets: int, per_side: int, pipelined: bool, warm: bool) -> tuple[float, float]:
        """One run on a devnet of its own: anvil slows down as its chain grows (a few hundred blocks
        on, each block costs more), so runs that shared one chain would not be comparable."""
        with (
            start_devnet(wallets, args.takers > 0, args.block_time) as devnet,
            tempfile.TemporaryDirectory() as logs,
        ):
            time.sleep(args.takers)
            log = Path(logs) / "requests.log" if args.keep else None
            proxy = LatencyProxy(devnet.app_url, args.latency_s, log)
            watcher = BookWatcher(devnet)
            try:
                return one_run(devnet, proxy, watcher, per_side, pipelined, warm, args.keep)
            finally:
                watcher.close()
                proxy.close()

    for fleet in args.fleets.split(","):
        wallets, per_side = (int(part) for part in fleet.lower().split("x"))
        results: dict[tuple[bool, bool], float] = {}
        for pipelined in (mode == "pipelined" for mode in modes):
            for warm in (start == "warm" for start in (starts if pipelined else ["cold"])):
                runs = [measured(wallets, per_side, pipelined, warm) for _ in range(args.repeat)]
                sessions = statistics.median(r[0] for r in runs)
                packed = statistics.median(r[1] for r in runs)
                results[pipelined, warm] = packed
                mode = ("pipelined" if pipelined else "one trade per wallet") + (", warm" if warm else "")
                phase = packed - sessions
                each = " ".join(f"{r[1]:.1f}" for r in runs)
                print(
                    f"{fleet:>7} {mode:>28} {sessions:>8.1f}s {packed:>9.1f}s {phase:>10.1f}s"
                    + (f"  (runs: {each})" if args.repeat > 1 else ""),
                    flush=True,
                )
        if (False, False) in results and (True, False) in results:
            ratio = results[False, False] / results[True, False]
            print(f"{fleet:>7} {'ratio (one/pipelined, cold)':>28} {ratio:>30.1f}x")


if __name__ == "__main__":
    main()
