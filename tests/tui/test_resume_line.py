"""The dashboard's log shows what a resume found as one readable line."""

from __future__ import annotations

from ama_tui.core.models import ActionKind, ActionLogLine
from ama_tui.tui.widgets.action_log import log_line_text


def test_the_resume_line_reads_as_a_sentence() -> None:
    message = "resumed: found 12 orders resting (2 wallets), 1 open position; sessions: 2 still valid"
    line = ActionLogLine(
        ts=1_767_225_600_000,
        run_id="r",
        chain_id=31337,
        order_book="0x" + "11" * 20,
        market_id_bytes32="0x" + "22" * 32,
        trader="unknown",
        action=ActionKind.RUN_RESUMED,
        params={"orders": 12, "message": message},
    )
    text = "".join(piece for piece, _ in log_line_text(line, 10_000).pieces)
    assert "RESUMED" in text
    assert text.endswith("found 12 orders resting (2 wallets), 1 open position; sessions: 2 still valid")
