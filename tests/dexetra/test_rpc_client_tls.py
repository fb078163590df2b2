"""The chain's JSON-RPC client loads CA certificates only for https: a plain-http node (a local
devnet, a node on loopback) costs no TLS set-up at start."""

from __future__ import annotations

import ssl

import pytest

from ama_tui.venues.dexetra.rpc import JsonRpcClient


def _count_ca_loads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    loads: list[object] = []
    real = ssl.SSLContext.load_verify_locations

    def counted(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loads.append(args or kwargs)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    return loads


def test_a_plain_http_node_loads_no_certificates(monkeypatch: pytest.MonkeyPatch) -> None:
    loads = _count_ca_loads(monkeypatch)
    JsonRpcClient("http://127.0.0.1:8545", timeout=5).close()
    assert loads == []


def test_an_https_node_is_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    loads = _count_ca_loads(monkeypatch)
    client = JsonRpcClient("https://rpc.example.org", timeout=5)
    client.close()
    assert len(loads) == 1
