"""The devnet relay sends from a pool of relayer keys, as production's does: anvil's dev accounts
1 and 2 and keys derived from a public label, every one in the deployment's relayer set and given
ether, and concurrent trades spread over the pool (with two keys, each sending one transaction at
a time, a 50-wallet pack ran at 40-50 trades a second)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from eth_typing import HexStr

from ama_tui.devnet.deploy import connect
from ama_tui.devnet.node import dev_key
from ama_tui.devnet.relay import RELAYER_SET
from ama_tui.devnet.seeding import RELAYER_COUNT, default_relayer_keys
from ama_tui.devnet.stack import DevnetStack
from ama_tui.protocol.accounts import address_of

from .relay_trader import RelayTrader

pytestmark = pytest.mark.devnet

HTTP_TIMEOUT_S = 30.0
TRADES = 48


def test_the_relayer_keys_are_the_dev_relayers_then_distinct_derived_ones() -> None:
    keys = default_relayer_keys()
    assert len(keys) == RELAYER_COUNT and len(set(keys)) == RELAYER_COUNT
    assert keys[:2] == (dev_key(1), dev_key(2))
    assert default_relayer_keys(1) == (dev_key(1),)
    assert default_relayer_keys(4) == keys[:4]  # the same keys from one run to the next
    with pytest.raises(ValueError, match="at least one relayer"):
        default_relayer_keys(0)


@pytest.fixture(scope="module")
def stack(node_modules: Any) -> Iterator[DevnetStack]:
    with DevnetStack(wallets=1) as running:
        yield running


def test_concurrent_trades_are_sent_from_the_whole_pool(stack: DevnetStack) -> None:
    with httpx.Client(base_url=stack.app_url, timeout=HTTP_TIMEOUT_S, trust_env=False) as api:
        listed = api.get(RELAYER_SET).json()["relayerAddresses"]
        expected = [address_of(key) for key in default_relayer_keys()]
        assert [a.lower() for a in listed] == [a.lower() for a in expected]
        w3 = connect(stack.rpc_url)
        assert all(w3.eth.get_balance(address) > 0 for address in listed), "a relayer has no ether"

        trader = RelayTrader(stack, api, stack.wallets.wallets[0])
        prices = [2_900_000_000 - i * 10_000 for i in range(TRADES)]
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(trader.place, prices))
    assert [a.status_code for a in answers] == [200] * TRADES, [a.text for a in answers]
    hashes = [HexStr(a.json()["txHash"]) for a in answers]
    receipts = [w3.eth.wait_for_transaction_receipt(h, timeout=HTTP_TIMEOUT_S) for h in hashes]
    assert all(receipt["status"] == 1 for receipt in receipts)
    senders = {receipt["from"].lower() for receipt in receipts}
    assert senders <= {a.lower() for a in listed}
    # relayers take turns: far more than the two dev accounts sent these
    assert len(senders) >= min(TRADES, RELAYER_COUNT) // 2, senders
