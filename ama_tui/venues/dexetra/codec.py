"""ABI encoding and decoding for the reads and events the venue uses (`protocol.abi_codec` over
`protocol.abi`).

Built once from the protocol's JSON ABIs; no web3 contract objects (they cost milliseconds of CPU
per call, and a cycle decodes hundreds of results), and not eth_abi either (importing it and
eth_utils took a fifth of a run's start-up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from ama_tui.protocol.abi import (
    CORE_VAULT_ABI,
    MULTICALL3_ABI,
    ORDER_BOOK_ABI,
    ORDER_BOOK_ABI_V10,
    SESSION_REGISTRY_ABI,
    AbiEntry,
    canonical_type,
    event_topic,
    find,
    parse_abi,
    parse_signature,
    selector,
)
from ama_tui.protocol.abi_codec import AbiError
from ama_tui.protocol.abi_codec import decode as abi_decode
from ama_tui.protocol.abi_codec import encode as abi_encode
from ama_tui.protocol.accounts import InvalidAddress, checksum

ZERO_ADDRESS: Final = "0x" + "00" * 20
WORD: Final = 32


class MalformedChainData(ValueError):
    """Return data or a log that does not decode as the ABI says."""


@dataclass(frozen=True, slots=True)
class AbiFunction:
    name: str
    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    @classmethod
    def of(cls, abi: Sequence[AbiEntry], name: str) -> AbiFunction:
        entry = find(abi, name)
        return cls(
            name=name,
            selector=bytes.fromhex(selector(entry)[2:]),
            inputs=tuple(canonical_type(p) for p in entry["inputs"]),
            outputs=tuple(canonical_type(p) for p in entry["outputs"]),
        )

    def encode(self, *args: Any) -> bytes:
        return self.selector + abi_encode(list(self.inputs), list(args))

    def decode(self, data: bytes) -> tuple[Any, ...]:
        try:
            return tuple(abi_decode(list(self.outputs), data))
        except AbiError as exc:
            raise MalformedChainData(f"{self.name} returned {len(data)} bytes that do not decode") from exc


# --- OrderBook ------------------------------------------------------------------------------------

GET_USER_ORDERS: Final = AbiFunction.of(ORDER_BOOK_ABI, "getUserOrders")
GET_ORDER: Final = AbiFunction.of(ORDER_BOOK_ABI, "getOrder")
GET_ORDER_V10: Final = AbiFunction.of(ORDER_BOOK_ABI_V10, "getOrder")
GET_FILLED_AMOUNT: Final = AbiFunction.of(ORDER_BOOK_ABI, "getFilledAmount")
GET_BEST_PRICES: Final = AbiFunction.of(ORDER_BOOK_ABI, "getBestPrices")
LAST_TRADE_PRICE: Final = AbiFunction.of(ORDER_BOOK_ABI, "lastTradePrice")
MARKET_STATIC: Final = AbiFunction.of(ORDER_BOOK_ABI, "marketStatic")
GET_LEVERAGE_INFO: Final = AbiFunction.of(ORDER_BOOK_ABI, "getLeverageInfo")

TRADE_TOPIC: Final = event_topic(find(ORDER_BOOK_ABI, "TradeExecutionCompleted", "event"))
ORDER_PLACED_TOPIC: Final = event_topic(find(ORDER_BOOK_ABI, "OrderPlaced", "event"))
ORDER_MODIFIED_TOPIC: Final = event_topic(find(ORDER_BOOK_ABI, "OrderModified", "event"))
ORDER_CANCELLED_TOPIC: Final = event_topic(find(ORDER_BOOK_ABI, "OrderCancelled", "event"))
FEES_DEDUCTED_TOPIC: Final = event_topic(
    parse_signature(
        "event FeesDeducted(address indexed buyer, uint256 buyerFee,"
        " address indexed seller, uint256 sellerFee)"
    )
)
"""The production trade facet's fee event (usdc6), emitted before its `TradeExecutionCompleted`
when a fee was charged. Not in `ORDER_BOOK_ABI`: the devnet's book charges no fee and lacks it."""

# --- CoreVault, Multicall3 --------------------------------------------------------------

