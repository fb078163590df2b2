"""The relay's side of the chain: read views, and submit session transactions from its own keys.

A trade is checked the way production's route checks it (the session, then the placement with
an estimated fee; `trade_checks`), then run once from the relayer that will send it (gas is what
that run used, with a margin): a revert there is answered with the route's code for its reason
and nothing is sent, so a bad request leaves the chain untouched. Then the relay signs and sends,
and answers `{txHash, pending: true}` at once, or, when it waits for mining, `{txHash,
blockNumber, mined}` (a mined revert: 500 `tx_reverted`). Each relayer key has a lock held from
that pre-check until its transaction is sent (a wait for mining comes after) and reads its nonce
from the node under the lock, in the pre-check's round trip (the mined count and the pool's
waiting transactions: `rpc.gas_used_and_nonce`), so concurrent trades never reuse a nonce, a
refused transaction leaves no gap, and the relay survives an `evm_revert` (a nonce kept locally
would not: anvil accepts a nonce past a gap silently and mines it whenever the gap fills).

Synchronous: the ASGI routes call in here from worker threads. Each relayer owns one JSON-RPC
connection (used only under its lock); reads use one connection per thread.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from ama_tui.core.keys import PrivateKey
from ama_tui.devnet.deploy import MAX_FEE_PER_GAS, TX_TIMEOUT_S, DevnetDeployment, DevnetMarket
from ama_tui.devnet.relay.answers import ApiError, route_error
from ama_tui.devnet.relay.bodies import (
    LIMIT_METHODS,
    MARKET_METHODS,
    PLACING_METHODS,
    SessionInitRequest,
    TradeRequest,
)
from ama_tui.devnet.relay.contracts import BOOK, MULTICALL, REGISTRY, VAULT, Read, b32, read_many
from ama_tui.devnet.relay.live_book import MAX_DEPTH_LEVELS, read_live_book
from ama_tui.devnet.relay.rpc import JsonRpc, Reverted, RpcError
from ama_tui.devnet.relay.signing import DynamicFeeTx, TransactionSigner
from ama_tui.devnet.relay.tape import TradeTape
from ama_tui.devnet.relay.trade_checks import (
    AMOUNT_SCALE,
    BPS,
    DEFAULT_ESTIMATED_FEE_BPS,
    SELL_MARGIN_BPS,
    SessionState,
    insufficient,
    placement_problem,
    placement_requirement,
    reference_price6,
    revert_error,
    session_problem,
)
from ama_tui.protocol.accounts import address_of, checksum
from ama_tui.protocol.errors import ErrorCode, classify
from ama_tui.protocol.methods import TradeMethod
from ama_tui.protocol.permits import recover_permit_signer
from ama_tui.protocol.relayers import relayer_proof

log = logging.getLogger(__name__)

LOCK_TIMEOUT_S: Final = 30.0
BUSY_RETRY_S: Final = 5

_INIT_CODES: Final = {
    ErrorCode.BAD_SIG: "the signature does not recover to permit.trader for this registry and chain",
    ErrorCode.BAD_NONCE: "permit.nonce is not the registry's current nonce for this trader",
    ErrorCode.EXPIRED: "permit.expiry is not later than the chain's time",
}

__all__ = ["MAX_DEPTH_LEVELS", "RelayChain"]


def gas_limit(gas_used: int) -> int:
    """The gas a transaction that used `gas_used` in the pre-check is sent with. Generous: the book
    can change before it is mined (a level it joined may be gone, and inserting it again walks
    every better level), and a placement that runs out of gas reverts on chain after the relay
    answered it pending. With 25 % + 50,000 (the earlier margin), 13 of 2,420 transactions of a
    churning 50-wallet pack ran out. The relayers pay for the gas used, not the limit."""
    return gas_used * 2 + 300_000


class MinedRevert(Exception):
    def __init__(self, tx_hash: str, block_number: int) -> None:
        super().__init__(f"{tx_hash} reverted in block {block_number}")
        self.tx_hash = tx_hash
        self.block_number = block_number


class OutOfGasFunds(Exception):
    """The relayer cannot pay for gas (the node said "insufficient funds")."""


def _out_of_funds(message: str) -> bool:
    return "insufficient funds" in message.lower()


class _ThreadRpc(threading.local):
    """One connection per worker thread; every one is also listed in `opened` so it can be closed."""

    def __init__(self, rpc_url: str, opened: list[JsonRpc], lock: threading.Lock) -> None:
        self.rpc = JsonRpc(rpc_url)
        with lock:
            opened.append(self.rpc)


@dataclass
class _Relayer:
    signer: TransactionSigner = field(repr=False)
    address: str
    rpc: JsonRpc
    proof: tuple[bytes, ...]
    """This relayer's proof of membership in the relayer set, as the contracts take it."""
    lock: threading.Lock = field(default_factory=threading.Lock)


