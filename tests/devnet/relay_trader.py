"""A wallet trading through a devnet's relay API in tests: its session permit, signed, and a
client that places and cancels with that session."""

from __future__ import annotations

from typing import Any, Final

import httpx

from ama_tui.devnet.deploy import connect, contract
from ama_tui.devnet.relay import SESSION_INIT, TRADE
from ama_tui.devnet.stack import DevnetStack
from ama_tui.protocol.methods import ALL_METHODS
from ama_tui.protocol.permits import build_session_permit, sign_session_permit
from ama_tui.store.wallets_csv import WalletEntry

UNIT: Final = 10**18
SYMBOL: Final = "ETH-USD"


def init_body(stack: DevnetStack, wallet: WalletEntry) -> dict[str, Any]:
    """A session-init request for `wallet` on every market, valid for an hour of chain time."""
    deployment = stack.deployment
    w3 = connect(stack.rpc_url)
    registry = contract(w3, "SessionRegistry", deployment.registry)
    permit = build_session_permit(
        trader=wallet.address,
        relayer_set_root=deployment.relayer_set_root,
        expiry=int(w3.eth.get_block("latest")["timestamp"]) + 3600,
        nonce=int(registry.functions.metaNonce(wallet.address).call()),
        allowed_markets=[m.market_id_bytes32 for m in deployment.markets],
        methods=ALL_METHODS,
    )
    return {
        "orderBook": deployment.market(SYMBOL).order_book,
        "permit": permit.to_api_json(),
        "signature": sign_session_permit(wallet.key, deployment.chain_id, deployment.registry, permit),
    }


class RelayTrader:
    """One wallet with a session, sending trades through the relay."""

    def __init__(self, stack: DevnetStack, api: httpx.Client, wallet: WalletEntry) -> None:
        opened = api.post(SESSION_INIT, json=init_body(stack, wallet))
        assert opened.status_code == 200, opened.text
        self.session_id = opened.json()["sessionId"]
        self.api, self.wallet = api, wallet
        self.book_address = stack.deployment.market(SYMBOL).order_book

    def _send(self, method: str, **params: Any) -> httpx.Response:
        trade = {"orderBook": self.book_address, "method": method, "sessionId": self.session_id}
        return self.api.post(TRADE, json={**trade, "params": {"trader": self.wallet.address, **params}})

    def place(self, price6: int) -> httpx.Response:
        return self._send("sessionPlaceMarginLimit", price=str(price6), amount=str(UNIT // 100), isBuy=True)

    def cancel(self, order_id: int) -> httpx.Response:
        return self._send("sessionCancelOrder", orderId=str(order_id))
