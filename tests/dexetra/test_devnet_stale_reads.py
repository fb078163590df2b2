"""The packer on the devnet, on the wall clock, with relay latency, reading the chain through a node
that serves some reads from an older block (`lagging_rpc.LaggingRpcProxy`): no side of any wallet
ever holds more than its target, no slot is placed twice, no wallet goes over its cap. Checked on
the chain itself (anvil, at an explicit block), sampled during the run and at its end, never from
the run's own view.

First, that the proxy does lag: an order just placed reads as all zeros through it, and the
venue's read, whose second round it serves older, fails rather than report the order gone."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ama_tui.devnet.stack import DevnetStack
from ama_tui.protocol.abi import MULTICALL3_ADDRESS, parse_abi
from ama_tui.venues.base import VenueUnavailable
from ama_tui.venues.dexetra.calls import Call, CallExecutor, CallResult, decoded
from ama_tui.venues.dexetra.chain import ChainReader
from ama_tui.venues.dexetra.codec import (
    GET_AVAILABLE_COLLATERAL,
    GET_ORDER,
    GET_USER_ORDERS,
    AbiFunction,
    decode_order,
)
from ama_tui.venues.dexetra.rpc import JsonRpcClient
from benchmarks.latency_proxy import LatencyProxy

from .lagging_rpc import LaggingRpcProxy, calls_function

pytestmark = pytest.mark.devnet


WALLETS = 6
PER_SIDE = 3
UTILIZATION_BPS = 250
"""Low enough that the cap binds (a full book reserves about 3.2 % of a wallet's collateral
here), so the samples' over-cap check is a real one."""
RELAY_LATENCY_S = 0.3
RUN_S = 25.0
SAMPLE_EVERY_S = 0.25
LAGGED = 0.6
"""The fraction of the run's read POSTs the node serves from an older block."""
MAX_LAG = 6
SETS = (
    "minDelayMs=100",
    "maxDelayMs=300",
    f"ordersPerSidePerWallet={PER_SIDE}",
    f"maxWalletUtilization={UTILIZATION_BPS / 10_000}",
)


PLACE = AbiFunction.of(
    parse_abi(
        ("function placeMarginLimit(uint256 price, uint256 amount, bool isBuy) returns (uint256 orderId)",)
    ),
    "placeMarginLimit",
)


def _rpc(http: httpx.Client, url: str, method: str, *params: Any) -> Any:
    reply = http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).json()
    assert "error" not in reply, reply
    return reply["result"]


# ---------------------------------------------------------------------------------- the proxy