GET_AVAILABLE_COLLATERAL: Final = AbiFunction.of(CORE_VAULT_ABI, "getAvailableCollateral")
GET_MARK_PRICE: Final = AbiFunction.of(CORE_VAULT_ABI, "getMarkPrice")
GET_POSITION_SUMMARY: Final = AbiFunction.of(CORE_VAULT_ABI, "getPositionSummary")
AGGREGATE3: Final = AbiFunction.of(MULTICALL3_ABI, "aggregate3")
GET_BLOCK_NUMBER: Final = AbiFunction.of(
    parse_abi(("function getBlockNumber() view returns (uint256 blockNumber)",)), "getBlockNumber"
)
"""Multicall3's `block.number`: one more call in an aggregate3 tells the block that whole eth_call
read (not in `MULTICALL3_ABI`, which lists what the protocol's own Multicall3 calls need)."""
SESSIONS: Final = AbiFunction.of(SESSION_REGISTRY_ABI, "sessions")
META_NONCE: Final = AbiFunction.of(SESSION_REGISTRY_ABI, "metaNonce")

_ORDER_WORDS: Final = 9
_ORDER_WORDS_V10: Final = 10


@dataclass(frozen=True, slots=True)
class RawOrder:
    """`Order` as the OrderBook returns it (either shape); `trader` checksummed."""

    order_id: int
    trader: str
    price6: int
    amount18: int
    is_buy: bool
    timestamp: int
    next_order_id: int
    margin_required6: int
    is_margin_order: bool
    prev_order_id: int | None = None

    @property
    def deleted(self) -> bool:
        """A filled or cancelled order reads back with `trader == address(0)`."""
        return self.trader == ZERO_ADDRESS


def decode_order(data: bytes) -> RawOrder:
    """`getOrder`'s return data: the 10-field shape when the data is 10 words long, else the 9-field one."""
    if len(data) >= _ORDER_WORDS_V10 * WORD:
        (fields,) = GET_ORDER_V10.decode(data)
    elif len(data) >= _ORDER_WORDS * WORD:
        (fields,) = GET_ORDER.decode(data)
    else:
        raise MalformedChainData(f"getOrder returned {len(data)} bytes, fewer than an Order's 9 words")
    trader = str(fields[1])
    return RawOrder(
        order_id=int(fields[0]),
        trader=ZERO_ADDRESS if int(trader, 16) == 0 else checksum(trader),
        price6=int(fields[2]),
        amount18=int(fields[3]),
        is_buy=bool(fields[4]),
        timestamp=int(fields[5]),
        next_order_id=int(fields[6]),
        margin_required6=int(fields[7]),
        is_margin_order=bool(fields[8]),
        prev_order_id=int(fields[9]) if len(fields) > _ORDER_WORDS else None,
    )


def uint_topic(value: int) -> str:
    """An unsigned integer as an indexed event topic (`0x` + 64 hex digits)."""
    return "0x" + format(value, "064x")


def address_topic(address: str) -> str:
    """An address as an indexed event topic (`0x` + 64 hex digits)."""
    return "0x" + address[2:].lower().rjust(64, "0")


def topic_address(topic: str) -> str:
    """The checksummed address in an indexed address topic."""
    text = topic.removeprefix("0x")
    if len(text) != 64:
        raise MalformedChainData(f"an address topic must be 32 bytes, got {len(text) // 2}")
    try:
        return checksum("0x" + text[-40:])
    except InvalidAddress:
        raise MalformedChainData(f"an address topic is not hex: {topic[:70]!r}") from None


def hex_bytes(text: Any) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x"):
        raise MalformedChainData("expected 0x-prefixed hex")
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise MalformedChainData("expected 0x-prefixed hex") from None


def hex_int(value: Any) -> int:
    """A JSON-RPC quantity (`0x…`)."""
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            pass
    elif isinstance(value, int) and not isinstance(value, bool):
        return value
    raise MalformedChainData(f"expected a hex quantity, got {str(value)[:40]!r}")


def word(data: bytes, index: int) -> int:
    chunk = data[WORD * index : WORD * (index + 1)]
    if len(chunk) != WORD:
        raise MalformedChainData(f"log data has no word {index}")
    return int.from_bytes(chunk, "big")
