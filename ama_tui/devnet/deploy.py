"""Deploy the devnet exchange on a running anvil, fund accounts and seed resting depth.

Everything is synchronous web3.py. Transactions of the deployer are signed locally with its key;
`fund` and the seeding helpers act as any address through anvil's impersonation, so they need
no keys (the devnet is always anvil).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Final, cast

import requests
from eth_account import Account
from eth_typing import ChecksumAddress
from eth_utils import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, Web3Exception
from web3.types import Nonce, RPCEndpoint, TxParams, TxReceipt, Wei

from ama_tui.core.keys import PrivateKey
from ama_tui.devnet.artifacts import load_artifact
from ama_tui.protocol.abi import MULTICALL3_ADDRESS
from ama_tui.protocol.accounts import address_of, checksum
from ama_tui.protocol.relayers import relayer_set_root

TX_TIMEOUT_S: Final = 30.0


class DevnetTxError(RuntimeError):
    """A devnet transaction was mined but reverted."""


@dataclass(frozen=True)
class MarketSpec:
    """A market to deploy: `tick6` and `initial_price6` in 6-decimal price units."""

    symbol: str
    tick6: int
    margin_bps: int
    initial_price6: int


@dataclass(frozen=True)
class DevnetMarket:
    symbol: str
    order_book: str
    market_id_bytes32: str
    tick6: int
    margin_bps: int
    initial_price6: int


@dataclass(frozen=True)
class DevnetDeployment:
    rpc_url: str
    chain_id: int
    deployer: str
    registry: str
    vault: str
    multicall: str
    relayers: tuple[str, ...]
    relayer_set_root: str
    markets: tuple[DevnetMarket, ...]

    def market(self, symbol: str) -> DevnetMarket:
        for market in self.markets:
            if market.symbol == symbol:
                return market
        raise KeyError(f"no devnet market {symbol!r}; have {[m.symbol for m in self.markets]}")

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (what a relay or a test harness hands to other processes)."""
        return asdict(self)


def market_id_for(symbol: str) -> str:
    """A market's `market_id_bytes32` on the devnet: keccak256 of its symbol's UTF-8 bytes."""
    return "0x" + keccak(text=symbol).hex()


def _address(address: str) -> ChecksumAddress:
    return Web3.to_checksum_address(checksum(address))


def connect(rpc_url: str) -> Web3:
    """A web3 client for a loopback node (no environment proxies, no silent retries)."""
    session = requests.Session()
    session.trust_env = False
    provider = Web3.HTTPProvider(
        rpc_url,
        session=session,
        request_kwargs={"timeout": TX_TIMEOUT_S},
        exception_retry_configuration=None,
        cache_allowed_requests=True,  # eth_chainId once, not before every transaction
        cacheable_requests={RPCEndpoint("eth_chainId")},
    )
    w3 = Web3(provider)
    w3.middleware_onion.remove("ens_name_to_address")
    return w3


@lru_cache(maxsize=8)
def client(rpc_url: str) -> Web3:
    """A shared `connect(rpc_url)` for the helpers below (one thread at a time)."""
    return connect(rpc_url)


def contract(w3: Web3, name: str, address: str) -> Contract:
    """A contract object for one of the devnet's contracts (ABI from the committed artifact;
    cached per client, since building one from an ABI is slow)."""
    return _contract(w3, name, _address(address))


@lru_cache(maxsize=64)
def _contract(w3: Web3, name: str, address: ChecksumAddress) -> Contract:
    return w3.eth.contract(address=address, abi=load_artifact(name).abi)


def registry_contract(w3: Web3, deployment: DevnetDeployment) -> Contract:
    return contract(w3, "SessionRegistry", deployment.registry)


def vault_contract(w3: Web3, deployment: DevnetDeployment) -> Contract:
    return contract(w3, "CoreVault", deployment.vault)


def order_book_contract(w3: Web3, deployment: DevnetDeployment, symbol: str) -> Contract:
    return contract(w3, "OrderBook", deployment.market(symbol).order_book)


