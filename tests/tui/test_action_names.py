"""The action log shows the original tool's `CANCEL_ORDER` / `MODIFY_ORDER` and our older
`CANCEL` / `MODIFY` the same way."""

from __future__ import annotations

import pytest

from ama_tui.core.models import ActionLogLine
from ama_tui.tui.widgets.action_log import log_detail, log_line_text

TICK6 = 10_000
CANCEL_PARAMS = {"orderId": "17", "isBuy": True, "price6": "100010000", "reason": "over-cap"}
MODIFY_PARAMS = {"isBuy": False, "price6": "100020000", "amount18": "20000000000000000"}


def _line(action: str, params: dict[str, object]) -> ActionLogLine:
    return ActionLogLine(
        ts=1_767_225_603_000,
        run_id="run",
        chain_id=999,
        order_book="0x4e5d6f497fcf4070a8d87a5abb019f83e16c64bb",
        trader="0x724cbe7b515dab1ce4b0e262990d2e3c47c6ca36",
        nickname="User001",
        action=action,
        params=params,
    )


@pytest.mark.parametrize(
    ("names", "params", "shown"),
    [
        (("CANCEL_ORDER", "CANCEL"), CANCEL_PARAMS, "CANCEL  BUY @ 100.01 #17 over-cap"),
        (("MODIFY_ORDER", "MODIFY"), MODIFY_PARAMS, "MODIFY  SELL 0.0200 @ 100.02"),
    ],
)
def test_both_spellings_are_shown_alike(
    names: tuple[str, str], params: dict[str, object], shown: str
) -> None:
    original, ours = (log_line_text(_line(name, params), TICK6) for name in names)
    assert original.plain == ours.plain
    assert original.plain.endswith(shown)
    assert original.pieces == ours.pieces  # same colours too


def test_a_dry_run_of_either_spelling_reads_the_same() -> None:
    details = {
        would: log_detail("DRY_RUN", {"wouldDo": would, **CANCEL_PARAMS}, TICK6)
        for would in ("CANCEL_ORDER", "CANCEL")
    }
    assert details["CANCEL_ORDER"] == details["CANCEL"] == "would CANCEL BUY @ 100.01 #17 over-cap"
