"""A cycle's trades pipelined: every wallet's whole plan in flight at once, within one limit for
the fleet (`AdaptiveLimit`), instead of one trade per wallet at a time.

Per wallet: its cancels go out together; once they have all answered, the top is read again (one
read shared by the wallets bursting at that moment) and the placements that still keep their
distance from it go out together (less those that wait for a cancel answered `pending`, see
`WalletTurn.sendable`). A wallet's plan is already budgeted against its cap and its
target per side, so sending it at once can never exceed either; the venue's in-doubt guard keeps
a placement that may still land from being sent twice. Nothing here waits on a slot while
holding a worker that another wallet's next step needs: steps are chained by completion
callbacks, and only the trades themselves occupy workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

from ama_tui.core.market import BookTop
from ama_tui.engine.executor import WalletOutcome, WalletTurn


class _Countdown:
    def __init__(self, count: int, then: Callable[[], None]) -> None:
        self._left = count
        self._then = then
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            self._left -= 1
            last = self._left == 0
        if last:
            self._then()


def run_pipelined(
    turns: Sequence[WalletTurn],
    pool: ThreadPoolExecutor,
    fresh_top: Callable[[], BookTop | None] | None,
) -> list[WalletOutcome]:
    """Carry out every turn's plan; returns their outcomes in order. A bug raised by a step
    (not a venue failure, which the turn journals) is raised here once everything has settled."""
    done = threading.Event()
    failures: list[BaseException] = []
    wallets_left = _Countdown(len(turns), done.set)

    def guarded(step: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                step()
            except BaseException as exc:  # surfaced after the cycle
                failures.append(exc)

        return run

    def submit(step: Callable[[], None], after: Callable[[], None]) -> None:
        future: Future[None] = pool.submit(guarded(step))
        future.add_done_callback(lambda _: after())

    def takes(turn: WalletTurn) -> None:
        """A taker strategy's takes, once the placements have answered (the packer has none)."""
        if not turn.plan.takes or turn.over():
            wallets_left.tick()
            return
        sent = _Countdown(len(turn.plan.takes), wallets_left.tick)
        for take in turn.plan.takes:
            submit(partial(turn.take, take), sent.tick)

    def placements(turn: WalletTurn) -> None:
        plan = turn.sendable()
        if not plan or turn.over():
            takes(turn)
            return
        now_top: BookTop | None = None
        count = len(plan)
        if fresh_top is not None and not turn.dry_run:
            try:
                now_top = fresh_top()
            except BaseException as exc:
                failures.append(exc)
                now_top = None
            count = turn.check(plan, now_top)
        if count == 0:
            takes(turn)
            return
        sent = _Countdown(count, lambda: takes(turn))
        for placement in plan[:count]:
            submit(partial(turn.place, placement, now_top), sent.tick)

    def start(turn: WalletTurn) -> None:
        cancels = turn.plan.cancels
        if not cancels:
            submit(lambda: None, lambda: placements(turn))
            return
        answered = _Countdown(len(cancels), lambda: placements(turn))
        for cancel in cancels:
            submit(partial(turn.cancel, cancel), answered.tick)

    if not turns:
        return []
    for turn in turns:
        start(turn)
    done.wait()
    if failures:
        raise failures[0]
    return [turn.out for turn in turns]
