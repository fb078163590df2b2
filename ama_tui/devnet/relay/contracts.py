"""The devnet contracts as the relay reads them: their ABIs, one-round-trip batched reads through
Multicall3, and the unit conversions of the API's float fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from ama_tui.devnet.relay.rpc import ContractAbi, JsonRpc, from_hex

BOOK: Final = ContractAbi("OrderBook")
VAULT: Final = ContractAbi("CoreVault")
REGISTRY: Final = ContractAbi("SessionRegistry")
MULTICALL: Final = ContractAbi("Multicall3")


def human(value: int, decimals: int) -> float:
    """An on-chain integer in human units, through Decimal (3000000000, 6 -> 3000.0)."""
    return float(Decimal(value).scaleb(-decimals))


def b32(value: str) -> bytes:
    return from_hex(value).rjust(32, b"\0")


@dataclass(frozen=True)
class Read:
    """One view call of a batch: `function(*args)` of the contract at `to`."""

    to: str
    abi: ContractAbi
    function: str
    args: tuple[Any, ...] = ()


def read_many(
    rpc: JsonRpc, multicall: str, reads: Sequence[Read], *, block: int | str = "latest"
) -> list[tuple[Any, ...] | None]:
    """Every read's decoded outputs (None for one that failed), in one eth_call at one block."""
    batch = [(read.to, True, read.abi.encode(read.function, *read.args)) for read in reads]
    (results,) = MULTICALL.decode(
        "aggregate3", rpc.call(multicall, MULTICALL.encode("aggregate3", batch), block=block)
    )
    decoded: list[tuple[Any, ...] | None] = []
    for read, (success, data) in zip(reads, results, strict=True):
        if not success:
            decoded.append(None)
            continue
        try:
            decoded.append(read.abi.decode(read.function, bytes(data)))
        except Exception:  # an answer of another shape than the ABI says: a failed read
            decoded.append(None)
    return decoded
