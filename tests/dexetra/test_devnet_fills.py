"""Fills as the real contracts report them (reference section 7: a crossing order's
`TradeExecutionCompleted` comes before its own `OrderPlaced`), read by a headless packer run on
the devnet: one of our resting orders is swept by an outside taker (we are the maker), and one of
our wallets sends a crossing order itself (we are the taker). Every FILL line must name its order
and its side."""

from __future__ import annotations

import json
import threading
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from ama_tui.devnet.deploy import connect, order_book_contract, send_as
from ama_tui.devnet.stack import DevnetStack
from ama_tui.engine.run_setup import StartMode
from ama_tui.headless import HeadlessArgs, run_headless
from ama_tui.wiring import VenueChoice

from .devnet_tools import chain_orders

pytestmark = [pytest.mark.devnet, pytest.mark.slow]

WALLETS = 2
PER_SIDE = 2
DURATION_S = 40.0


def _journal(state: Path) -> list[dict[str, Any]]:
    found = list(state.rglob("actions.jsonl"))
    if not found:
        return []
    return [json.loads(line) for line in found[0].read_text().splitlines() if line.strip()]


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_maker_and_taker_fills_carry_their_order_and_side(
    node_modules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with DevnetStack(wallets=WALLETS) as stack:
        for key, value in stack.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(tmp_path)
        traders = [wallet.address for wallet in stack.wallets.wallets]
        state = tmp_path / "state"
        out, err = StringIO(), StringIO()
        codes: list[int] = []

        def run() -> None:
            codes.append(
                run_headless(
                    HeadlessArgs(
                        market="ETH-USD",
                        venue=VenueChoice.DEXETRA,
                        csv=stack.wallets_csv,
                        state_dir=state,
                        mode=StartMode.FRESH,
                        duration=DURATION_S,
                        set=("minDelayMs=200", "maxDelayMs=400", f"ordersPerSidePerWallet={PER_SIDE}"),
                    ),
                    out=out,
                    err=err,
                )
            )

        runner = threading.Thread(target=run, daemon=True)
        runner.start()
        _wait(
            lambda: all(
                sum(1 for o in held if o.is_buy) >= 1 for held in chain_orders(stack, traders).values()
            ),
            DURATION_S / 2,
            "the wallets' bids on chain",
        )
        w3 = connect(stack.rpc_url)
        book = order_book_contract(w3, stack.deployment, "ETH-USD")

        # we are the maker: an outside seller sweeps every bid down to our best one
        ours = chain_orders(stack, traders)
        our_best = max((o for held in ours.values() for o in held if o.is_buy), key=lambda o: o.price6)
        bid_prices, bid_amounts, _, _ = book.functions.getOrderBookDepth(25).call()
        sweep = sum(int(a) for p, a in zip(bid_prices, bid_amounts, strict=True) if int(p) >= our_best.price6)
        send_as(w3, stack.seeded.taker, book.functions.placeMarginLimit(our_best.price6, sweep, False))

        # we are the taker: one of our wallets buys a little at the best ask (preferably not its own)
        depth = book.functions.getOrderBookDepth(1).call()
        ask6, ask_amount18 = int(depth[2][0]), int(depth[3][0])
        at_ask = {
            o.trader for held in chain_orders(stack, traders).values() for o in held if o.price6 == ask6
        }
        buyer = next((t for t in traders if t not in at_ask), traders[0])
        send_as(w3, buyer, book.functions.placeMarginLimit(ask6, ask_amount18 // 4, True))

        def fills() -> list[dict[str, Any]]:
            return [line for line in _journal(state) if line["action"] == "FILL"]

        _wait(
            lambda: {line["params"].get("isMaker") for line in fills()} >= {True, False},
            DURATION_S,
            "a maker fill and a taker fill in the journal",
        )
        runner.join(DURATION_S + 30)
        assert codes == [0], err.getvalue()

    lines = fills()
    for line in lines:
        params = line["params"]
        assert params.get("orderId") is not None, f"a FILL without its order: {line}"
        assert isinstance(params.get("isMaker"), bool), f"a FILL without its side: {line}"
        # the devnet's book charges no fee (it emits no FeesDeducted): a fill read whole costs 0
        assert params.get("fee6") == "0", f"a FILL without its fee: {line}"
    maker = [line for line in lines if line["params"]["isMaker"]]
    taker = [line for line in lines if not line["params"]["isMaker"]]
    assert any(int(line["params"]["orderId"]) == our_best.order_id for line in maker)
    assert all(line["trader"].lower() == buyer.lower() for line in taker)
    assert all(line["params"]["isBuy"] is True for line in taker)
