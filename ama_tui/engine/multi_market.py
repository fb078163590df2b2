"""One run over several markets: one packer per market (each with its own state folder, journal,
lock and checkpoint), driven by one loop (the cycles due together on a real clock run on a thread
each), the wallets' sessions shared.

- Each market's cycle runs when it is due (its own delay between cycles, its own backoff); the
  loop waits for the earliest one. The markets due together are read together when the venue can
  (`MarketsReader`: every book, order and free collateral in the round trips of one market), then
  their cycles plan and trade side by side, one thread each, so a cycle over N markets waits for
  the relay once, not N times (on a virtual clock, one after the other: the same run every time).
  Their budgets all come from that one read.
- The first market opens and renews one session per wallet whose permit lists every market
  (`allowedMarkets`); the others trade with it (`engine.shared_sessions`).
- The budget: each market's packer quotes with its share of the wallets' utilization (the caller
  splits it, see `fleet.plan`), so the wallets' orders over all markets stay within the total
  whatever the order or overlap of the cycles: a market's cap is `share x (free + what its own
  orders hold)`, the free collateral already excludes what the other markets' orders hold, so
  at any instant a market's cap is at most its share of the wallet's collateral, and the shares
  add up to at most the total.
- A market that cannot trade stops alone; a kill switch or a stopped strategy stops the run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Final

from ama_tui.engine.packer import Packer, RunSummary, SessionProgress
from ama_tui.venues.base import Clock, MarketRead, MarketsReader, VenueError, is_realtime

DUE_SLACK_S: Final = 0.001
"""A market due this close to now runs now (a clock in whole microseconds may stop a hair short)."""


@dataclass(frozen=True, slots=True)
class MarketSummary:
    symbol: str
    summary: RunSummary


@dataclass(frozen=True, slots=True)
class MultiSummary:
    markets: tuple[MarketSummary, ...]

    @property
    def kill_switch(self) -> bool:
        return any(m.summary.kill_switch for m in self.markets)

    @property
    def strategy_stopped(self) -> bool:
        return any(m.summary.strategy_stopped for m in self.markets)

    @property
    def market_closed(self) -> bool:
        """Every market stopped because it cannot trade (one alone does not end the run)."""
        return all(m.summary.market_closed for m in self.markets)

    @property
    def stop_reason(self) -> str:
        reasons = {m.summary.stop_reason for m in self.markets}
        if len(reasons) == 1:
            return reasons.pop()
        return "; ".join(f"{m.symbol}: {m.summary.stop_reason}" for m in self.markets)


class MultiMarketRun:
    def __init__(self, packers: Sequence[tuple[str, Packer]], clock: Clock) -> None:
        """`packers`: (symbol, packer) per market, assembled and not yet begun; the first opens
        the sessions for all of them."""
        if len(packers) < 2:
            raise ValueError("a multi-market run needs at least two markets")
        self.symbols = [symbol for symbol, _ in packers]
        self.packers = [packer for _, packer in packers]
        self.clock = clock
        self._pool: ThreadPoolExecutor | None = None
        lead = self.packers[0]
        lead.open_sessions_for([p.market for p in self.packers])
        for follower in self.packers[1:]:
            follower.share_sessions_of(lead)

    def run(
        self,
        stop: threading.Event,
        *,
        max_cycles: int | None = None,
        duration_s: float | None = None,
        progress: Callable[[SessionProgress], None] | None = None,
    ) -> MultiSummary:
        """Until `stop` is set, every market's budget is spent, or a kill switch: `max_cycles` and
        `duration_s` are each market's."""
        clock = self.clock
        deadline = clock.now() + duration_s if duration_s is not None else None
        reason: str | None = None
        try:
            for index, packer in enumerate(self.packers):
                packer.begin(stop, progress if index == 0 else None)
            reason = self._loop(stop, max_cycles, deadline)
        except BaseException:
            for packer in reversed(self.packers):
                packer.abort()
            raise
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
        # the lead last: its session keeper serves the others until they are done
        summaries = [packer.end(reason) for packer in reversed(self.packers)]
        summaries.reverse()
        return MultiSummary(
            tuple(MarketSummary(s, summary) for s, summary in zip(self.symbols, summaries, strict=True))
        )

    def _loop(self, stop: threading.Event, max_cycles: int | None, deadline: float | None) -> str | None:
        """Each market's cycle when it is due; the reason the live ones end with (None: theirs)."""
        clock = self.clock
        due = dict.fromkeys(range(len(self.packers)), clock.now())
        while due and not stop.is_set():
            if deadline is not None and clock.now() >= deadline:
                return "duration reached"
            now = clock.now()
            ready = sorted(i for i, at in due.items() if at <= now + DUE_SLACK_S)
            prefetched = self._read_together(ready)
            for index, going in self._steps(ready, prefetched, stop, max_cycles):
                packer = self.packers[index]
                if going:
                    due[index] = clock.now() + packer.next_delay_s()
                    continue
                del due[index]
                ended = packer.summary()
                if ended.kill_switch or ended.strategy_stopped:
                    return f"stopped with {self.symbols[index]} ({ended.stop_reason})"
            if not due:
                break
            wait = min(due.values()) - clock.now()
            if deadline is not None:
                wait = min(wait, deadline - clock.now())
            if wait > 0 and clock.wait(stop, wait):
                break
        return None

    def _steps(
        self,
        indexes: Sequence[int],
        prefetched: dict[int, MarketRead | VenueError],
        stop: threading.Event,
        max_cycles: int | None,
    ) -> list[tuple[int, bool]]:
        """(market, still going) for each market due now, its cycle run. On a real clock the cycles
        run side by side (this thread takes the first); a bug raised by one is raised here once
        all have returned. On a virtual clock, one after the other, none once `stop` is set."""
        if stop.is_set():
            return []
        if len(indexes) < 2 or not is_realtime(self.clock):
            steps: list[tuple[int, bool]] = []
            for index in indexes:
                if stop.is_set():
                    break
                steps.append((index, self.packers[index].step(max_cycles, prefetched.get(index))))
            return steps
        if self._pool is None:
            self._pool = ThreadPoolExecutor(len(self.packers) - 1, thread_name_prefix="market-cycle")
        first, *others = indexes
        futures = [
            (index, self._pool.submit(self.packers[index].step, max_cycles, prefetched.get(index)))
            for index in others
        ]
        try:
            going = self.packers[first].step(max_cycles, prefetched.get(first))
        finally:
            wait([future for _, future in futures])
        return [(first, going)] + [(index, future.result()) for index, future in futures]

    def _read_together(self, indexes: Sequence[int]) -> dict[int, MarketRead | VenueError]:
        """The first reads of the markets due now, in one read when the venue reads several markets
        at once and more than one is due (else none: each cycle reads its own). A failed read is
        handed to each of them, to fail its cycle as its own read would have."""
        venue = self.packers[0].venue
        requests = {i: r for i in indexes if (r := self.packers[i].read_request()) is not None}
        if len(requests) < 2 or not isinstance(venue, MarketsReader):
            return {}
        try:
            reads = venue.read_markets(list(requests.values()))
        except VenueError as exc:
            return dict.fromkeys(requests, exc)
        return {i: reads[request.order_book] for i, request in requests.items()}
