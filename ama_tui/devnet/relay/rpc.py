"""A lean JSON-RPC client and ABI codec for the relay's hot paths.

web3's contract objects cost tens of milliseconds of CPU per call (ABI lookup and validation on
every call); the relay serves a polling dashboard and concurrent trades on a 2-core machine, so it
encodes with eth_abi from the committed artifacts' ABIs and speaks JSON-RPC over one keep-alive
connection per thread. The connection is the standard library's `http.client`: httpx spends about
0.6 ms of CPU on a request to a local node, http.client about 0.15 ms, and a trade makes several.
"""

from __future__ import annotations

import http.client
import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

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


class NodeUnreachable(ConnectionError):
    """The node could not be reached, or answered something that is not a JSON-RPC reply."""


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


_STALE_CONNECTION: Final = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
"""What sending on a keep-alive connection the node has since closed raises: the request was not
served, so it is sent again once on a new connection."""


def _raise_error(method: str, error: Any) -> None:
    message = str(error.get("message", error)) if isinstance(error, dict) else str(error)
    data = error.get("data") if isinstance(error, dict) else None
    if "revert" in message.lower():
        raise Reverted(revert_reason_of(from_hex(data) if isinstance(data, str) else b"", message))
    raise RpcError(method, error.get("code") if isinstance(error, dict) else None, message)


class JsonRpc:
    """JSON-RPC over HTTP to one node, on one keep-alive connection; use from one thread at a time."""

    def __init__(self, url: str, *, timeout: float = RPC_TIMEOUT_S) -> None:
        self.url = url
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError("the devnet node's URL must be http://host:port")
        self._host, self._port = parts.hostname, parts.port or 80
        self._path = parts.path or "/"
        self._timeout = timeout
        self._connection: http.client.HTTPConnection | None = None
        self._ids = itertools.count(1)

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _post(self, body: bytes) -> Any:
        """POST `body` and decode the JSON answer, reconnecting once if the node closed an idle
        connection. Raises NodeUnreachable for every transport failure and non-JSON answer."""
        for attempt in (0, 1):
            reused = self._connection is not None
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            connection = self._connection
            try:
                connection.request(
                    "POST", self._path, body, {"Content-Type": "application/json", "Connection": "keep-alive"}
                )
                response = connection.getresponse()
                payload = response.read()
            except _STALE_CONNECTION as error:
                self.close()
                if reused and attempt == 0:
                    continue
                raise NodeUnreachable(f"the node closed the connection ({type(error).__name__})") from None
            except (OSError, http.client.HTTPException) as error:
                self.close()
                raise NodeUnreachable(f"the node did not answer ({type(error).__name__})") from None
            if response.will_close:
                self.close()
            if response.status != 200:
                raise NodeUnreachable(f"the node answered HTTP {response.status}")
            try:
                return json.loads(payload)
            except ValueError:
                raise NodeUnreachable("the node answered something that is not JSON") from None
        raise AssertionError("unreachable")

    def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        reply = self._post(json.dumps(body).encode())
        if not isinstance(reply, dict):
            raise NodeUnreachable("the node's answer is not a JSON-RPC reply")
        error = reply.get("error")
        if error is not None:
            _raise_error(method, error)
        return reply.get("result")

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """The results of `calls` ((method, params) pairs) sent in one JSON-RPC batch, in the order
        of `calls`; if any failed, the error of the first of them is raised."""
        ids = [next(self._ids) for _ in calls]
        body = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": list(params)}
            for i, (method, params) in zip(ids, calls, strict=True)
        ]
        replies = self._post(json.dumps(body).encode())
        if not isinstance(replies, list):
            if isinstance(replies, dict) and replies.get("error") is not None:
                _raise_error(calls[0][0], replies["error"])
            raise NodeUnreachable("the node's answer to a batch is not a list")
        by_id = {reply.get("id"): reply for reply in replies if isinstance(reply, dict)}
        results = []
        for i, (method, _) in zip(ids, calls, strict=True):
            reply = by_id.get(i)
            if reply is None:
                raise NodeUnreachable(f"the node's batch answer has no reply to {method}")
            if reply.get("error") is not None:
                _raise_error(method, reply["error"])
            results.append(reply.get("result"))
        return results

    # --- conveniences ------------------------------------------------------------------------------

    def call(self, to: str, data: bytes, *, sender: str | None = None, block: int | str = "latest") -> bytes:
        tx: dict[str, Any] = {"to": to, "data": _hex(data)}
        if sender is not None:
            tx["from"] = sender
        return from_hex(self.request("eth_call", [tx, block if isinstance(block, str) else hex(block)]))

    def estimate_gas(self, to: str, data: bytes, *, sender: str) -> int:
        return int(self.request("eth_estimateGas", [{"from": sender, "to": to, "data": _hex(data)}]), 16)

    def gas_used_and_nonce(self, to: str, data: bytes, *, sender: str) -> tuple[int, NodeNonce]:
        """Run the transaction from `sender` once and read what the node knows of `sender`'s nonce,
        in one round trip: (gas it used, NodeNonce). A revert raises Reverted with its reason, as
        eth_estimateGas does; eth_createAccessList runs it once where anvil's estimate runs it a
        dozen times (1.7 ms of the node's CPU against 0.4 ms)."""
        tx = {"from": sender, "to": to, "data": _hex(data)}
        # The pool, then the mined count (a block mined between the two reads shows in the count).
        # Not the "pending" count: under interval mining anvil answers that by building the pending
        # block, a state root of the whole chain for every trade (a 50-wallet pack then kept anvil's
        # core busy).
        listed, pool, mined = self.batch(
            [
                ("eth_createAccessList", [tx, "latest"]),
                ("txpool_inspect", []),
                ("eth_getTransactionCount", [sender, "latest"]),
            ]
        )
        if not isinstance(listed, dict) or not isinstance(listed.get("gasUsed"), str):
            raise RpcError("eth_createAccessList", None, "the node's answer has no gasUsed")
        if listed.get("error"):  # geth reports a revert inside the answer
            raise Reverted(revert_reason_of(b"", str(listed["error"])))
        return int(listed["gasUsed"], 16), NodeNonce(int(mined, 16), _pool_nonces(pool, sender))

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
        """The receipt once mined, None if it is not mined within `timeout`. Polls after 1 ms, then
        doubling up to `poll` (anvil mines a few milliseconds after answering the send)."""
        deadline = time.monotonic() + timeout
        wait = min(0.001, poll)
        while True:
            receipt = self.request("eth_getTransactionReceipt", [tx_hash])
            if isinstance(receipt, dict):
                return receipt
            if time.monotonic() > deadline:
                return None
            time.sleep(wait)
            wait = min(wait * 2, poll)

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


@dataclass(frozen=True)
class NodeNonce:
    """What the node said of a sender's nonce: its mined count and the nonces of its transactions
    waiting in the pool."""

    mined: int
    waiting: tuple[int, ...]

    @property
    def next(self) -> int:
        """The nonce after everything mined or waiting."""
        return max(self.mined, max(self.waiting, default=-1) + 1)


def _pool_nonces(pool: Any, sender: str) -> tuple[int, ...]:
    """`sender`'s nonces in a txpool_inspect answer (pending and queued), sorted."""
    if not isinstance(pool, dict):
        return ()
    nonces: set[int] = set()
    for section in ("pending", "queued"):
        by_sender = pool.get(section)
        if not isinstance(by_sender, dict):
            continue
        for address, held in by_sender.items():
            if str(address).lower() == sender.lower() and isinstance(held, dict):
                nonces.update(int(n) for n in held if str(n).isdigit())
    return tuple(sorted(nonces))
