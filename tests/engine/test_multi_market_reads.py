"""A run over two markets reads the markets due together in one read when the venue can
(`MarketsReader`): every budget then comes from that one read, and a failed read fails each
market's cycle as its own read would."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ama_tui.venues.base import MarketRead, MarketReadRequest, MarketsReader, VenueUnavailable

from .test_multi_market import CapCheckedSim, _run


class TogetherSim(CapCheckedSim):
    """The embedded exchange reading several markets at once (as the production venue does in the
    round trips of one), counting what is read together and what is read alone."""

    def __init__(self, *args: object, failing: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.together: list[tuple[str, ...]] = []
        self.alone = 0
        self.failing = failing
        self._inside = False  # reading for read_markets
        self._checking = False  # reading for the cap check after a placement

    def read_markets(self, requests: Sequence[MarketReadRequest]) -> dict[str, MarketRead]:
        self.together.append(tuple(r.order_book for r in requests))
        if self.failing:
            raise VenueUnavailable("the node did not answer")
        self._inside = True
        try:
            return {
                r.order_book: MarketRead(
                    self.book(r.order_book, r.levels),
                    self.open_orders(r.order_book, r.traders),
                    self.available_collateral(r.traders),
                )
                for r in requests
            }
        finally:
            self._inside = False

    def open_orders(self, order_book: str, traders: Sequence[str]):  # type: ignore[no-untyped-def]
        if not self._inside and not self._checking:
            self.alone += 1
        return super().open_orders(order_book, traders)

    def _check(self, trader: str) -> None:
        self._checking = True
        try:
            super()._check(trader)
        finally:
            self._checking = False


def test_the_markets_due_together_are_read_together_and_hold_the_cap(tmp_path: Path) -> None:
    venue = TogetherSim(0, "REALISTIC", clock="virtual")
    assert isinstance(venue, MarketsReader)
    opened, summary = _run(venue, tmp_path / "st", cycles=12, weights=["ETH-USD=3"])
    books = {pick.info.order_book for pick in opened.picks}
    assert all(m.summary.cycles == 12 for m in summary.markets)
    assert all(m.summary.placed > 0 for m in summary.markets), "both markets quoted"
    assert venue.together, "the markets were never read together"
    assert all(set(read) == books for read in venue.together)
    assert venue.alone <= 2 * 12 - 2 * len(venue.together)  # a market read alone only when due alone
    assert venue.breaches == []
    assert venue.peak_bps > 5_000, f"the cap should bind (peak {venue.peak_bps} bps of the budget)"


def test_a_failed_read_together_fails_every_markets_cycle(tmp_path: Path) -> None:
    venue = TogetherSim(0, "REALISTIC", clock="virtual", failing=True)
    _, summary = _run(venue, tmp_path / "st", cycles=40)
    assert summary.kill_switch, "failing reads must reach the kill switch"
    assert all(m.summary.errors > 0 for m in summary.markets)
    assert all(m.summary.placed == 0 for m in summary.markets), "nothing is placed without a read"
    assert venue.alone == 0, "a failed read together is not read again alone"
