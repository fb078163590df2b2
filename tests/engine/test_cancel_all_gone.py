"""Cancel-all when an order leaves the book between the read and its cancel (a fill, or a cancel
from elsewhere): the venue answers `order_not_found` (reference section 7: market state, skip it).
The order is off the book, which is what cancel-all wants: it is neither counted as an order still
resting nor journaled as an error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ama_tui.core.models import ActionKind
from ama_tui.engine.order_commands import ORDER_GONE
from ama_tui.tui.screens.cleared import cleared_text
from ama_tui.venues.base import CancelOrder, TradeRejected, Venue
from ama_tui.venues.sim import SimVenue

from .helpers import make_rig

OVERRIDES = {"ordersPerSidePerWallet": 2, "sizeMin": 0.005, "sizeMax": 0.01, "maxWalletUtilization": 0.5}


class GoneBeforeCancel:
    """Wraps a venue: the first cancel of each wallet finds its order already taken off the book
    (removed underneath just before the cancel arrives, as a fill would)."""

    def __init__(self, inner: Venue) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.clock = inner.clock
        self.armed = False
        self.gone: list[int] = []
        self._hit: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def submit(self, order_book: str, session_id: str, request: Any) -> Any:
        if self.armed and isinstance(request, CancelOrder) and request.trader not in self._hit:
            self._hit.add(request.trader)
            self.inner.submit(order_book, session_id, request)  # off the book before our cancel
            self.gone.append(request.order_id)
        return self.inner.submit(order_book, session_id, request)


def test_an_order_gone_before_its_cancel_is_off_the_book_not_left_resting(tmp_path: Path) -> None:
    venue = GoneBeforeCancel(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(tmp_path, venue=venue, seed=3, wallets=2, overrides=OVERRIDES)
    try:
        rig.packer.ensure_sessions()
        rig.packer.cycle()
        resting = sum(
            len(held) for held in venue.open_orders(rig.info.order_book, rig.packer.addresses).values()
        )
        assert resting == 2 * 2 * 2
        venue.armed = True
        cancelled = rig.packer.cancel_all()
        left = venue.open_orders(rig.info.order_book, rig.packer.addresses)
        snapshot = rig.packer.snapshot()
        summary = rig.packer.summary()
    finally:
        rig.close()
    assert len(venue.gone) == 2 and cancelled == resting - 2
    assert not any(left.values())
    assert [(done, of) for _, done, of in snapshot.cancel_progress] == [(3, 3), (3, 3)]
    journal = list(rig.store.iter_journal())
    skips = [line for line in journal if line.action == ActionKind.SKIP]
    assert sorted(int((line.params or {})["orderId"]) for line in skips) == sorted(venue.gone)
    assert all((line.params or {}).get("reason") == ORDER_GONE for line in skips)
    assert not [line for line in journal if line.action == ActionKind.ERROR]
    title, body = cleared_text(summary, snapshot)
    assert title == "Cancel-all done: 6 orders cancelled" and "Not all cancelled" not in body


def test_a_cancel_refused_for_another_reason_still_leaves_the_order_counted(tmp_path: Path) -> None:
    """Only `order_not_found` means gone: any other refusal leaves the order resting, said so."""

    class Refusing(GoneBeforeCancel):
        def submit(self, order_book: str, session_id: str, request: Any) -> Any:
            if self.armed and isinstance(request, CancelOrder) and request.trader not in self._hit:
                self._hit.add(request.trader)
                raise TradeRejected("session_method_denied", "the session cannot cancel")
            return self.inner.submit(order_book, session_id, request)

    venue = Refusing(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(tmp_path, venue=venue, seed=3, wallets=2, overrides=OVERRIDES)
    try:
        rig.packer.ensure_sessions()
        rig.packer.cycle()
        venue.armed = True
        cancelled = rig.packer.cancel_all()
        snapshot = rig.packer.snapshot()
        summary = rig.packer.summary()
    finally:
        rig.close()
    assert cancelled == 6
    assert [(done, of) for _, done, of in snapshot.cancel_progress] == [(3, 4), (3, 4)]
    errors = [line for line in rig.store.iter_journal() if line.action == ActionKind.ERROR]
    assert len(errors) == 2 and all("session_method_denied" in (line.error or "") for line in errors)
    title, _ = cleared_text(summary, snapshot)
    assert title == "Cancel-all stopped with 2 of 8 orders still resting"
