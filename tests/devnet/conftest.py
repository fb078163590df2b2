"""One anvil node and one deployment shared by every devnet test.

Each test that takes `devnet` runs between `evm_snapshot` and `evm_revert`, so tests see the same
base state (contracts deployed, accounts funded, one all-methods session open) and cannot leak
orders or positions into each other. Only anvil's public dev keys are used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD
from web3.types import TxReceipt

from ama_tui.core.keys import PrivateKey
from ama_tui.devnet.deploy import (
    DevnetDeployment,
    MarketSpec,
    connect,
    contract,
    deploy_devnet,
    fund,
    send_as,
)
from ama_tui.devnet.node import AnvilNode, dev_key
from ama_tui.protocol.accounts import address_of
from ama_tui.protocol.methods import ALL_METHODS, Methods
from ama_tui.protocol.permits import build_session_permit, sign_session_permit
from ama_tui.protocol.relayers import relayer_proof

UNIT = 10**18
USDC = 10**6
ALU = MarketSpec("ALU-USD", tick6=10_000, margin_bps=10_000, initial_price6=4_500_000)
BTC = MarketSpec("BTC-USD", tick6=1_000_000, margin_bps=2_000, initial_price6=60_000_000_000)
TRADER_FUNDS6 = 100_000 * USDC
MAKER_FUNDS6 = 1_000_000 * USDC


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class Devnet:
    node: AnvilNode
    deployment: DevnetDeployment
    w3: Web3
    registry: Contract
    vault: Contract
    alu: Contract
    btc: Contract
    deployer: str
    relayer: str
    relayers: tuple[str, ...]
    trader_key: PrivateKey
    trader: str
    maker: str
    taker: str
    outsider: str
    pauper: str
    pauper_key: PrivateKey
    session_id: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    # --- chain facts ---------------------------------------------------------------------

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def market_id(self, book: Contract) -> bytes:
        return bytes(book.functions.marketId().call())

    def available(self, user: str) -> int:
        """getAvailableCollateral through eth_call (it is declared non-view)."""
        return int(self.vault.functions.getAvailableCollateral(user).call())

    def proof(self, relayer: str | None = None) -> list[str]:
        return relayer_proof(self.relayers, relayer or self.relayer)

    # --- sending -------------------------------------------------------------------------

    def send(self, sender: str, function: ContractFunction) -> TxReceipt:
        return send_as(self.w3, sender, function)

    def revert_reason(self, sender: str, function: ContractFunction) -> str:
        """The revert message of `function` sent by `sender` (fails the test if it would succeed)."""
        try:
            function.call({"from": sender})
        except ContractLogicError as error:
            return str(error.message)
        raise AssertionError(f"{function.fn_name} did not revert")

    def events(self, book: Contract, name: str, receipt: TxReceipt) -> list[dict[str, Any]]:
        logs = getattr(book.events, name)().process_receipt(receipt, errors=DISCARD)
        return [dict(log["args"]) for log in logs]

    # --- sessions ------------------------------------------------------------------------

    def permit(
        self,
        *,
        trader: str | None = None,
        methods: Methods = ALL_METHODS,
        markets: list[str] | None = None,
        expiry: int | None = None,
        nonce: int | None = None,
        max_per_trade: int = 0,
        max_per_session: int = 0,
    ) -> Any:
        trader = trader or self.trader
        return build_session_permit(
            trader=trader,
            relayer_set_root=self.deployment.relayer_set_root,
            expiry=expiry if expiry is not None else self.now() + 3600,
            nonce=nonce if nonce is not None else int(self.registry.functions.metaNonce(trader).call()),
            allowed_markets=markets if markets is not None else self.all_market_ids(),
            methods=methods,
            max_notional_per_trade=max_per_trade,
            max_notional_per_session=max_per_session,
        )

    def all_market_ids(self) -> list[str]:
        return [market.market_id_bytes32 for market in self.deployment.markets]

    def sign(self, permit: Any, key: PrivateKey | None = None) -> str:
        deployment = self.deployment
        return sign_session_permit(key or self.trader_key, deployment.chain_id, deployment.registry, permit)

    def create_session_call(self, permit: Any, signature: str) -> ContractFunction:
        args = (
            permit.trader,
            permit.relayer_set_root,
            permit.expiry,
            permit.max_notional_per_trade,
            permit.max_notional_per_session,
            permit.methods_bitmap,
            permit.session_salt,
            list(permit.allowed_markets),
            permit.nonce,
        )
        return self.registry.functions.createSession(args, signature)

    def open_session(self, *, key: PrivateKey | None = None, **permit_args: Any) -> str:
        key = key or self.trader_key
        permit = self.permit(trader=address_of(key), **permit_args)
        self.send(self.relayer, self.create_session_call(permit, self.sign(permit, key)))
        return str(permit.session_id)

    # --- trading through a session (what the relay will do) -----------------------------

    def place(
        self, book: Contract, price6: int, amount18: int, is_buy: bool, *, session_id: str | None = None
    ) -> tuple[int, TxReceipt]:
        function = book.functions.sessionPlaceMarginLimit(
            session_id or self.session_id, self.trader, price6, amount18, is_buy, self.proof()
        )
        receipt = self.send(self.relayer, function)
        placed = self.events(book, "OrderPlaced", receipt)
        return int(placed[0]["orderId"]), receipt


@pytest.fixture(scope="session")
def devnet_base(node_modules: Path) -> Iterator[Devnet]:
    keys = [dev_key(i) for i in range(10)]
    addresses = [address_of(key) for key in keys]
    relayers = (addresses[1], addresses[7], addresses[8])  # three leaves: an odd node pairs with itself
    with AnvilNode() as node:
        deployment = deploy_devnet(
            node.rpc_url, deployer_key=keys[0], relayer_addresses=relayers, markets=[ALU, BTC]
        )
        w3 = connect(node.rpc_url)
        devnet = Devnet(
            node=node,
            deployment=deployment,
            w3=w3,
            registry=contract(w3, "SessionRegistry", deployment.registry),
            vault=contract(w3, "CoreVault", deployment.vault),
            alu=contract(w3, "OrderBook", deployment.market(ALU.symbol).order_book),
            btc=contract(w3, "OrderBook", deployment.market(BTC.symbol).order_book),
            deployer=addresses[0],
            relayer=addresses[1],
            relayers=relayers,
            trader_key=keys[2],
            trader=addresses[2],
            maker=addresses[3],
            taker=addresses[4],
            outsider=addresses[5],
            pauper=addresses[6],
            pauper_key=keys[6],
        )
        fund(deployment, [devnet.trader], TRADER_FUNDS6)
        fund(deployment, [devnet.maker, devnet.taker], MAKER_FUNDS6)
        devnet.session_id = devnet.open_session()
        pid = node.pid
        yield devnet
    assert pid is not None and not pid_alive(pid), "anvil outlived its node"


@pytest.fixture()
def devnet(devnet_base: Devnet) -> Iterator[Devnet]:
    snapshot = devnet_base.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        yield devnet_base
    finally:
        reverted = devnet_base.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
        assert reverted["result"] is True
