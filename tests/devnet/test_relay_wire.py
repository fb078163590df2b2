"""The relay's hand-rolled wire pieces against the libraries they replace: transaction signing
(eth_account), the Multicall3 codec (eth_abi) and the JSON-RPC connection (a stand-in node)."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account

from ama_tui.devnet.node import dev_key
from ama_tui.devnet.relay.contracts import MULTICALL, decode_aggregate3, encode_aggregate3
from ama_tui.devnet.relay.rpc import JsonRpc, NodeUnreachable, Reverted, RpcError
from ama_tui.devnet.relay.signing import DynamicFeeTx, TransactionSigner, rlp_encode
from ama_tui.protocol.accounts import checksum

TO = checksum("0x" + "ab" * 20)


@pytest.mark.parametrize("nonce", [0, 1, 127, 128, 255, 256, 65_536, 10**9])
@pytest.mark.parametrize("size", [0, 1, 55, 56, 1_000])
def test_signed_transactions_are_eth_accounts_bytes(nonce: int, size: int) -> None:
    key = dev_key(1)
    data = bytes(range(256)) * 4
    data = data[:size] if size != 1 else b"\x7f"
    ours = TransactionSigner(key).sign(DynamicFeeTx(31337, nonce, 0, 2 * 10**9, 612_345, TO, 0, data))
    fields = {
        "type": 2,
        "chainId": 31337,
        "nonce": nonce,
        "to": TO,
        "data": data,
        "value": 0,
        "gas": 612_345,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 0,
    }
    assert ours == bytes(Account.sign_transaction(fields, key.reveal()).raw_transaction)


def test_the_signer_never_shows_its_key() -> None:
    key = dev_key(1)
    signer = TransactionSigner(key)
    assert key.reveal().removeprefix("0x") not in repr(signer) + str(signer)


def test_rlp_of_known_values() -> None:
    assert rlp_encode(0) == b"\x80"
    assert rlp_encode(b"") == b"\x80"
    assert rlp_encode(15) == b"\x0f"
    assert rlp_encode(1024) == b"\x82\x04\x00"
    assert rlp_encode(b"dog") == b"\x83dog"
    assert rlp_encode([b"cat", b"dog"]) == b"\xc8\x83cat\x83dog"
    assert rlp_encode([]) == b"\xc0"
    assert rlp_encode(b"a" * 56) == b"\xb8\x38" + b"a" * 56
    with pytest.raises(ValueError):
        rlp_encode(-1)


def test_the_multicall_codec_matches_eth_abi() -> None:
    rng = random.Random(7)
    for count in range(8):
        for _ in range(20):
            sizes = [0, 1, 4, 31, 32, 33, 68, 200]
            calls = [
                ("0x" + rng.randbytes(20).hex(), rng.random() < 0.5, rng.randbytes(rng.choice(sizes)))
                for _ in range(count)
            ]
            assert encode_aggregate3(calls) == MULTICALL.encode("aggregate3", calls)
            results = [(rng.random() < 0.5, rng.randbytes(rng.choice(sizes))) for _ in range(count)]
            assert decode_aggregate3(abi_encode(["(bool,bytes)[]"], [results])) == results


def test_a_malformed_multicall_answer_is_refused() -> None:
    good = abi_encode(["(bool,bytes)[]"], [[(True, b"\x01" * 40)]])
    for bad in (b"", good[:-40], good[:64] + (10**6).to_bytes(32, "big") + good[96:]):
        with pytest.raises(ValueError):
            decode_aggregate3(bad)


# --- JSON-RPC over a stand-in node ------------------------------------------------------------------


class _Node(BaseHTTPRequestHandler):
    """Answers eth_blockNumber, reverts eth_call and errors on anything else; closes the connection
    after every answer when the server's `close_after` is set."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        server: Any = self.server
        server.requests += 1
        replies = [self._reply(call) for call in body] if isinstance(body, list) else self._reply(body)
        payload = json.dumps(replies).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        if server.close_after:
            self.close_connection = True

    @staticmethod
    def _reply(call: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = {"jsonrpc": "2.0", "id": call["id"]}
        if call["method"] == "eth_blockNumber":
            answer["result"] = "0x2a"
        elif call["method"] == "eth_call":
            answer["error"] = {"code": 3, "message": "execution reverted: bad_sig", "data": "0x"}
        else:
            answer["error"] = {"code": -32601, "message": "method not found"}
        return answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def node() -> Iterator[Any]:
    server: Any = HTTPServer(("127.0.0.1", 0), _Node)
    server.requests, server.close_after = 0, False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _url(server: Any) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_requests_errors_and_batches(node: Any) -> None:
    rpc = JsonRpc(_url(node))
    try:
        assert rpc.request("eth_blockNumber") == "0x2a"
        with pytest.raises(Reverted) as reverted:
            rpc.request("eth_call", [{}, "latest"])
        assert reverted.value.reason == "bad_sig"
        with pytest.raises(RpcError) as refused:
            rpc.request("eth_nope")
        assert refused.value.method == "eth_nope" and "not found" in refused.value.message
        assert rpc.batch([("eth_blockNumber", []), ("eth_blockNumber", [])]) == ["0x2a", "0x2a"]
        with pytest.raises(Reverted):  # the first failure in the batch's order is raised
            rpc.batch([("eth_blockNumber", []), ("eth_call", [{}, "latest"]), ("eth_nope", [])])
    finally:
        rpc.close()


def test_a_connection_the_node_closed_is_reopened(node: Any) -> None:
    node.close_after = True
    rpc = JsonRpc(_url(node))
    try:
        for _ in range(3):
            assert rpc.request("eth_blockNumber") == "0x2a"
        assert node.requests == 3, "each request was served once"
    finally:
        rpc.close()


def test_an_unreachable_node_is_a_connection_error() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Node)
    url = _url(server)
    server.server_close()  # nothing listens there now
    rpc = JsonRpc(url, timeout=2.0)
    with pytest.raises(NodeUnreachable):
        rpc.request("eth_blockNumber")
    assert isinstance(NodeUnreachable("x"), OSError), "the routes answer OSError as network_error"


def test_the_gas_limit_leaves_room_for_a_book_that_moved() -> None:
    from ama_tui.devnet.relay.chain import gas_limit

    for used in (21_000, 550_000, 1_500_000):
        assert gas_limit(used) >= used * 3 // 2 + 100_000
    assert gas_limit(550_000) * 21 <= 30_000_000, "a catch-up block still holds a score of placements"
