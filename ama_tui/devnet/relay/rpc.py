"""A lean JSON-RPC client and ABI codec for the relay's hot paths.

web3's contract objects cost tens of milliseconds of CPU per call (ABI lookup and validation on
every call); the relay serves a polling dashboard and concurrent trades on a 2-core machine, so it
encodes with eth_abi from the committed artifacts' ABIs and speaks JSON-RPC over one keep-alive
httpx connection per thread.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import Any, Final

import httpx
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak

from ama_tui.devnet.artifacts import load_artifact
from ama_tui.protocol.abi import canonical_signature, canonical_type, event_topic, selector

ERROR_STRING_SELECTOR: Final = bytes.fromhex("08c379a0")
PANIC_SELECTOR: Final = bytes.fromhex("4e487b71")
RPC_TIMEOUT_S: Final = 30.0

_KNOWN_ERROR_SIGNATURES: Final = (
    "FunctionDoesNotExist()",
    "InvalidAmount()",
    "InvalidAddress()",
    "InsufficientAvailable()",
    "InsufficientBalance()",
    "MarketNotFound()",
    "UnauthorizedOrderBook()",
)
"""Argument-less custom errors of the production diamond and CoreVault, named in revert reasons."""
CUSTOM_ERRORS: dict[bytes, str] = {keccak(text=sig)[:4]: sig for sig in _KNOWN_ERROR_SIGNATURES}
"""Selector -> signature of the custom errors a revert reason names (the artifacts' add theirs)."""


class RpcError(RuntimeError):
    """The node answered with a JSON-RPC error that is not a revert."""

    def __init__(self, method: str, code: int | None, message: str) -> None:
        super().__init__(f"{method}: {message}")
        self.method = method
        self.code = code
        self.message = message


class Reverted(RuntimeError):
    """A call or gas estimate reverted; `reason` is the revert string ("bad_sig", "OB: no liq")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def from_hex(text: str | None) -> bytes:
    if not text:
        return b""
    return bytes.fromhex(text.removeprefix("0x"))


def revert_reason_of(data: bytes, message: str = "") -> str:
    """The reason in revert data (Error(string) or Panic(uint256)), else from the node's message."""
    if data[:4] == ERROR_STRING_SELECTOR:
        try:
            return str(abi_decode(["string"], data[4:])[0]) or "execution reverted"
        except Exception:
            pass
    if data[:4] == PANIC_SELECTOR and len(data) >= 36:
        return f"Panic(0x{int.from_bytes(data[4:36], 'big'):x})"
    if len(data) >= 4 and data[:4] in CUSTOM_ERRORS:
        return CUSTOM_ERRORS[data[:4]]
    text = message.strip()
    for prefix in ("execution reverted:", "execution reverted"):
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    return text or "execution reverted"


class JsonRpc:
    """JSON-RPC over HTTP to one node; use from one thread at a time."""

    def __init__(self, url: str, *, timeout: float = RPC_TIMEOUT_S) -> None:
        self.url = url
        self._http = httpx.Client(trust_env=False, timeout=timeout)
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        response = self._http.post(self.url, json=body)
        response.raise_for_status()
        reply = response.json()
        error = reply.get("error") if isinstance(reply, dict) else None
        if error is not None:
            message = str(error.get("message", error)) if isinstance(error, dict) else str(error)
            data = error.get("data") if isinstance(error, dict) else None
            if "revert" in message.lower():
                raise Reverted(revert_reason_of(from_hex(data) if isinstance(data, str) else b"", message))
            raise RpcError(method, error.get("code") if isinstance(error, dict) else None, message)
        return reply.get("result")

    # --- conveniences ------------------------------------------------------------------------------

    def call(self, to: str, data: bytes, *, sender: str | None = None, block: int | str = "latest") -> bytes:
        tx: dict[str, Any] = {"to": to, "data": _hex(data)}
        if sender is not None:
            tx["from"] = sender
        return from_hex(self.request("eth_call", [tx, block if isinstance(block, str) else hex(block)]))

    def estimate_gas(self, to: str, data: bytes, *, sender: str) -> int:
        return int(self.request("eth_estimateGas", [{"from": sender, "to": to, "data": _hex(data)}]), 16)

    def block(self, number: int | str = "latest") -> dict[str, Any]:
        tag = number if isinstance(number, str) else hex(number)
        block = self.request("eth_getBlockByNumber", [tag, False])
        if not isinstance(block, dict):
            raise RpcError("eth_getBlockByNumber", None, f"no block {tag}")
        return block

    def nonce(self, address: str) -> int:
        return int(self.request("eth_getTransactionCount", [address, "pending"]), 16)

    def send_raw(self, raw: bytes) -> str:
        return str(self.request("eth_sendRawTransaction", [_hex(raw)]))

    def receipt(self, tx_hash: str, *, timeout: float, poll: float = 0.01) -> dict[str, Any] | None:
        """The receipt once mined, None if it is not mined within `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            receipt = self.request("eth_getTransactionReceipt", [tx_hash])
            if isinstance(receipt, dict):
                return receipt
            if time.monotonic() > deadline:
                return None
            time.sleep(poll)

    def mined_revert_reason(self, tx_hash: str, block_number: int) -> str:
        """Why a mined transaction reverted: replay it on the state before its block."""
        tx = self.request("eth_getTransactionByHash", [tx_hash])
        try:
            self.request(
                "eth_call",
                [
                    {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]},
                    hex(block_number - 1),
                ],
            )
        except Reverted as revert:
            return revert.reason
        return "reverted (the replay succeeded)"


class ContractAbi:
    """Selectors, types and event topics of one devnet contract, from its artifact."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._functions: dict[str, tuple[bytes, list[str], list[str]]] = {}
        self.topics: dict[str, bytes] = {}
        for entry in load_artifact(name).abi:
            if entry["type"] == "function":
                inputs = [canonical_type(p) for p in entry.get("inputs", [])]
                outputs = [canonical_type(p) for p in entry.get("outputs", [])]
                self._functions[entry["name"]] = (from_hex(selector(entry)), inputs, outputs)
            elif entry["type"] == "event":
                self.topics[entry["name"]] = from_hex(event_topic(entry))
            elif entry["type"] == "error":
                CUSTOM_ERRORS.setdefault(from_hex(selector(entry)), canonical_signature(entry))

    def has(self, function: str) -> bool:
        return function in self._functions

    def selector(self, function: str) -> bytes:
        return self._functions[function][0]

    def encode(self, function: str, *args: Any) -> bytes:
        function_selector, inputs, _ = self._functions[function]
        return function_selector + abi_encode(inputs, list(args))

    def decode(self, function: str, data: bytes) -> tuple[Any, ...]:
        _, _, outputs = self._functions[function]
        return tuple(abi_decode(outputs, data))

    def topic(self, event: str) -> str:
        return _hex(self.topics[event])
