"""A market's trade tape read from chain logs: recent trades, 24 h volume, open interest.

Refreshed incrementally (only blocks it has not read yet); if the chain went backwards or the
last block read changed hash (anvil's `evm_revert`), it starts over from block 0.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Final

from eth_utils import to_checksum_address

from ama_tui.devnet.relay.rpc import ContractAbi, JsonRpc, from_hex

DAY_S: Final = 24 * 3600
KEEP_AT_LEAST: Final = 100
TRADE_TOPIC: Final = ContractAbi("OrderBook").topic("TradeExecutionCompleted")
POSITION_TOPIC: Final = ContractAbi("CoreVault").topic("PositionUpdated")


@dataclass(frozen=True)
class TapeTrade:
    block_number: int
    log_index: int
    tx_hash: str
    timestamp: int
    buyer: str
    seller: str
    price6: int
    amount18: int


def word(data: bytes, index: int) -> int:
    """The `index`-th 32-byte word of ABI data as an unsigned integer."""
    return int.from_bytes(data[32 * index : 32 * (index + 1)], "big")


def topic_address(topic: str) -> str:
    return str(to_checksum_address("0x" + topic[-40:]))


def _signed(value: int) -> int:
    return value - (1 << 256) if value >> 255 else value


class TradeTape:
    def __init__(self, order_book: str, vault: str, market_id: str) -> None:
        self._book = order_book
        self._vault = vault
        self._market_topic = "0x" + market_id.removeprefix("0x").lower().rjust(64, "0")
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._trades: list[TapeTrade] = []
        self._positions: dict[str, int] = {}
        self._block = -1
        self._hash = ""

    def refresh(self, rpc: JsonRpc, latest: dict[str, Any]) -> None:
        """Read the logs of every block up to `latest` (an eth_getBlockByNumber answer) not read yet."""
        number = int(latest["number"], 16)
        with self._lock:
            if self._block > number or (self._block >= 0 and self._hash_of(rpc, latest) != self._hash):
                self._reset()
            if self._block == number:
                return
            start, end = hex(self._block + 1), hex(number)
            trades = rpc.request(
                "eth_getLogs",
                [{"fromBlock": start, "toBlock": end, "address": self._book, "topics": [TRADE_TOPIC]}],
            )
            positions = rpc.request(
                "eth_getLogs",
                [
                    {
                        "fromBlock": start,
                        "toBlock": end,
                        "address": self._vault,
                        "topics": [POSITION_TOPIC, None, self._market_topic],
                    }
                ],
            )
            times: dict[int, int] = {}
            for log in trades:
                self._trades.append(self._trade(rpc, log, times))
            for log in positions:
                self._positions[topic_address(log["topics"][1])] = _signed(word(from_hex(log["data"]), 0))
            self._block, self._hash = number, str(latest["hash"])
            self._prune(int(latest["timestamp"], 16))

    def _hash_of(self, rpc: JsonRpc, latest: dict[str, Any]) -> str:
        if self._block == int(latest["number"], 16):
            return str(latest["hash"])
        return str(rpc.block(self._block)["hash"])

    @staticmethod
    def _trade(rpc: JsonRpc, log: dict[str, Any], times: dict[int, int]) -> TapeTrade:
        block = int(log["blockNumber"], 16)
        raw_time = log.get("blockTimestamp")
        if raw_time is not None:
            timestamp = int(raw_time, 16) if isinstance(raw_time, str) else int(raw_time)
        else:
            if block not in times:
                times[block] = int(rpc.block(block)["timestamp"], 16)
            timestamp = times[block]
        data = from_hex(log["data"])
        return TapeTrade(
            block_number=block,
            log_index=int(log["logIndex"], 16),
            tx_hash=str(log["transactionHash"]),
            timestamp=timestamp,
            buyer=topic_address(log["topics"][1]),
            seller=topic_address(log["topics"][2]),
            price6=word(data, 0),
            amount18=word(data, 1),
        )

    def _prune(self, now: int) -> None:
        if len(self._trades) <= KEEP_AT_LEAST:
            return
        cutoff = now - DAY_S
        keep_from = len(self._trades) - KEEP_AT_LEAST
        first_recent = next((i for i, t in enumerate(self._trades) if t.timestamp >= cutoff), keep_from)
        del self._trades[: min(first_recent, keep_from)]

    # --- facts (call after refresh) ---------------------------------------------------------------

    def recent(self, count: int) -> list[TapeTrade]:
        """The last `count` trades, newest first."""
        with self._lock:
            return list(reversed(self._trades[-count:])) if count > 0 else []

    def since(self, timestamp: int) -> list[TapeTrade]:
        with self._lock:
            return [trade for trade in self._trades if trade.timestamp >= timestamp]

    def open_interest18(self) -> int:
        """The sum of every long position in this market (equal to the sum of the shorts)."""
        with self._lock:
            return sum(size for size in self._positions.values() if size > 0)
