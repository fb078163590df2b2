"""A relay that answers `pending` (production's default) on a chain that mines late: the packer
keeps going, learns its orders' ids from later reads, and never places an order twice while an
earlier one may still land — replayed from the book's own events, block by block."""

from __future__ import annotations

import json
from collections import Counter
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from ama_tui.devnet.deploy import client, order_book_contract
from ama_tui.devnet.stack import DevnetStack
from ama_tui.engine.run_setup import StartMode
from ama_tui.headless import HeadlessArgs, run_headless
from ama_tui.wiring import VenueChoice

pytestmark = [pytest.mark.devnet, pytest.mark.slow]

WALLETS = 3
PER_SIDE = 3
BLOCK_S = 3


def _replay(stack: DevnetStack, traders: list[str]) -> tuple[int, list[str]]:
    """(most orders any wallet held on one side at once, orders at a price and side a wallet
    already held), from every OrderPlaced / OrderCancelled / fill in chain order."""
    book = order_book_contract(client(stack.rpc_url), stack.deployment, "ETH-USD")
    mine = {t.lower() for t in traders}
    events: list[tuple[int, int, str, Any]] = []
    for event, kind in ((book.events.OrderPlaced, "place"), (book.events.OrderCancelled, "cancel")):
        for log in event.get_logs(from_block=0):
            if str(log["args"]["trader"]).lower() in mine:
                events.append((int(log["blockNumber"]), int(log["logIndex"]), kind, log["args"]))
    events.sort(key=lambda e: (e[0], e[1]))
    open_orders: dict[int, tuple[str, bool, int]] = {}
    most = 0
    doubles: list[str] = []
    for _, _, kind, args in events:
        order_id = int(args["orderId"])
        if kind == "cancel":
            open_orders.pop(order_id, None)
            continue
        key = (str(args["trader"]).lower(), bool(args["isBuy"]), int(args["price"]))
        if key in open_orders.values():
            doubles.append(f"{key} placed again while order {order_id} was placed")
        open_orders[order_id] = key
        per_side = Counter((trader, is_buy) for trader, is_buy, _ in open_orders.values())
        most = max(most, *per_side.values())
    return most, doubles


def test_pending_answers_on_a_slow_chain_never_double_place(
    node_modules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with DevnetStack(wallets=WALLETS, block_time=BLOCK_S) as stack:
        for key, value in stack.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(tmp_path)
        state = tmp_path / "state"
        out, err = StringIO(), StringIO()
        code = run_headless(
            HeadlessArgs(
                market="ETH-USD",
                venue=VenueChoice.DEXETRA,
                csv=stack.wallets_csv,
                state_dir=state,
                mode=StartMode.FRESH,
                duration=40.0,
                set=("minDelayMs=100", "maxDelayMs=200", f"ordersPerSidePerWallet={PER_SIDE}"),
            ),
            out=out,
            err=err,
        )
        assert code == 0, err.getvalue()
        traders = [wallet.address for wallet in stack.wallets.wallets]
        most, doubles = _replay(stack, traders)
    assert doubles == []
    assert most <= PER_SIDE
    (journal,) = state.rglob("actions.jsonl")
    lines = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    places = [line for line in lines if line["action"] == "PLACE_LIMIT"]
    mined = [line for line in lines if line["action"] == "PLACE_MINED"]
    assert places and all(line["params"].get("pending") is True for line in places)
    assert mined, "no pending placement was ever seen mined"
    assert all(line["params"].get("orderId") for line in mined)
    assert {line["txHash"] for line in mined} <= {line["txHash"] for line in places}
