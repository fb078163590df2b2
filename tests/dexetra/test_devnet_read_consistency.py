"""The venue's order read on the devnet while orders land, block after block: an order listed by
`getUserOrders` is never reported gone by `read_orders` while it rests.

Placements here are never cancelled nor filled (each at its own price, far from the book, no
takers), so every order listed rests: a listed order missing from the read is the fault this
guards against (anvil under automine can answer a later eth_call from an older state than an
earlier one). Reads that fail instead (VenueUnavailable: the node stayed older) are allowed and
counted. Bounded: the placements stop after `DEADLINE_S` whatever they reached (about 10 s in all on the
development machine)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from ama_tui.devnet.stack import DevnetStack
from ama_tui.protocol.abi import parse_abi
from ama_tui.venues.base import VenueUnavailable
from ama_tui.venues.dexetra import chain as chain_module
from ama_tui.venues.dexetra.chain import ChainReader
from ama_tui.venues.dexetra.codec import AbiFunction, RawOrder
from ama_tui.venues.dexetra.rpc import JsonRpcClient

pytestmark = pytest.mark.devnet

WALLETS = 6
PER_WALLET = 40
DEADLINE_S = 60.0
PLACE = AbiFunction.of(
    parse_abi(
        ("function placeMarginLimit(uint256 price, uint256 amount, bool isBuy) returns (uint256 orderId)",)
    ),
    "placeMarginLimit",
)


@pytest.fixture(scope="module")
def stack(node_modules: Path) -> Iterator[DevnetStack]:
    with DevnetStack(wallets=WALLETS) as running:
        yield running


def _rpc(http: httpx.Client, url: str, method: str, *params: Any) -> Any:
    reply = http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).json()
    assert "error" not in reply, reply
    return reply["result"]


def _place_all(
    url: str, book: str, trader: str, index: int, tick6: int, mid6: int, until: float
) -> list[str]:
    """Up to `PER_WALLET` resting orders of `trader` (impersonated: no key), one transaction at a
    time; their transaction hashes."""
    hashes: list[str] = []
    with httpx.Client(trust_env=False, timeout=30.0) as http:
        for k in range(PER_WALLET):
            if time.monotonic() > until:
                break
            is_buy = k % 2 == 0
            offset = (300 + index * PER_WALLET + k) * tick6
            data = PLACE.encode(mid6 - offset if is_buy else mid6 + offset, 10**16, is_buy)
            tx = {"from": trader, "to": book, "data": "0x" + data.hex(), "gas": hex(1_500_000)}
            hashes.append(_rpc(http, url, "eth_sendTransaction", tx))
    return hashes


def _mined_ok(url: str, hashes: Sequence[str], until: float) -> int:
    """How many of `hashes` were mined without a revert (waiting for them until `until`)."""
    waiting = list(hashes)
    ok = 0
    with httpx.Client(trust_env=False, timeout=30.0) as http:
        while waiting and time.monotonic() < until:
            receipt = _rpc(http, url, "eth_getTransactionReceipt", waiting[0])
            if receipt is None:
                time.sleep(0.05)
                continue
            waiting.pop(0)
            ok += receipt["status"] == "0x1"
    assert not waiting, f"{len(waiting)} placements not mined in time"
    return ok


def test_a_listed_order_is_never_read_as_gone_while_orders_land(
    stack: DevnetStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    market = stack.deployment.market("ETH-USD")
    traders = [wallet.address for wallet in stack.wallets.wallets]
    url = stack.rpc_url
    with httpx.Client(trust_env=False, timeout=30.0) as http:
        for trader in traders:
            _rpc(http, url, "anvil_impersonateAccount", trader)
            _rpc(http, url, "anvil_setBalance", trader, hex(10**21))

    gone: list[str] = []
    real_resting = chain_module._resting

    def checked(
        wallets: Sequence[str], ids_of: dict[str, list[int]], landed: set[int], held: dict[int, RawOrder]
    ) -> Any:
        resting = real_resting(wallets, ids_of, landed, held)
        for wallet in wallets:
            missing = set(ids_of[wallet]) - {o.order_id for o in resting[wallet]}
            if missing:
                gone.append(f"{wallet}: listed {sorted(missing)}, reported gone")
        return resting

    monkeypatch.setattr(chain_module, "_resting", checked)
    reader = ChainReader(JsonRpcClient(url, timeout=30.0))
    reader.configure(multicall=True)
    before = sum(len(orders) for orders in reader.read_orders(market.order_book, traders).orders.values())
    done = threading.Event()
    reads = unavailable = 0
    seen: dict[str, set[int]] = {t: set() for t in traders}
    shrunk: list[str] = []

    def hammer() -> None:
        nonlocal reads, unavailable
        while not done.is_set():
            try:
                read = reader.read_orders(market.order_book, traders)
            except VenueUnavailable:
                unavailable += 1
                continue
            reads += 1
            for trader in traders:
                now = {o.order_id for o in read.orders[trader]}
                if not seen[trader] <= now:
                    shrunk.append(f"{trader}: {sorted(seen[trader] - now)} reported, then not")
                seen[trader] |= now

    reading = threading.Thread(target=hammer, name="read-hammer")
    reading.start()
    until = time.monotonic() + DEADLINE_S
    placed: list[list[str]] = [[] for _ in traders]

    def place(index: int, trader: str) -> None:
        placed[index] = _place_all(
            url, market.order_book, trader, index, market.tick6, market.initial_price6, until
        )

    placers = [threading.Thread(target=place, args=(i, t)) for i, t in enumerate(traders)]
    try:
        for thread in placers:
            thread.start()
        for thread in placers:
            thread.join()
    finally:
        done.set()
        reading.join()
    hashes = [h for sent in placed for h in sent]
    resting = _mined_ok(url, hashes, time.monotonic() + 30.0)
    final = reader.read_orders(market.order_book, traders)
    reader.rpc.close()
    print(f"\n{len(hashes)} placements ({resting} rest), {reads} reads during them, {unavailable} failed")
    assert reads >= 10
    assert not gone, gone[:5]
    assert not shrunk, shrunk[:5]
    assert resting == len(hashes)
    assert sum(len(orders) for orders in final.orders.values()) == before + resting