def test_the_proxy_serves_a_just_placed_order_as_zeros_and_the_read_does_not_take_it_gone(
    node_modules: Path,
) -> None:
    with DevnetStack(wallets=1) as stack, httpx.Client(trust_env=False, timeout=30.0) as http:
        market = stack.deployment.market("ETH-USD")
        book = market.order_book
        (trader,) = [wallet.address for wallet in stack.wallets.wallets]
        _rpc(http, stack.rpc_url, "anvil_impersonateAccount", trader)
        _rpc(http, stack.rpc_url, "anvil_setBalance", trader, hex(10**21))
        data = PLACE.encode(market.initial_price6 - 300 * market.tick6, 10**16, True)
        tx = {"from": trader, "to": book, "data": "0x" + data.hex(), "gas": hex(1_500_000)}
        tx_hash = _rpc(http, stack.rpc_url, "eth_sendTransaction", tx)
        receipt = None
        while receipt is None:
            receipt = _rpc(http, stack.rpc_url, "eth_getTransactionReceipt", tx_hash)
        assert receipt["status"] == "0x1"
        placed_in = int(receipt["blockNumber"], 16)
        assert int(_rpc(http, stack.rpc_url, "eth_blockNumber"), 16) == placed_in
        ids = decoded(
            GET_USER_ORDERS, _call_direct(http, stack.rpc_url, book, GET_USER_ORDERS.encode(trader))
        )
        assert ids is not None
        order_id = int(ids[0][-1])

        def probe(url: str) -> tuple[bool, bool, int | None]:
            """(the order reads live, it is listed, the block told) from one aggregate3."""
            rpc = JsonRpcClient(url, timeout=30.0)
            try:
                run = CallExecutor(rpc, multicall=True).run_chunks(
                    [[Call(book, GET_ORDER.encode(order_id)), Call(book, GET_USER_ORDERS.encode(trader))]]
                )
            finally:
                rpc.close()
            (order_result, listing_result), block = run.results[0], run.blocks[0]
            listing = decoded(GET_USER_ORDERS, listing_result)
            assert order_result.success and listing is not None
            live = not decode_order(order_result.data).deleted
            return live, order_id in {int(i) for i in listing[0]}, block

        assert probe(stack.rpc_url) == (True, True, placed_in)
        with LaggingRpcProxy(stack.rpc_url, fraction=1.0, max_lag=1) as proxy:
            # one older state throughout: the order unknown, unlisted, and the block told is that state's
            assert probe(proxy.url) == (False, False, placed_in - 1)
            assert int(_rpc(http, proxy.url, "eth_blockNumber"), 16) == placed_in - 1
            assert proxy.snapshot().lagged_posts == 2
        with LaggingRpcProxy(stack.rpc_url, hide_multicall3=True, fraction=0.0) as proxy:
            assert _rpc(http, proxy.url, "eth_getCode", MULTICALL3_ADDRESS, "latest") == "0x"

        # round 1 (the listing) as it is, every round 2 (getOrder) one block older: the venue's
        # read must not report the listed order gone; it reads round 2 again, then fails
        for multicall in (True, False):
            with LaggingRpcProxy(
                stack.rpc_url, fraction=1.0, max_lag=1, only=calls_function(GET_ORDER.selector)
            ) as proxy:
                reader = ChainReader(JsonRpcClient(proxy.url, timeout=30.0))
                reader.configure(multicall=multicall)
                try:
                    with pytest.raises(VenueUnavailable, match=f"order {order_id}: the RPC node read it"):
                        reader.read_orders(book, [trader])
                finally:
                    reader.rpc.close()
                assert proxy.snapshot().lagged_posts >= 3, "round 2 was not served older"


def _call_direct(http: httpx.Client, url: str, target: str, data: bytes) -> CallResult:
    result = _rpc(http, url, "eth_call", {"to": target, "data": "0x" + data.hex()}, "latest")
    return CallResult(True, bytes.fromhex(result[2:]))


# ---------------------------------------------------------------------------------- the run


