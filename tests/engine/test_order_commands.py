"""The dashboard's commands, carried out by the packer between cycles: cancel some of our orders
(journaled with reason `user`), journal a pause or a resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from ama_tui.core.models import ActionKind
from ama_tui.engine.order_commands import ORDER_GONE, USER_REASON, CancelOrders, CommandInbox, JournalNote

from .helpers import Rig, make_rig


def _two_cycles(rig: Rig) -> None:
    """The second cycle's read sees the orders the first one placed."""
    rig.packer.ensure_sessions()
    rig.packer.cycle()
    rig.venue.advance(1.0)  # type: ignore[attr-defined]
    rig.packer.cycle()


def test_a_user_cancel_removes_the_order_and_is_journaled(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    try:
        _two_cycles(rig)
        wallet = rig.packer.wallets[0]
        order = wallet.orders[0]
        cancelled_before = rig.packer.snapshot().totals.cancelled

        done = rig.packer.carry_out([CancelOrders(wallet.address.upper(), (order.order_id, order.order_id))])

        assert done == 1
        resting = rig.venue.open_orders(rig.info.order_book, [wallet.address])[wallet.address]
        assert order.order_id not in {o.order_id for o in resting}
        assert order.order_id in wallet.cancelled_ids  # its disappearance is not a fill
        snapshot = rig.packer.snapshot()
        assert snapshot.totals.cancelled == cancelled_before + 1
        line = snapshot.journal_tail[-1]
        assert line.action == ActionKind.CANCEL_ORDER
        assert line.nickname == wallet.entry.nickname
        assert line.params is not None
        assert line.params["orderId"] == str(order.order_id) and line.params["reason"] == USER_REASON
    finally:
        rig.close()


def test_orders_gone_or_of_no_wallet_of_ours_are_left_alone(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    try:
        _two_cycles(rig)
        wallet = rig.packer.wallets[0]
        tail = len(rig.packer.snapshot().journal_tail)
        assert rig.packer.carry_out([CancelOrders("0x" + "ab" * 20, (wallet.orders[0].order_id,))]) == 0
        assert len(rig.packer.snapshot().journal_tail) == tail
        assert rig.packer.carry_out([CancelOrders(wallet.address, (10**9,))]) == 0
        line = rig.packer.snapshot().journal_tail[-1]
        assert line.action == ActionKind.SKIP and line.params is not None
        assert line.params["reason"] == ORDER_GONE and line.params["orderId"] == str(10**9)
    finally:
        rig.close()


def test_pause_and_resume_are_journaled(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    try:
        rig.packer.carry_out([JournalNote(ActionKind.PAUSE), JournalNote(ActionKind.RESUME)])
        actions = [line.action for line in rig.packer.snapshot().journal_tail[-2:]]
        assert actions == [ActionKind.PAUSE, ActionKind.RESUME]
        journal = rig.store.journal_path.read_text()
        assert '"action":"PAUSE"' in journal.replace(" ", "")
    finally:
        rig.close()


def test_the_inbox_hands_over_everything_once_and_refuses_other_notes() -> None:
    inbox = CommandInbox()
    inbox.put(JournalNote(ActionKind.PAUSE))
    inbox.put(CancelOrders("0x1", (1, 2)))
    assert len(inbox) == 2
    assert inbox.take() == [JournalNote(ActionKind.PAUSE), CancelOrders("0x1", (1, 2))]
    assert inbox.take() == []
    with pytest.raises(ValueError):
        inbox.put(JournalNote(ActionKind.RUN_STOP))
