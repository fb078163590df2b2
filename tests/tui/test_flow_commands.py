"""The dashboard's commands through a real packer on the embedded exchange: `p` is journaled as
PAUSE and RESUME, `c` on the orders panel cancels the order (journaled with reason `user`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.dashboard import DashboardScreen
from ama_tui.tui.screens.config import ConfigScreen
from ama_tui.tui.screens.confirm import ConfirmScreen
from ama_tui.tui.widgets.action_log import ActionLog
from ama_tui.tui.widgets.orders_table import OrdersTable

from .conftest import build_app, picker_settled, screen_name, wait_for


def _journal(state_dir: Path) -> list[dict[str, Any]]:
    (journal,) = state_dir.rglob("actions.jsonl")
    return [json.loads(line) for line in journal.read_text().splitlines()]


async def test_pause_and_a_cancel_reach_the_journal(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        await picker_settled(pilot)
        await pilot.press("e", "t", "h", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfigScreen))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "DashboardScreen")
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        table = screen.query_one(OrdersTable)
        await wait_for(pilot, lambda: len(table.rows) > 0)

        await pilot.press("p")
        log = screen.query_one(ActionLog)
        await wait_for(pilot, lambda: any(line.action == "PAUSE" for line in log.visible_lines))

        handle = app.handle
        assert handle is not None
        asked: list[tuple[str, list[int]]] = []
        request_cancel = handle.request_cancel

        def recording(trader: str, order_ids: Sequence[int]) -> None:
            asked.append((trader, list(order_ids)))
            request_cancel(trader, order_ids)

        handle.request_cancel = recording  # type: ignore[method-assign]
        table.focus()
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: bool(asked))
        # the order under the cursor when `c` was pressed (the panel moves with every snapshot)
        ((trader, (order_id,)),) = asked
        nickname = next(w.nickname for w in handle.latest.wallets if w.address == trader)  # type: ignore[union-attr]

        def answered() -> bool:
            """The engine said what became of the order (an outside taker may have filled it
            since the panel showed it: then the log says it is gone)."""
            return any(
                (line.params or {}).get("orderId") == str(order_id)
                and (line.params or {}).get("reason") in ("user", "ORDER_GONE")
                for line in log.visible_lines
            )

        await wait_for(pilot, answered)
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, timeout=30)
    journal = _journal(app_options.state_dir)
    actions = [line["action"] for line in journal]
    assert "PAUSE" in actions
    (answer,) = [
        line for line in journal if (line.get("params") or {}).get("reason") in ("user", "ORDER_GONE")
    ]
    assert answer["params"]["orderId"] == str(order_id)
    assert answer["nickname"] == nickname
    assert answer["action"] in ("CANCEL_ORDER", "SKIP")