@dataclass
class ChainWatch:
    """Samples every wallet's live orders and free collateral on anvil itself, each sample at one
    explicit block (a consistent state, whatever the proxy serves the run)."""

    stack: DevnetStack
    traders: Sequence[str]
    samples: int = 0
    over_target: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    over_cap: list[str] = field(default_factory=list)
    most_per_side: int = 0
    most_used_bps: int = 0
    """The highest share of a wallet's collateral its resting orders reserved in any sample."""

    def __post_init__(self) -> None:
        self.reader = ChainReader(JsonRpcClient(self.stack.rpc_url, timeout=30.0))
        self.reader.configure(multicall=True)
        self.book = self.stack.deployment.market("ETH-USD").order_book
        self.vault = self.stack.deployment.vault

    def close(self) -> None:
        self.reader.rpc.close()

    def sample(self) -> None:
        head = self.reader.head()
        held = self.reader.orders_at(self.book, [(head, t) for t in self.traders])
        assert held is not None, f"anvil no longer holds block {head}"
        (results,), _ = self.reader.executor.run_groups(
            [(hex(head), [Call(self.vault, GET_AVAILABLE_COLLATERAL.encode(t)) for t in self.traders])]
        )
        self.samples += 1
        for trader, result in zip(self.traders, results, strict=True):
            orders = held[(head, trader)]
            buys = sum(o.is_buy for o in orders)
            sells = len(orders) - buys
            self.most_per_side = max(self.most_per_side, buys, sells)
            if buys > PER_SIDE or sells > PER_SIDE:
                self.over_target.append(f"block {head}: {trader} holds {buys} buys, {sells} sells")
            slots = [(o.is_buy, o.price6) for o in orders]
            if len(set(slots)) != len(slots):
                self.doubled.append(f"block {head}: {trader} has two orders at one side and price: {slots}")
            values = decoded(GET_AVAILABLE_COLLATERAL, result)
            assert values is not None
            reserved = sum(o.margin_required6 for o in orders if o.is_margin_order)
            total = max(0, int(values[0]) + reserved)
            cap = total * UTILIZATION_BPS // 10_000
            if total:
                self.most_used_bps = max(self.most_used_bps, reserved * 10_000 // total)
            if reserved > cap:
                self.over_cap.append(f"block {head}: {trader} reserves {reserved} > cap {cap}")


def _env(stack: DevnetStack, rpc_url: str, app_url: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("RPC_URL", "SESSION_REGISTRY", "CHAIN_ID"))
    }
    env.pop("NEXT_PUBLIC_CHAIN_ID", None)
    return {**env, **stack.env(), "RPC_URL": rpc_url, "APP_URL": app_url, "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def stack(node_modules: Path) -> Iterator[DevnetStack]:
    with DevnetStack(wallets=WALLETS, takers=True, taker_interval=1.0) as running:
        yield running


@pytest.mark.slow
@pytest.mark.parametrize("multicall", [True, False], ids=["multicall3", "plain-calls"])
def test_a_lagging_node_never_makes_the_packer_place_twice(
    stack: DevnetStack, tmp_path: Path, multicall: bool
) -> None:
    traders = [wallet.address for wallet in stack.wallets.wallets]
    watch = ChainWatch(stack, traders)
    relay = LatencyProxy(stack.app_url, RELAY_LATENCY_S)
    proxy = LaggingRpcProxy(
        stack.rpc_url, fraction=LAGGED, max_lag=MAX_LAG, seed=7, hide_multicall3=not multicall
    )
    command = [sys.executable, "-m", "ama_tui", "run", "--market", "ETH-USD", "--venue", "dexetra"]
    command += ["--csv", str(stack.wallets_csv), "--state-dir", str(tmp_path / "state"), "--fresh"]
    command += ["--duration", str(RUN_S)]
    for assignment in SETS:
        command += ["--set", assignment]
    stopped = threading.Event()

    def sample() -> None:
        while not stopped.wait(SAMPLE_EVERY_S):
            watch.sample()

    sampler = threading.Thread(target=sample, name="chain-watch", daemon=True)
    try:
        sampler.start()
        run = subprocess.run(
            command,
            cwd=tmp_path,
            env=_env(stack, proxy.url, relay.url),
            capture_output=True,
            text=True,
            timeout=RUN_S + 60,
        )
        stopped.set()
        sampler.join(10)
        watch.sample()  # and the book the run left
        lagged = proxy.snapshot()
    finally:
        stopped.set()
        proxy.close()
        relay.close()
        watch.close()
    progress = run.stderr
    journal = (next((tmp_path / "state").rglob("actions.jsonl"))).read_text()
    places = journal.count('"PLACE_LIMIT"')
    cancels = journal.count('"CANCEL')
    failed_reads = progress.count("read failed:")
    path = "multicall3" if multicall else "plain calls"
    print(
        f"\n{path}: {lagged.lagged_posts} of {lagged.posts} read POSTs served 1-{MAX_LAG} blocks old "
        f"({lagged.lagged_calls} eth_calls, {lagged.lagged_block_numbers} eth_blockNumber); "
        f"{places} placements, {cancels} cancels; {failed_reads} reads failed (the node stayed older); "
        f"{watch.samples} chain samples, at most {watch.most_per_side} a side, at most "
        f"{watch.most_used_bps / 100:.1f} % of a wallet's collateral reserved; exit {run.returncode}"
    )
    assert "Traceback" not in progress, progress[-3000:]
    assert run.returncode in (0, 4), progress[-3000:]
    if run.returncode == 4:
        assert "kill switch" in progress
    assert lagged.lagged_posts >= 25, "the proxy hardly lagged: the test would prove nothing"
    assert places >= WALLETS * 2 * PER_SIDE, "the run never packed"
    assert watch.samples >= 20
    assert watch.over_target == [], watch.over_target[:5]
    assert watch.doubled == [], watch.doubled[:5]
    assert watch.over_cap == [], watch.over_cap[:5]
    assert watch.most_used_bps >= UTILIZATION_BPS * 9 // 10, "the cap never bound: its check proved nothing"