# --- sending ----------------------------------------------------------------------------------


def _checked(w3: Web3, tx_hash: HexBytes, what: str) -> TxReceipt:
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=TX_TIMEOUT_S, poll_latency=0.01)
    if receipt["status"] != 1:
        raise DevnetTxError(f"{what} reverted: {mined_revert_reason(w3, receipt)} (tx 0x{tx_hash.hex()})")
    return receipt


def mined_revert_reason(w3: Web3, receipt: TxReceipt) -> str:
    """Why a mined transaction reverted, by replaying it with eth_call on the state before its
    block (exact under automine, where every transaction gets its own block)."""
    tx = w3.eth.get_transaction(receipt["transactionHash"])
    replay: TxParams = {"from": tx["from"], "data": tx["input"], "value": tx["value"], "gas": tx["gas"]}
    if tx.get("to") is not None:
        replay["to"] = tx["to"]
    try:
        w3.eth.call(replay, receipt["blockNumber"] - 1)
    except ContractLogicError as error:
        return str(error.message)
    except Web3Exception as error:
        return f"unknown ({type(error).__name__})"
    return "unknown (the replay succeeded)"


class Signer:
    """Sends transactions signed locally by one key, tracking its nonce (one sender at a time)."""

    def __init__(self, w3: Web3, key: PrivateKey) -> None:
        self._w3 = w3
        self._key = key
        self.address = cast(ChecksumAddress, address_of(key))  # address_of checksums already
        self._nonce = int(w3.eth.get_transaction_count(self.address, "pending"))

    def send(self, tx: dict[str, Any], what: str) -> TxReceipt:
        tx = {**tx, "from": self.address, "nonce": self._nonce, "chainId": self._w3.eth.chain_id}
        if "gas" not in tx:
            tx["gas"] = self._w3.eth.estimate_gas(tx)  # type: ignore[arg-type]
        signed = Account.sign_transaction(tx, self._key.reveal())
        tx_hash = self._w3.eth.send_raw_transaction(signed.raw_transaction)
        self._nonce += 1
        return _checked(self._w3, tx_hash, what)

    def _params(self) -> TxParams:
        return {"from": self.address, "nonce": Nonce(self._nonce)}

    def call(self, function: ContractFunction, what: str) -> TxReceipt:
        tx = function.build_transaction(self._params())
        return self.send(dict(tx), what)

    def deploy(self, name: str, *args: Any) -> str:
        artifact = load_artifact(name)
        factory = self._w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        tx = factory.constructor(*args).build_transaction(self._params())
        receipt = self.send(dict(tx), f"deploy {name}")
        address = receipt["contractAddress"]
        if address is None:
            raise DevnetTxError(f"deploy {name} created no contract")
        return str(address)


MAX_FEE_PER_GAS: Final = 100 * 10**9
"""Fee cap of impersonated sends: far above anvil's base fee, so fee lookups are never needed."""


