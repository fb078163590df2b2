"""DevnetStack: everything up in one `with`, background takers make fills happen, and everything
(takers, relay server, anvil, the temporary wallets CSV) is gone afterwards, even on an exception."""

from __future__ import annotations

import socket
import stat
import time
from pathlib import Path

import httpx
import pytest

from ama_tui.devnet.deploy import client, vault_contract
from ama_tui.devnet.node import ANVIL_DEV_KEYS, rpc_request
from ama_tui.devnet.seeding import DEFAULT_WALLET_FUNDS6
from ama_tui.devnet.stack import DevnetStack
from ama_tui.devnet.wallets import MAX_DEV_KEY_WALLETS

from .conftest import pid_alive

pytestmark = pytest.mark.devnet

HTTP_TIMEOUT_S = 10.0
FILL_WAIT_S = 30.0


class _Boom(Exception):
    pass


def _refuses_connections(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _total_trades(api: httpx.Client, symbols: list[str]) -> int:
    return sum(
        api.get("/api/orderbook/live", params={"symbol": s}).json()["data"]["totalTrades"] for s in symbols
    )


def test_a_stack_with_takers_fills_and_is_gone_after_an_exception(node_modules: Path) -> None:
    started = time.monotonic()
    with (
        pytest.raises(_Boom),
        DevnetStack(wallets=MAX_DEV_KEY_WALLETS + 1, takers=True, taker_interval=0.2) as stack,
    ):
        ready = time.monotonic() - started
        print(f"devnet stack with takers ready in {ready:.1f} s")
        assert ready < 60, "start-up hangs"
        node_pid = stack.node.pid if stack.node else None
        app_port = int(stack.app_url.rsplit(":", 1)[1])
        csv = stack.wallets_csv

        env = stack.env()
        assert set(env) == {"RPC_URL", "SESSION_REGISTRY_ADDRESS", "CHAIN_ID", "APP_URL"}
        assert env["RPC_URL"] == stack.rpc_url and env["APP_URL"] == stack.app_url
        assert int(rpc_request(env["RPC_URL"], "eth_chainId"), 16) == int(env["CHAIN_ID"]) == 31337
        assert rpc_request(env["RPC_URL"], "eth_getCode", [env["SESSION_REGISTRY_ADDRESS"], "latest"]) != "0x"

        assert stat.S_IMODE(csv.stat().st_mode) == 0o600
        wallets = stack.wallets.wallets
        assert len(wallets) == MAX_DEV_KEY_WALLETS + 1
        assert not {w.key.reveal() for w in wallets} & set(ANVIL_DEV_KEYS)  # many: from `secrets`
        vault = vault_contract(client(stack.rpc_url), stack.deployment)
        for wallet in wallets:
            assert vault.functions.getAvailableCollateral(wallet.address).call() == DEFAULT_WALLET_FUNDS6

        symbols = [m.symbol for m in stack.deployment.markets]
        with httpx.Client(base_url=stack.app_url, timeout=HTTP_TIMEOUT_S, trust_env=False) as api:
            deadline = time.monotonic() + FILL_WAIT_S
            while _total_trades(api, symbols) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert _total_trades(api, symbols) >= 2, (
                f"no fills from the takers ({stack.takers and stack.takers.last_error})"
            )
        assert stack.takers is not None and stack.takers.running and stack.takers.trades >= 2
        stopping = time.monotonic()
        raise _Boom
    print(f"devnet stack stopped in {time.monotonic() - stopping:.1f} s")
    assert node_pid is not None and not pid_alive(node_pid), "anvil outlived the stack"
    assert _refuses_connections(app_port), "the relay server outlived the stack"
    assert not csv.exists() and not csv.parent.exists(), "the temporary wallets CSV outlived the stack"
    assert stack.node is None and stack.takers is None and not stack.healthy


def test_a_busy_app_port_is_a_clear_error_and_starts_nothing(node_modules: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = DevnetStack(app_port=port)
        with pytest.raises(RuntimeError, match=f"cannot listen on 127.0.0.1:{port}"):
            stack.start()
        assert stack.node is None