class RelayChain:
    def __init__(
        self,
        deployment: DevnetDeployment,
        relayer_keys: Sequence[PrivateKey],
        *,
        wait_for_mined: bool = False,
        fee_bps: int = DEFAULT_ESTIMATED_FEE_BPS,
        receipt_timeout: float = TX_TIMEOUT_S,
        lock_timeout: float = LOCK_TIMEOUT_S,
    ) -> None:
        if not relayer_keys:
            raise ValueError("the relay needs at least one relayer key")
        if not 0 <= fee_bps <= BPS:
            raise ValueError("fee_bps must be from 0 to 10000")
        members = {address.lower() for address in deployment.relayers}
        self.deployment = deployment
        self.wait_for_mined = wait_for_mined
        self.fee_bps = fee_bps
        self._relayers: list[_Relayer] = []
        for key in relayer_keys:
            address = address_of(key)
            if address.lower() not in members:
                raise ValueError(f"relayer {address} is not in the deployment's relayer set")
            proof = tuple(b32(node) for node in relayer_proof(deployment.relayers, address))
            self._relayers.append(
                _Relayer(
                    signer=TransactionSigner(key),
                    address=address,
                    rpc=JsonRpc(deployment.rpc_url),
                    proof=proof,
                )
            )
        self._turn = itertools.count()
        self._receipt_timeout = receipt_timeout
        self._lock_timeout = lock_timeout
        self._opened: list[JsonRpc] = [relayer.rpc for relayer in self._relayers]
        self._opened_lock = threading.Lock()
        self._readers = _ThreadRpc(deployment.rpc_url, self._opened, self._opened_lock)
        self._tapes = {
            market.order_book.lower(): TradeTape(
                market.order_book, deployment.vault, market.market_id_bytes32
            )
            for market in deployment.markets
        }

    def close(self) -> None:
        """Close every connection to the node (the relay must not be used afterwards)."""
        with self._opened_lock:
            opened, self._opened[:] = list(self._opened), []
        for rpc in opened:
            rpc.close()

    # --- lookups ------------------------------------------------------------------------------

    @property
    def relayer_addresses(self) -> tuple[str, ...]:
        return tuple(relayer.address for relayer in self._relayers)

    def market_for_book(self, order_book: str) -> DevnetMarket | None:
        return next((m for m in self.deployment.markets if m.order_book.lower() == order_book.lower()), None)

    def trade_market(self, order_book: str) -> DevnetMarket:
        """The market of a trade's `orderBook`: 400 `orderbook_not_deployed` when no contract lives
        there, `invalid_orderBook` when one does that is not a market of this exchange."""
        market = self.market_for_book(order_book)
        if market is not None:
            return market
        code = self._rpc.request("eth_getCode", [order_book, "latest"])
        if not code or code == "0x":
            raise ApiError("orderbook_not_deployed", orderBook=order_book)
        raise ApiError("invalid_orderBook", "orderBook is not a market of this exchange")

    @property
    def _rpc(self) -> JsonRpc:
        return self._readers.rpc

    def _view(self, to: str, abi: Any, function: str, *args: Any) -> Any:
        values = abi.decode(function, self._rpc.call(to, abi.encode(function, *args)))
        return values[0] if len(values) == 1 else values

    # --- reads --------------------------------------------------------------------------------

    def meta_nonce(self, trader: str) -> int:
        return int(self._view(self.deployment.registry, REGISTRY, "metaNonce", checksum(trader)))

    def available6(self, trader: str) -> int:
        return int(self._view(self.deployment.vault, VAULT, "getAvailableCollateral", checksum(trader)))

    def orderbook(self, market: DevnetMarket, levels: int, *, timed_out: bool = False) -> dict[str, Any]:
        tape = self._tapes[market.order_book.lower()]
        return read_live_book(self._rpc, self.deployment, market, tape, levels, timed_out=timed_out)

    # --- session init -------------------------------------------------------------------------

    def create_session(self, request: SessionInitRequest) -> dict[str, Any]:
        """Session init waits for mining, as production does by default (one confirmation)."""
        permit = request.permit
        args = (
            permit.trader,
            b32(permit.relayer_set_root),
            permit.expiry,
            permit.max_notional_per_trade,
            permit.max_notional_per_session,
            b32(permit.methods_bitmap),
            b32(permit.session_salt),
            [b32(market) for market in permit.allowed_markets],
            permit.nonce,
        )
        data = REGISTRY.encode("createSession", args, request.signature)
        try:
            tx_hash, receipt = self._submit(self.deployment.registry, lambda proof: data, wait=True)
        except Reverted as revert:
            raise self._init_refusal(revert.reason, request) from None
        except OutOfGasFunds:
            raise ApiError(
                "all_relayers_insufficient_funds",
                "All relayers in the pool have insufficient gas funds. Please try again later.",
                status=503,
            ) from None
        except MinedRevert as mined:
            raise route_error("tx_reverted", txHash=mined.tx_hash, blockNumber=mined.block_number) from None
        answer: dict[str, Any] = {"sessionId": permit.session_id, "txHash": tx_hash}
        if receipt is None:
            return answer
        return {**answer, "blockNumber": int(receipt["blockNumber"], 16)}

    def _init_refusal(self, reason: str, request: SessionInitRequest) -> ApiError:
        permit = request.permit
        code = classify(reason)
        if code is ErrorCode.BAD_SIG:
            deployment = self.deployment
            try:
                recovered: str | None = recover_permit_signer(
                    deployment.chain_id, deployment.registry, permit, request.signature
                )
            except ValueError:
                recovered = None
            return ApiError("bad_sig", _INIT_CODES[code], recovered=recovered, expected=permit.trader)
        if code is ErrorCode.BAD_NONCE:
            expected = str(self.meta_nonce(permit.trader))
            return ApiError("bad_nonce", _INIT_CODES[code], expected=expected, got=str(permit.nonce))
        if code is ErrorCode.EXPIRED:
            return ApiError("expired", _INIT_CODES[code])
        return ApiError(reason, "the registry refused the session", status=500)

    # --- trades -------------------------------------------------------------------------------

    def trade(self, request: TradeRequest, market: DevnetMarket) -> dict[str, Any]:
        self._check_trade(request, market)

        def calldata(membership: tuple[bytes, ...]) -> bytes:
            proof = list(membership)
            head = (b32(request.session_id), request.trader)
            method = request.method
            if method in LIMIT_METHODS:
                args: tuple[Any, ...] = (*head, request.price6, request.amount18, request.is_buy, proof)
            elif method in MARKET_METHODS:
                args = (*head, request.amount18, request.is_buy, proof)
            elif method is TradeMethod.MODIFY_ORDER:
                args = (*head, request.order_id, request.price6, request.amount18, proof)
            else:
                args = (*head, request.order_id, proof)
            return BOOK.encode(method.value, *args)

        try:
            tx_hash, receipt = self._submit(market.order_book, calldata, wait=self.wait_for_mined)
        except Reverted as revert:
            error = revert_error(revert.reason, request)
            if classify(error.error) is ErrorCode.INSUFFICIENT_COLLATERAL:
                error.extra.update(self._collateral_facts(request, market))
            raise error from None
        except OutOfGasFunds:
            raise route_error("all_relayers_insufficient_funds") from None
        except MinedRevert as mined:
            raise route_error("tx_reverted", txHash=mined.tx_hash, blockNumber=mined.block_number) from None
        if receipt is None:
            return {"txHash": tx_hash, "pending": True}
        return {"txHash": tx_hash, "blockNumber": int(receipt["blockNumber"], 16), "mined": True}

    def _check_trade(self, request: TradeRequest, market: DevnetMarket) -> None:
        """The route's own checks of the session and the placement, from one batched read."""
        deployment = self.deployment
        registry, book, vault = deployment.registry, market.order_book, deployment.vault
        reads = [
            Read(registry, REGISTRY, "sessions", (b32(request.session_id),)),
            Read(deployment.multicall, MULTICALL, "getCurrentBlockTimestamp"),
        ]
        if REGISTRY.has("isOrderBook"):
            reads.append(Read(registry, REGISTRY, "isOrderBook", (book,)))
        placing = request.method in PLACING_METHODS
        if placing:
            market_id = b32(market.market_id_bytes32)
            reads += [
                Read(vault, VAULT, "getAvailableCollateral", (request.trader,)),
                Read(vault, VAULT, "getPositionSummary", (request.trader, market_id)),
                Read(book, BOOK, "getBestPrices"),
            ]
        values = read_many(self._rpc, deployment.multicall, reads)
        session, now = values[0], values[1]
        allowed = values[2] if REGISTRY.has("isOrderBook") else None
        if session is not None and now is not None:
            problem = session_problem(
                SessionState.from_read(session),
                request,
                now=int(now[0]),
                relayer_set_root=deployment.relayer_set_root,
                book_allowed=bool(allowed[0]) if allowed is not None else True,
                registry=registry,
            )
            if problem is not None:
                raise problem
        if placing:
            available, position, prices = values[-3:]
            if available is None or position is None or prices is None:
                return  # production goes on when its pre-check reads fail
            problem = placement_problem(
                request,
                best_bid6=int(prices[0]),
                best_ask6=int(prices[1]),
                available6=int(available[0]),
                position18=int(position[0]),
                margin_bps=market.margin_bps,
                fee_bps=self.fee_bps,
            )
            if problem is not None:
                raise problem

    def _collateral_facts(self, request: TradeRequest, market: DevnetMarket) -> dict[str, Any]:
        """`available6` and `required6` for an insufficient_collateral revert (best effort); on a
        placement `required6` is what the book asked for plus the estimated fee."""
        book = market.order_book
        try:
            available = self.available6(request.trader)
            if request.method in PLACING_METHODS:
                bid6, ask6 = self._view(book, BOOK, "getBestPrices")
                price6 = reference_price6(request, int(bid6), int(ask6))
                amount18, is_buy = int(request.amount18 or 0), bool(request.is_buy)
                estimate = placement_requirement(
                    price6, amount18, is_buy, margin_bps=market.margin_bps, position18=0, fee_bps=self.fee_bps
                )
                if request.method in LIMIT_METHODS:
                    asked6 = int(self._view(book, BOOK, "marginFor", price6, amount18, is_buy))
                else:
                    asked6 = self._market_margin(market, amount18, is_buy)
                return insufficient(available, replace(estimate, margin6=max(asked6, estimate.margin6))).extra
            required = 0
            if request.method is TradeMethod.MODIFY_ORDER:
                (order,) = BOOK.decode(
                    "getOrder", self._rpc.call(book, BOOK.encode("getOrder", request.order_id))
                )
                if str(order[1]).lower() == request.trader.lower():
                    available += int(order[7])  # the modify cancels first, freeing this margin
                    required = int(
                        self._view(book, BOOK, "marginFor", request.price6, request.amount18, order[4])
                    )
            return {"available6": str(available), "required6": str(required)}
        except Exception as error:
            log.debug("collateral facts unavailable: %s", type(error).__name__)
            return {}

    def _market_margin(self, market: DevnetMarket, amount18: int, is_buy: bool) -> int:
        """The margin a market order of this size locks, walking the visible depth."""
        bid_prices, bid_amounts, ask_prices, ask_amounts = self._view(
            market.order_book, BOOK, "getOrderBookDepth", MAX_DEPTH_LEVELS
        )
        prices, amounts = (ask_prices, ask_amounts) if is_buy else (bid_prices, bid_amounts)
        remaining, notional6 = amount18, 0
        for price, amount in zip(prices, amounts, strict=True):
            take = min(remaining, int(amount))
            notional6 += take * int(price) // AMOUNT_SCALE
            remaining -= take
            if remaining == 0:
                break
        bps = market.margin_bps if is_buy else SELL_MARGIN_BPS
        return notional6 * bps // BPS

    # --- submitting ---------------------------------------------------------------------------

    def _acquire(self) -> _Relayer:
        """A free relayer if there is one (taking turns), else wait for the next in turn."""
        count = len(self._relayers)
        start = next(self._turn) % count
        for offset in range(count):
            relayer = self._relayers[(start + offset) % count]
            if relayer.lock.acquire(blocking=False):
                return relayer
        relayer = self._relayers[start]
        if relayer.lock.acquire(timeout=self._lock_timeout):
            return relayer
        raise route_error(
            "service_temporarily_unavailable",
            retry_after=BUSY_RETRY_S,
            message="every relayer is busy; try again",
        )

    def _submit(
        self, to: str, calldata: Callable[[tuple[bytes, ...]], bytes], *, wait: bool
    ) -> tuple[str, dict[str, Any] | None]:
        """Pre-check, sign, send and (when `wait`) wait: (txHash, receipt, or None when not mined).
        `calldata(proof)` gives the data (a relayer proof depends on who sends).
        Raises Reverted (the pre-check reverted: nothing sent), MinedRevert, OutOfGasFunds, or
        ApiError 500 when the node refuses the transaction."""
        relayer = self._acquire()
        try:
            rpc = relayer.rpc
            data = calldata(relayer.proof)
            try:  # the pre-check runs the transaction: a revert comes back with its reason
                gas, node = rpc.gas_used_and_nonce(to, data, sender=relayer.address)
            except RpcError as error:
                if _out_of_funds(error.message):
                    raise OutOfGasFunds from None
                raise
            tx = DynamicFeeTx(
                chain_id=self.deployment.chain_id,
                nonce=node.next,
                max_priority_fee_per_gas=0,
                max_fee_per_gas=MAX_FEE_PER_GAS,
                gas=gas_limit(gas),
                to=to,
                value=0,
                data=data,
            )
            raw = self._sign(tx, relayer.signer)
            try:
                tx_hash = rpc.send_raw(raw)
            except (RpcError, Reverted) as refused:
                message = str(getattr(refused, "message", refused))[:300]
                if _out_of_funds(message):
                    raise OutOfGasFunds from None
                raise ApiError(message, "the node refused the relayer's transaction", status=500) from None
        finally:
            relayer.lock.release()
        if not wait:
            return tx_hash, None
        # Waited for outside the relayer's lock: once sent, the transaction is in the node's pool
        # and so in the next nonce read, and the relayer may send the next trade while this one is
        # mined (held until mined, a relayer served one session per block under interval mining).
        receipt = self._rpc.receipt(tx_hash, timeout=self._receipt_timeout)
        if receipt is None:
            return tx_hash, None
        if int(receipt["status"], 16) != 1:
            raise MinedRevert(tx_hash, int(receipt["blockNumber"], 16))
        return tx_hash, receipt

    @staticmethod
    def _sign(tx: DynamicFeeTx, signer: TransactionSigner) -> bytes:
        try:
            return signer.sign(tx)
        except Exception as error:  # never let a library message carry the key
            raise ApiError("signing_failed", type(error).__name__, status=500) from None
