"""Seed a fresh devnet: deploy and list the markets, fund the trading wallets, lay resting depth
from a maker that is not one of them, and optionally trade against it in the background.

The maker and the taker are keyless addresses acted for through anvil's impersonation, so they
never collide with a wallet from the user's CSV. Bulk sends go out as one JSON-RPC batch with
explicit nonces (a few round trips instead of several per transaction).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
from eth_utils import keccak
from web3 import Web3

from ama_tui.core.keys import PrivateKey
from ama_tui.devnet.catalog import DEFAULT_MARKETS, USDC6, MarketListing
from ama_tui.devnet.deploy import (
    MAX_FEE_PER_GAS,
    TX_TIMEOUT_S,
    DevnetDeployment,
    DevnetTxError,
    connect,
    contract,
    deploy_devnet,
    mined_revert_reason,
    order_book_contract,
    send_as,
)
from ama_tui.devnet.node import dev_key
from ama_tui.devnet.wallets import prepare_wallets
from ama_tui.protocol.accounts import address_of, checksum
from ama_tui.store.wallets_csv import LoadedWallets

log = logging.getLogger(__name__)

DEFAULT_WALLET_FUNDS6: Final = 100_000 * USDC6
MAKER_FUNDS6: Final = 100_000_000 * USDC6
TAKER_FUNDS6: Final = 100_000_000 * USDC6
ROLE_ETH_WEI: Final = 10_000 * 10**18
PLACE_GAS: Final = 1_500_000
DEPOSIT_GAS: Final = 200_000
BATCH_TIMEOUT_S: Final = 30.0


def _role_address(role: str) -> str:
    """A keyless address for a devnet role (acted for through impersonation only)."""
    return checksum("0x" + keccak(text=f"ama-tui devnet {role}")[-20:].hex())


MAKER_ADDRESS: Final = _role_address("maker")
TAKER_ADDRESS: Final = _role_address("taker")


RELAYER_COUNT: Final = 32
"""How many keys relay the gasless trades. Production's relay sends from a pool of relayers; each
key sends one transaction at a time (its nonce read, signing and send under its lock), so with
two a 50-wallet pack ran at 40-50 trades a second; with 32 (and the relay on uvloop) it answers
600 placements in 4-5 s behind a 1 s proxy (2026-12-03)."""


def default_relayer_keys(count: int = RELAYER_COUNT) -> tuple[PrivateKey, ...]:
    """anvil dev accounts 1 and 2, then keys derived from a public label (devnet only: anyone can
    derive them; `seed_devnet` gives them ether)."""
    if count < 1:
        raise ValueError("the relay needs at least one relayer key")
    derived = (PrivateKey(keccak(text=f"ama-tui devnet relayer {i}").hex()) for i in range(count - 2))
    return (dev_key(1), dev_key(2), *derived)[:count]


@dataclass(frozen=True)
class SeededDevnet:
    deployment: DevnetDeployment
    listings: tuple[MarketListing, ...]
    wallets: LoadedWallets
    wallets_csv: Path
    wallets_created: bool
    maker: str
    taker: str


# --- JSON-RPC batches ----------------------------------------------------------------------------


def rpc_batch(
    rpc_url: str, calls: Sequence[tuple[str, list[Any]]], *, timeout: float = BATCH_TIMEOUT_S
) -> list[Any]:
    """Many JSON-RPC calls in one HTTP request; results in call order, the first error raised."""
    if not calls:
        return []
    body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    with httpx.Client(trust_env=False, timeout=timeout) as http:
        response = http.post(rpc_url, json=body)
        response.raise_for_status()
        replies = response.json()
    if not isinstance(replies, list):
        replies = [replies]
    by_id = {reply.get("id"): reply for reply in replies if isinstance(reply, dict)}
    results: list[Any] = []
    for i, (method, _) in enumerate(calls):
        reply = by_id.get(i)
        if reply is None:
            raise DevnetTxError(f"{method}: the node sent no answer in the batch")
        if "error" in reply:
            message = (
                reply["error"].get("message", reply["error"]) if isinstance(reply["error"], dict) else reply
            )
            raise DevnetTxError(f"{method} failed: {message}")
        results.append(reply.get("result"))
    return results


def _endpoint(w3: Web3) -> str:
    return str(getattr(w3.provider, "endpoint_uri", ""))


def send_batch(w3: Web3, sender: str, calls: Sequence[tuple[str, str]], *, gas: int, what: str) -> list[Any]:
    """Send `(to, data)` calls from `sender` (impersonated) with consecutive nonces, then wait for
    every receipt; raises DevnetTxError naming the first revert. Returns the receipts in order."""
    if not calls:
        return []
    rpc_url = _endpoint(w3)
    sender = checksum(sender)
    nonce = int(w3.eth.get_transaction_count(Web3.to_checksum_address(sender), "pending"))
    rpc_batch(rpc_url, [("anvil_impersonateAccount", [sender])])
    try:
        txs = [
            {
                "from": sender,
                "to": to,
                "data": data,
                "gas": hex(gas),
                "nonce": hex(nonce + i),
                "maxFeePerGas": hex(MAX_FEE_PER_GAS),
                "maxPriorityFeePerGas": "0x0",
            }
            for i, (to, data) in enumerate(calls)
        ]
        hashes = rpc_batch(rpc_url, [("eth_sendTransaction", [tx]) for tx in txs])
    finally:
        with contextlib.suppress(Exception):
            rpc_batch(rpc_url, [("anvil_stopImpersonatingAccount", [sender])])
    receipts = [
        w3.eth.wait_for_transaction_receipt(h, timeout=TX_TIMEOUT_S, poll_latency=0.01) for h in hashes
    ]
    for receipt in receipts:
        if receipt["status"] != 1:
            raise DevnetTxError(f"{what} reverted: {mined_revert_reason(w3, receipt)}")
    return receipts


def set_eth_balance(w3: Web3, addresses: Sequence[str], wei: int) -> None:
    rpc_batch(_endpoint(w3), [("anvil_setBalance", [checksum(a), hex(wei)]) for a in addresses])


# --- funding and depth ----------------------------------------------------------------------------


def fund_many(w3: Web3, deployment: DevnetDeployment, amounts6: Sequence[tuple[str, int]]) -> None:
    """Credit collateral to many addresses in one batch (the vault owner's faucet)."""
    vault = contract(w3, "CoreVault", deployment.vault)
    calls = [
        (deployment.vault, vault.encode_abi("deposit", args=[checksum(address), amount6]))
        for address, amount6 in amounts6
    ]
    send_batch(w3, deployment.deployer, calls, gas=DEPOSIT_GAS, what="deposit")


def ladder(listing: MarketListing) -> list[tuple[bool, int]]:
    """The seeded levels of a market as (isBuy, price6), bids first."""
    depth = listing.depth
    levels: list[tuple[bool, int]] = []
    for is_buy in (True, False):
        for i in range(depth.levels):
            offset = (depth.spread_ticks + i * depth.step_ticks) * listing.tick6
            price6 = listing.initial_price6 - offset if is_buy else listing.initial_price6 + offset
            if price6 > 0:
                levels.append((is_buy, price6))
    return levels


def lay_depth(w3: Web3, deployment: DevnetDeployment, listing: MarketListing, maker: str) -> int:
    """Place the maker's orders at every ladder level where it has none resting; returns how many."""
    book = order_book_contract(w3, deployment, listing.symbol)
    resting: set[tuple[bool, int]] = set()
    for order_id in book.functions.getUserOrders(checksum(maker)).call():
        order = book.functions.getOrder(order_id).call()
        if int(str(order[1]), 16) != 0:  # a deleted order reads trader == address(0)
            resting.add((bool(order[4]), int(order[2])))
    missing = [level for level in ladder(listing) if level not in resting]
    calls = [
        (book.address, book.encode_abi("placeMarginLimit", args=[price6, listing.depth.amount18, is_buy]))
        for is_buy, price6 in missing
    ]
    send_batch(w3, maker, calls, gas=PLACE_GAS, what=f"seed {listing.symbol} depth")
    return len(calls)


def seed_devnet(
    rpc_url: str,
    *,
    csv: Path,
    wallets: int | None = None,
    markets: Sequence[MarketListing] = DEFAULT_MARKETS,
    wallet_funds6: int = DEFAULT_WALLET_FUNDS6,
    deployer_key: PrivateKey | None = None,
    relayer_keys: Sequence[PrivateKey] | None = None,
    depth: bool = True,
) -> SeededDevnet:
    """Deploy `markets`, fund the wallets of `csv` (created with `wallets` new ones when missing),
    give the maker and taker collateral and ether, and lay each market's resting depth."""
    loaded, created = prepare_wallets(Path(csv), wallets)
    listings = tuple(markets)
    relayers = tuple(relayer_keys) if relayer_keys is not None else default_relayer_keys()
    deployment = deploy_devnet(
        rpc_url,
        deployer_key=deployer_key or dev_key(0),
        relayer_addresses=[address_of(key) for key in relayers],
        markets=[listing.spec for listing in listings],
    )
    w3 = connect(rpc_url)
    relayer_addresses = [address_of(key) for key in relayers]  # derived relayers start with none
    set_eth_balance(w3, [MAKER_ADDRESS, TAKER_ADDRESS, *relayer_addresses], ROLE_ETH_WEI)
    fund_many(
        w3,
        deployment,
        [(wallet.address, wallet_funds6) for wallet in loaded.wallets]
        + [(MAKER_ADDRESS, MAKER_FUNDS6), (TAKER_ADDRESS, TAKER_FUNDS6)],
    )
    if depth:
        for listing in listings:
            lay_depth(w3, deployment, listing, MAKER_ADDRESS)
    return SeededDevnet(
        deployment=deployment,
        listings=listings,
        wallets=loaded,
        wallets_csv=Path(csv),
        wallets_created=created,
        maker=MAKER_ADDRESS,
        taker=TAKER_ADDRESS,
    )


# --- background takers ----------------------------------------------------------------------------


class BackgroundTakers:
    """A thread that every `interval` seconds sends one small market order from the taker, going
    round the markets and alternating buy and sell (so its position stays near flat), and tops up
    the maker's ladder first so the book never runs dry. Stop with `stop()` (also a context manager)."""

    def __init__(
        self,
        seeded: SeededDevnet,
        *,
        interval: float = 3.0,
        size_fraction: int = 4,
    ) -> None:
        if interval <= 0:
            raise ValueError("the taker interval must be positive")
        self._seeded = seeded
        self.interval = interval
        self._size_fraction = max(1, size_fraction)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.trades = 0
        self.errors = 0
        self.last_error: str | None = None

    def __enter__(self) -> BackgroundTakers:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> BackgroundTakers:
        if self._thread is not None:
            raise RuntimeError("the takers are already running")
        self._thread = threading.Thread(target=self._run, name="devnet-takers", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        w3 = connect(self._seeded.deployment.rpc_url)
        step = 0
        while not self._stop.wait(self.interval):
            listings = self._seeded.listings
            listing = listings[step % len(listings)]
            is_buy = (step // len(listings)) % 2 == 0
            step += 1
            try:
                self._trade(w3, listing, is_buy)
                self.trades += 1
            except Exception as error:  # a taker never dies; the devnet carries on
                self.errors += 1
                self.last_error = f"{type(error).__name__}: {error}"[:300]
                log.debug("background taker on %s failed: %s", listing.symbol, self.last_error)

    def _trade(self, w3: Web3, listing: MarketListing, is_buy: bool) -> None:
        deployment = self._seeded.deployment
        lay_depth(w3, deployment, listing, self._seeded.maker)
        book = order_book_contract(w3, deployment, listing.symbol)
        amount18 = max(1, listing.depth.amount18 // self._size_fraction)
        send_as(w3, self._seeded.taker, book.functions.placeMarginMarket(amount18, is_buy))
