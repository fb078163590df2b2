"""The relay's side of the chain: read views, and submit session transactions from its own keys.

Every submission is first run with `eth_call` from the relayer that will send it; a revert there
is answered with its reason (which is the API's error code) and nothing is sent, so a bad request
leaves the chain untouched. Each relayer key has a lock held from that pre-check until its
transaction is mined, and reads its nonce from the node under the lock, so concurrent trades
never reuse a nonce (and the relay survives an `evm_revert` under it).

Synchronous: the ASGI routes call in here from worker threads. Each relayer owns one JSON-RPC
connection (used only under its lock); reads use one connection per thread.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from eth_account import Account

from ama_tui.core.keys import PrivateKey
from ama_tui.devnet.deploy import MAX_FEE_PER_GAS, TX_TIMEOUT_S, DevnetDeployment, DevnetMarket
from ama_tui.devnet.relay.bodies import (
    LIMIT_METHODS,
    MARKET_METHODS,
    PLACING_METHODS,
    ApiError,
    SessionInitRequest,
    TradeRequest,
)
from ama_tui.devnet.relay.rpc import ContractAbi, JsonRpc, Reverted, RpcError, from_hex
from ama_tui.devnet.relay.tape import DAY_S, TradeTape, word
from ama_tui.protocol.accounts import address_of, checksum
from ama_tui.protocol.errors import ErrorCode, classify
from ama_tui.protocol.methods import TradeMethod
from ama_tui.protocol.relayers import relayer_proof

log = logging.getLogger(__name__)

LOCK_TIMEOUT_S: Final = 30.0
RECENT_TRADES: Final = 20
SELL_MARGIN_BPS: Final = 15_000
BPS: Final = 10_000
AMOUNT_SCALE: Final = 10**18
MAX_DEPTH_LEVELS: Final = 25

BOOK: Final = ContractAbi("OrderBook")
VAULT: Final = ContractAbi("CoreVault")
REGISTRY: Final = ContractAbi("SessionRegistry")
MULTICALL: Final = ContractAbi("Multicall3")

_INIT_EXPLANATIONS: Final = {
    ErrorCode.BAD_SIG: "the signature does not recover to permit.trader for this registry and chain",
    ErrorCode.BAD_NONCE: "permit.nonce is not the registry's current nonce for this trader",
    ErrorCode.EXPIRED: "permit.expiry is not later than the chain's time",
}


def human(value: int, decimals: int) -> float:
    """An on-chain integer in human units, through Decimal (3000000000, 6 -> 3000.0)."""
    return float(Decimal(value).scaleb(-decimals))


def _b32(value: str) -> bytes:
    return from_hex(value).rjust(32, b"\0")


class _ThreadRpc(threading.local):
    """One connection per worker thread; every one is also listed in `opened` so it can be closed."""

    def __init__(self, rpc_url: str, opened: list[JsonRpc], lock: threading.Lock) -> None:
        self.rpc = JsonRpc(rpc_url)
        with lock:
            opened.append(self.rpc)


@dataclass
class _Relayer:
    key: PrivateKey = field(repr=False)
    address: str
    rpc: JsonRpc
    lock: threading.Lock = field(default_factory=threading.Lock)


class RelayChain:
    def __init__(
        self,
        deployment: DevnetDeployment,
        relayer_keys: Sequence[PrivateKey],
        *,
        receipt_timeout: float = TX_TIMEOUT_S,
        lock_timeout: float = LOCK_TIMEOUT_S,
    ) -> None:
        if not relayer_keys:
            raise ValueError("the relay needs at least one relayer key")
        members = {address.lower() for address in deployment.relayers}
        self.deployment = deployment
        self._relayers: list[_Relayer] = []
        for key in relayer_keys:
            address = address_of(key)
            if address.lower() not in members:
                raise ValueError(f"relayer {address} is not in the deployment's relayer set")
            self._relayers.append(_Relayer(key=key, address=address, rpc=JsonRpc(deployment.rpc_url)))
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

    @property
    def _rpc(self) -> JsonRpc:
        return self._readers.rpc

    def _view(self, to: str, abi: ContractAbi, function: str, *args: Any, block: int | str = "latest") -> Any:
        values = abi.decode(function, self._rpc.call(to, abi.encode(function, *args), block=block))
        return values[0] if len(values) == 1 else values

    # --- reads --------------------------------------------------------------------------------

    def meta_nonce(self, trader: str) -> int:
        return int(self._view(self.deployment.registry, REGISTRY, "metaNonce", checksum(trader)))

    def available6(self, trader: str) -> int:
        return int(self._view(self.deployment.vault, VAULT, "getAvailableCollateral", checksum(trader)))

    def orderbook(self, market: DevnetMarket, levels: int) -> dict[str, Any]:
        """The `data` of GET /api/orderbook/live: every view read in one Multicall3 call at one block."""
        rpc = self._rpc
        latest = rpc.block("latest")
        at = int(latest["number"], 16)
        book = market.order_book
        calls = [
            (book, BOOK, "getBestPrices", ()),
            (book, BOOK, "lastTradePrice", ()),
            (book, BOOK, "totalTrades", ()),
            (book, BOOK, "getActiveOrdersCount", ()),
            (book, BOOK, "getOrderBookDepth", (levels,)),
            (self.deployment.vault, VAULT, "getMarkPrice", (_b32(market.market_id_bytes32),)),
        ]
        batch = [(to, False, abi.encode(name, *args)) for to, abi, name, args in calls]
        (results,) = MULTICALL.decode(
            "aggregate3", rpc.call(self.deployment.multicall, MULTICALL.encode("aggregate3", batch), block=at)
        )
        (bid6, ask6), (last6,), (total_trades,), (buys, sells), depth, (mark6,) = (
            abi.decode(name, bytes(data))
            for (to, abi, name, args), (_, data) in zip(calls, results, strict=True)
        )
        bid_prices, bid_amounts, ask_prices, ask_amounts = depth

        tape = self._tapes[market.order_book.lower()]
        tape.refresh(rpc, latest)
        day = tape.since(int(latest["timestamp"], 16) - DAY_S)
        volume6 = sum(trade.amount18 * trade.price6 // AMOUNT_SCALE for trade in day)
        change = 0.0
        if day and day[0].price6:
            ratio = (Decimal(day[-1].price6) - Decimal(day[0].price6)) / Decimal(day[0].price6) * 100
            change = float(round(ratio, 4))
        return {
            "orderBookAddress": market.order_book,
            "symbol": market.symbol,
            "marketIdBytes32": market.market_id_bytes32,
            "bestBid": human(bid6, 6),
            "bestAsk": human(ask6, 6),
            "lastTradePrice": human(last6, 6),
            "markPrice": human(mark6, 6),
            "totalTrades": int(total_trades),
            "volume24h": human(volume6, 6),
            "openInterest": human(tape.open_interest18(), 18),
            "priceChange24h": change,
            "activeBuyOrders": int(buys),
            "activeSellOrders": int(sells),
            "depth": {
                "bidPrices": [human(p, 6) for p in bid_prices],
                "bidAmounts": [human(a, 18) for a in bid_amounts],
                "askPrices": [human(p, 6) for p in ask_prices],
                "askAmounts": [human(a, 18) for a in ask_amounts],
            },
            "recentTrades": [
                {
                    "price": human(trade.price6, 6),
                    "amount": human(trade.amount18, 18),
                    "buyer": trade.buyer,
                    "seller": trade.seller,
                    "timestamp": trade.timestamp * 1000,
                    "txHash": trade.tx_hash,
                    "blockNumber": trade.block_number,
                    "tradeId": f"{trade.tx_hash}:{trade.log_index}",
                }
                for trade in tape.recent(RECENT_TRADES)
            ],
            "blockNumber": at,
            "lastUpdated": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }

    # --- writes -------------------------------------------------------------------------------

    def create_session(self, request: SessionInitRequest) -> dict[str, Any]:
        permit = request.permit
        args = (
            permit.trader,
            _b32(permit.relayer_set_root),
            permit.expiry,
            permit.max_notional_per_trade,
            permit.max_notional_per_session,
            _b32(permit.methods_bitmap),
            _b32(permit.session_salt),
            [_b32(market) for market in permit.allowed_markets],
            permit.nonce,
        )
        data = REGISTRY.encode("createSession", args, request.signature)
        try:
            tx_hash, receipt = self._submit(self.deployment.registry, lambda relayer: data)
        except ApiError as error:
            code = classify(error.error)
            if code in _INIT_EXPLANATIONS and "message" not in error.extra:
                error.extra["message"] = _INIT_EXPLANATIONS[code]
            if code is ErrorCode.BAD_NONCE:
                error.extra["expectedNonce"] = str(self.meta_nonce(permit.trader))
            raise
        answer: dict[str, Any] = {"sessionId": permit.session_id, "txHash": tx_hash}
        if receipt is None:
            return {**answer, "pending": True}
        return {**answer, "blockNumber": int(receipt["blockNumber"], 16)}

    def trade(self, request: TradeRequest, market: DevnetMarket) -> dict[str, Any]:
        def calldata(relayer: str) -> bytes:
            proof = [_b32(node) for node in relayer_proof(self.deployment.relayers, relayer)]
            head = (_b32(request.session_id), request.trader)
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
            tx_hash, receipt = self._submit(market.order_book, calldata)
        except ApiError as error:
            if classify(error.error) is ErrorCode.INSUFFICIENT_COLLATERAL:
                error.extra.update(self._collateral_facts(request, market))
            raise
        if receipt is None:
            return {"txHash": tx_hash, "pending": True}
        answer: dict[str, Any] = {
            "txHash": tx_hash,
            "blockNumber": int(receipt["blockNumber"], 16),
            "mined": True,
        }
        answer.update(self._outcome(request, market, receipt))
        return answer

    @staticmethod
    def _outcome(request: TradeRequest, market: DevnetMarket, receipt: dict[str, Any]) -> dict[str, Any]:
        """The new order id (placements, modify) and the amount this trade filled (placements)."""
        logs = [
            log for log in receipt.get("logs", []) if str(log["address"]).lower() == market.order_book.lower()
        ]

        def of(event: str) -> list[dict[str, Any]]:
            topic = BOOK.topic(event)
            return [log for log in logs if log["topics"] and str(log["topics"][0]).lower() == topic]

        outcome: dict[str, Any] = {}
        if request.method is TradeMethod.MODIFY_ORDER:
            modified = of("OrderModified")
            if modified:
                outcome["orderId"] = str(int(modified[0]["topics"][2], 16))
        elif request.method in PLACING_METHODS:
            placed = of("OrderPlaced")
            if placed:
                outcome["orderId"] = str(int(placed[0]["topics"][1], 16))
            filled = sum(word(from_hex(log["data"]), 1) for log in of("TradeExecutionCompleted"))
            outcome["filledAmount"] = str(filled)
        return outcome

    def _collateral_facts(self, request: TradeRequest, market: DevnetMarket) -> dict[str, str]:
        """`available6` and `required6` for an insufficient_collateral answer (best effort)."""
        book = market.order_book
        try:
            available = self.available6(request.trader)
            required = 0
            if request.method in LIMIT_METHODS:
                required = int(
                    self._view(book, BOOK, "marginFor", request.price6, request.amount18, request.is_buy)
                )
            elif request.method is TradeMethod.MODIFY_ORDER:
                (order,) = BOOK.decode(
                    "getOrder", self._rpc.call(book, BOOK.encode("getOrder", request.order_id))
                )
                if str(order[1]).lower() == request.trader.lower():
                    available += int(order[7])  # the modify cancels first, freeing this margin
                    required = int(
                        self._view(book, BOOK, "marginFor", request.price6, request.amount18, order[4])
                    )
            elif request.method in MARKET_METHODS:
                required = self._market_margin(market, int(request.amount18 or 0), bool(request.is_buy))
            return {"available6": str(available), "required6": str(required)}
        except Exception as error:
            log.debug("collateral facts unavailable: %s", type(error).__name__)
            return {}

    def _market_margin(self, market: DevnetMarket, amount18: int, is_buy: bool) -> int:
        """The margin a market order of this size would lock, walking the visible depth."""
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
        raise ApiError("unavailable", "every relayer is busy; try again", status=503)

    def _submit(self, to: str, calldata: Any) -> tuple[str, dict[str, Any] | None]:
        """Pre-check, sign, send and wait: (txHash, receipt, or None while still pending).
        `calldata(relayer_address)` gives the data (a relayer proof depends on who sends).
        Raises ApiError: 400 with the revert reason, 500 when the node refuses the transaction."""
        relayer = self._acquire()
        try:
            rpc = relayer.rpc
            data: bytes = calldata(relayer.address)
            try:
                rpc.call(to, data, sender=relayer.address)
                gas = rpc.estimate_gas(to, data, sender=relayer.address)
            except Reverted as revert:
                raise ApiError(revert.reason) from None
            tx = {
                "type": 2,
                "chainId": self.deployment.chain_id,
                "nonce": rpc.nonce(relayer.address),
                "to": to,
                "data": data,
                "value": 0,
                "gas": gas * 5 // 4 + 50_000,
                "maxFeePerGas": MAX_FEE_PER_GAS,
                "maxPriorityFeePerGas": 0,
            }
            raw = self._sign(tx, relayer.key)
            try:
                tx_hash = rpc.send_raw(raw)
            except (RpcError, Reverted) as refused:
                message = str(getattr(refused, "message", refused))[:300]
                raise ApiError(message, "the node refused the relayer's transaction", status=500) from None
            receipt = rpc.receipt(tx_hash, timeout=self._receipt_timeout)
            if receipt is None:
                return tx_hash, None
            if int(receipt["status"], 16) != 1:
                block = int(receipt["blockNumber"], 16)
                reason = rpc.mined_revert_reason(tx_hash, block)
                raise ApiError(reason, txHash=tx_hash, blockNumber=block, mined=True)
            return tx_hash, receipt
        finally:
            relayer.lock.release()

    @staticmethod
    def _sign(tx: dict[str, Any], key: PrivateKey) -> bytes:
        try:
            return bytes(Account.sign_transaction(tx, key.reveal()).raw_transaction)
        except Exception as error:  # never let a library message carry the key
            raise ApiError("signing_failed", type(error).__name__, status=500) from None
