"""The devnet on a chain with a block time (`block_time`): anvil mines a block every second with
whatever was sent meanwhile, as production's chain does, instead of one block per transaction.

What automine hid and a block time shows: sessions waited for under the relayer's lock (a relayer
then served one session per block), and anvil dropping a transaction it tried after passing over
the same relayer's previous one for lack of room in a block ("nonce too high"; the blocks are made
big enough). The relay's nonce read (the pool and the mined count, not anvil's costly "pending"
count) must still give every trade its own nonce when many wait across blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from eth_typing import HexStr
from web3.logs import DISCARD

from ama_tui.devnet.deploy import connect, contract
from ama_tui.devnet.relay import SESSION_INIT
from ama_tui.devnet.stack import DevnetStack
from ama_tui.store.wallets_csv import WalletEntry

from .relay_trader import RelayTrader, init_body

pytestmark = pytest.mark.devnet

HTTP_TIMEOUT_S = 30.0
BURST = 60
"""Placements sent at once: more than anvil's default 30 M block holds (a placement is sent with
about 1.1 M gas), all waiting in the pool together."""
DEFAULT_BLOCK_GAS = 30_000_000
MIXED = 40
"""Placements then, at once, as many more placements and cancels of the first: about 60 M gas."""


@pytest.fixture(scope="module")
def stack(node_modules: Any) -> Iterator[DevnetStack]:
    # Two relayers for six wallets: the session test below needs more sessions than relayers (each
    # relayer sends several, as production's pool does under a fleet's start).
    with DevnetStack(wallets=6, block_time=1, relayers=2) as running:
        yield running


@pytest.fixture(scope="module")
def api(stack: DevnetStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.app_url, timeout=HTTP_TIMEOUT_S, trust_env=False) as client:
        yield client


def test_the_chain_mines_on_its_interval(stack: DevnetStack) -> None:
    w3 = connect(stack.rpc_url)
    assert w3.provider.make_request("anvil_getAutomine", [])["result"] is False  # type: ignore[arg-type]
    first = w3.eth.block_number
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert w3.eth.block_number == first + 1


def test_sessions_sent_together_are_mined_together(stack: DevnetStack, api: httpx.Client) -> None:
    wallets = stack.wallets.wallets
    bodies = [init_body(stack, wallet) for wallet in wallets]
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = list(pool.map(lambda body: api.post(SESSION_INIT, json=body), bodies))
    assert [a.status_code for a in answers] == [200] * len(bodies), [a.text for a in answers]
    blocks = {int(a.json()["blockNumber"]) for a in answers}
    # Two relayers: with the lock held until mined, six sessions took at least three blocks.
    assert len(blocks) <= 2, blocks


def _mined(stack: DevnetStack, answers: list[httpx.Response]) -> list[Any]:
    """The receipts of trades answered `pending`; every one is mined (none was dropped from the
    pool, which would leave its hash unknown to the node)."""
    refused = [a.text for a in answers if a.status_code != 200]
    assert not refused, refused
    assert all(a.json().get("pending") is True for a in answers)
    w3 = connect(stack.rpc_url)
    hashes = [HexStr(a.json()["txHash"]) for a in answers]
    receipts = [w3.eth.wait_for_transaction_receipt(h, timeout=HTTP_TIMEOUT_S) for h in hashes]
    assert all(receipt["status"] == 1 for receipt in receipts)
    # More than anvil's default block (30 M gas) holds: the case that lost transactions.
    assert sum(int(w3.eth.get_transaction(h)["gas"]) for h in hashes) > DEFAULT_BLOCK_GAS
    return receipts


def _book(stack: DevnetStack) -> Any:
    return contract(connect(stack.rpc_url), "OrderBook", stack.deployment.market("ETH-USD").order_book)


def _placed(stack: DevnetStack, receipts: list[Any]) -> dict[int, int]:
    """Order id -> price of the OrderPlaced events in `receipts`."""
    book = _book(stack)
    return {
        int(event["args"]["orderId"]): int(event["args"]["price"])
        for receipt in receipts
        for event in book.events.OrderPlaced().process_receipt(receipt, errors=DISCARD)
    }


def _held(stack: DevnetStack, wallet: WalletEntry) -> set[int]:
    return {int(i) for i in _book(stack).functions.getUserOrders(wallet.address).call()}


def test_a_burst_bigger_than_a_block_lands_whole(stack: DevnetStack, api: httpx.Client) -> None:
    trader = RelayTrader(stack, api, stack.wallets.wallets[0])
    prices = [2_900_000_000 - i * 10_000 for i in range(BURST)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(trader.place, prices))
    placed = _placed(stack, _mined(stack, answers))
    assert sorted(placed.values()) == sorted(prices)
    assert _held(stack, trader.wallet) == set(placed)


def test_big_and_small_trades_mixed_past_a_block_all_land(stack: DevnetStack, api: httpx.Client) -> None:
    """Placements (about 1.1 M gas each) and cancels (a third of that) sent together, more than
    a 30 M block holds: anvil passed over a placement that did not fit in what was left of a block,
    tried the relayer's next transaction, a cancel, which failed "nonce too high" and was dropped
    (with everything after it stuck behind the gap)."""
    trader = RelayTrader(stack, api, stack.wallets.wallets[1])
    first = [2_800_000_000 - i * 10_000 for i in range(MIXED)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        resting = sorted(_placed(stack, _mined(stack, list(pool.map(trader.place, first)))))
    then = [2_700_000_000 - i * 10_000 for i in range(MIXED)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        places = [pool.submit(trader.place, price6) for price6 in then]
        cancels = [pool.submit(trader.cancel, order_id) for order_id in resting]
        answers = [future.result() for pair in zip(places, cancels, strict=True) for future in pair]
    placed = _placed(stack, _mined(stack, answers))
    assert sorted(placed.values()) == sorted(then)
    assert _held(stack, trader.wallet) == set(placed)  # every cancel landed too