def send_as(w3: Web3, sender: str, function: ContractFunction, *, gas: int | None = None) -> TxReceipt:
    """Send a contract call from any address through anvil's impersonation (no key needed).

    A reverting call raises web3's ContractLogicError with the revert reason (from gas estimation).
    The sender pays gas, so it needs ether (anvil's dev accounts have plenty).
    """
    address = _address(sender)
    if gas is None:
        gas = int(function.estimate_gas({"from": address}) * 6 // 5) + 20_000
    w3.provider.make_request("anvil_impersonateAccount", [address])  # type: ignore[arg-type]
    try:
        tx_hash = function.transact(
            {
                "from": address,
                "gas": gas,
                "maxFeePerGas": Wei(MAX_FEE_PER_GAS),
                "maxPriorityFeePerGas": Wei(0),
            }
        )
    finally:
        w3.provider.make_request("anvil_stopImpersonatingAccount", [address])  # type: ignore[arg-type]
    return _checked(w3, tx_hash, f"{function.fn_name} from {address}")


# --- deployment -------------------------------------------------------------------------------


def _as_spec(market: MarketSpec | Sequence[Any]) -> MarketSpec:
    if isinstance(market, MarketSpec):
        return market
    symbol, tick6, margin_bps, initial_price6 = market
    return MarketSpec(str(symbol), int(tick6), int(margin_bps), int(initial_price6))


def deploy_devnet(
    rpc_url: str,
    *,
    deployer_key: PrivateKey,
    relayer_addresses: Iterable[str],
    markets: Iterable[MarketSpec | tuple[str, int, int, int]],
) -> DevnetDeployment:
    """Deploy registry, vault and one order book per market; register the books with both;
    install Multicall3 at its canonical address. Like a fresh production market, a new market
    has no mark (`getMarkPrice` reads 0) and a 1.000000 placeholder `lastTradePrice` until its
    first trade: `initial_price6` only tells the seeder where to lay depth."""
    specs = [_as_spec(market) for market in markets]
    symbols = [spec.symbol for spec in specs]
    if len(set(symbols)) != len(symbols):
        raise ValueError(f"duplicate market symbols in {symbols}")
    relayers = tuple(checksum(address) for address in relayer_addresses)
    w3 = connect(rpc_url)
    signer = Signer(w3, deployer_key)

    registry_address = signer.deploy("SessionRegistry")
    vault_address = signer.deploy("CoreVault")
    registry = contract(w3, "SessionRegistry", registry_address)
    vault = contract(w3, "CoreVault", vault_address)

    deployed: list[DevnetMarket] = []
    for spec in specs:
        market_id = market_id_for(spec.symbol)
        book = signer.deploy(
            "OrderBook", vault_address, registry_address, market_id, spec.tick6, spec.margin_bps
        )
        signer.call(vault.functions.registerOrderBook(book, market_id), f"register {spec.symbol} in vault")
        signer.call(registry.functions.setOrderBook(book, True), f"register {spec.symbol} in registry")
        deployed.append(
            DevnetMarket(spec.symbol, book, market_id, spec.tick6, spec.margin_bps, spec.initial_price6)
        )

    install_multicall3(w3)
    return DevnetDeployment(
        rpc_url=rpc_url,
        chain_id=int(w3.eth.chain_id),
        deployer=signer.address,
        registry=registry_address,
        vault=vault_address,
        multicall=MULTICALL3_ADDRESS,
        relayers=relayers,
        relayer_set_root=relayer_set_root(relayers),
        markets=tuple(deployed),
    )


def install_multicall3(w3: Web3, address: str = MULTICALL3_ADDRESS) -> None:
    """Put our Multicall3's runtime code at the canonical address (anvil_setCode)."""
    code = load_artifact("Multicall3").deployed_bytecode
    w3.provider.make_request("anvil_setCode", [checksum(address), code])  # type: ignore[arg-type]
    if w3.eth.get_code(_address(address)).hex().removeprefix("0x") != code.removeprefix("0x"):
        raise DevnetTxError("anvil_setCode did not install Multicall3")


# --- funding and seeding ----------------------------------------------------------------------


def fund(deployment: DevnetDeployment, addresses: Iterable[str], amount6: int) -> None:
    """Credit `amount6` of collateral to each address (the vault owner's faucet, impersonated)."""
    w3 = client(deployment.rpc_url)
    vault = vault_contract(w3, deployment)
    for address in addresses:
        send_as(w3, deployment.deployer, vault.functions.deposit(checksum(address), amount6))


def market_order_as(
    deployment: DevnetDeployment, symbol: str, trader: str, amount18: int, is_buy: bool
) -> TxReceipt:
    """A direct market order from `trader` (a background taker)."""
    w3 = client(deployment.rpc_url)
    book = order_book_contract(w3, deployment, symbol)
    return send_as(w3, trader, book.functions.placeMarginMarket(amount18, is_buy))
