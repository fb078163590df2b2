"""Carrying out one wallet's plan: cancels first, then placements.

`WalletTurn` sends the trades of one wallet's plan and keeps what came of them; it is safe to use
from several threads, so a pipelined cycle (`engine.pipeline`) may have a wallet's whole plan in
flight at once, while `plan_steps` drives it one trade at a time (the deterministic order a
virtual clock needs).

Failures never stop the loop; each is journaled and acted on as its code's remedy says (reference
section 7, `protocol.errors.Remedy`): a session that is gone, capped or cannot do the trade ends
the wallet's turn and its session (a new one is opened); missing collateral ends the turn (the
next read re-sizes); market state (no liquidity, order not found) and a mined revert skip that
one order; a market that cannot trade at all ends the turn and tells the packer to stop quoting
it. A retryable failure ends the wallet's turn too: the relay may have failed after submitting,
so nothing is retried until the next read shows whether it landed. A stop request ends the turn
before the next trade is sent.

Every placement is checked against a top of book read again immediately before it is sent (one
read per burst of placements, shared by the wallets sending at that moment): when the other side
has come within `guard6` of the price (the move expected over one round trip), or the top cannot
be read, that placement and the wallet's remaining ones are skipped, with the tops at decision and
now, as a SKIP. A cancel the venue answered `pending` leaves its order resting until it is mined
(its receipt is looked up once the turn's cancels have answered), so the side's room it was to
free (`WalletPlan.room`) is not used this turn while it is not mined: that many of the
side's placements wait for a later cycle (SKIP `CANCEL_PENDING`), and the side never holds more
than its target on chain, whichever is mined first.

A taker strategy's takes (`WalletPlan.takes`, passed by the engine's risk guard) go last: they
are meant to trade at once, so they are not held to the top's distance; a crossing limit is
journaled as PLACE_LIMIT marked `taker`, a market order as PLACE_MARKET.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ama_tui.core.market import BookTop
from ama_tui.core.models import ActionKind, ActionLogLine
from ama_tui.core.planner import PlannedCancel, PlannedPlacement, PlannedTake, WalletPlan
from ama_tui.engine.journaling import JournalContext, amount_fields, margin_fields, price_fields
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.protocol.errors import SESSION_INVALID, Remedy, remedy
from ama_tui.venues.base import (
    CancelOrder,
    PlaceLimit,
    PlaceMarket,
    PlacementResolver,
    PlacementState,
    RateLimited,
    TradeReceipt,
    TradeRejected,
    TradeRequest,
    Venue,
    VenueError,
)

CANCEL_POLL_S: Final = 0.1
DEFAULT_CANCEL_WAIT_S: Final = 1.0
"""On a real clock, a turn waits this long at most for its pending cancels to be mined before it
holds their side's replacements back (a local node mines in milliseconds, a chain within a block
or two): a replacement deferred to the next cycle leaves the side short meanwhile."""


@dataclass(slots=True)
class WalletOutcome:
    lines: list[ActionLogLine] = field(default_factory=list)
    placed: int = 0
    cancelled: int = 0
    errors: int = 0
    attempted: int = 0
    retry_after_s: float | None = None
    session_lost: bool = False
    retryable_failure: bool = False
    """A trade failed in a way worth retrying later (the relay down, slow, or saying to wait), not
    counting a 429 that named no wait: that is the relay over its capacity (the adaptive limit
    sends fewer at once), seen only in `unanswered`."""
    unanswered: int = 0
    """Trades that got no answer of the relay's own (a refusal for load, an outage, a timeout);
    a 400 is an answer."""
    last_error: str | None = None
    market_closed: str | None = None
    """Set when the venue said the market cannot trade at all (its remedy is STOP_MARKET)."""
    pending: list[tuple[str, dict[str, Any], BookTop, BookTop | None]] = field(default_factory=list)
    """(tx hash, PLACE_LIMIT params, top at decision, top before sending) of placements the venue
    accepted without an order id yet (a `pending` relay answer): resolved from later reads."""
    last_action_ms: int | None = None
    skips: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """(reason, message, params) of placements not sent; journaled as SKIP by the caller."""
    placed_tops: list[tuple[int, BookTop, BookTop | None]] = field(default_factory=list)
    """(order id, top at decision, top just before sending) of each placed order."""
    taken_ids: list[int] = field(default_factory=list)
    """Order ids of the takes sent (their taker fills are on purpose)."""
    tagged: list[tuple[str, int | None, str | None]] = field(default_factory=list)
    """(tag, order id, tx hash) of each tagged placement or take that went out (the id None while
    the venue has not said it)."""


def tops_fields(decision: BookTop, now: BookTop | None) -> dict[str, Any]:
    """The tops a placement was decided on and sent against, for the journal."""
    fields: dict[str, Any] = {
        "decisionBid6": str(decision.best_bid6),
        "decisionAsk6": str(decision.best_ask6),
    }
    if now is not None:
        fields |= {"sendBid6": str(now.best_bid6), "sendAsk6": str(now.best_ask6)}
    return fields


def too_close(placement: PlannedPlacement, top: BookTop, guard6: int) -> bool:
    """Is the other side within `guard6` of this order's price (or through it)?"""
    if placement.is_buy:
        return top.best_ask6 > 0 and placement.price6 > top.best_ask6 - guard6
    return top.best_bid6 > 0 and placement.price6 < top.best_bid6 + guard6


class WalletTurn:
    """One wallet's plan being carried out. `cancel`, `check` and `place` may run from several
    threads at once; a failure that ends the turn (`over`) stops the trades not yet sent. Every
    journal line is handed to `emit` the moment it exists, so an action done is an action
    written even if the process is killed right after. `send` wraps each submission (the
    fleet's concurrency limit); `on_latency` gets each round trip on the venue's `clock`."""

    def __init__(
        self,
        *,
        venue: Venue,
        order_book: str,
        wallet: WalletRuntime,
        plan: WalletPlan,
        context: JournalContext,
        now_ms: Callable[[], int],
        decision_top: BookTop,
        guard6: int = 0,
        dry_run: bool = False,
        stopping: Callable[[], bool] = lambda: False,
        emit: Callable[[ActionLogLine], None] = lambda line: None,
        on_latency: Callable[[float], None] = lambda seconds: None,
        clock: Callable[[], float] = lambda: 0.0,
        send: Callable[..., TradeReceipt | None] | None = None,
        cancel_wait_s: float = 0.0,
    ) -> None:
        self.venue, self.order_book, self.wallet, self.plan = venue, order_book, wallet, plan
        self.context, self.now_ms, self.decision_top, self.guard6 = context, now_ms, decision_top, guard6
        self.dry_run, self.stopping, self.emit = dry_run, stopping, emit
        self.on_latency, self.clock = on_latency, clock
        self._send = send or (lambda call, replacing=False: call())
        self.cancel_wait_s = cancel_wait_s
        """How long (wall clock) to keep looking for a pending cancel's receipt before holding its
        side's replacements back for a later cycle (0 on a virtual clock: one look)."""
        self.out = WalletOutcome()
        self._ended = False
        self._lock = threading.Lock()
        self.session_id = wallet.trade_session_id
        self._cancels_pending: list[tuple[bool, str]] = []
        """(side, tx hash) of this turn's cancels answered `pending`."""
        self._replacing = False
        """A cancel of this turn went out: its replacements go even if a stop is asked meanwhile."""

    def over(self) -> bool:
        """The turn has ended (a failure, or a stop request): send nothing more. A stop request
        does not end a turn whose cancels went out: its replacements still go (then the run
        stops), so a stop never leaves a side emptied by its own replacement."""
        with self._lock:
            ended, replacing = self._ended, self._replacing
        return ended or (self.stopping() and not replacing)

    def _end(self) -> None:
        with self._lock:
            self._ended = True

    def _record(self, line: ActionLogLine) -> None:
        with self._lock:
            self.out.lines.append(line)
        self.emit(line)

    def _line(self, kind: ActionKind, **kwargs: Any) -> ActionLogLine:
        return self.context.line(
            kind,
            ts_ms=self.now_ms(),
            trader=self.wallet.address,
            nickname=self.wallet.entry.nickname,
            **kwargs,
        )

    def _done(self, kind: ActionKind, params: dict[str, Any], tx_hash: str | None) -> None:
        """Journal a trade that went through (in a dry run: one that would have been sent)."""
        if self.dry_run:
            kind, params = ActionKind.DRY_RUN, {"wouldDo": str(kind), **params}
        line = self._line(kind, params=params, tx_hash=tx_hash)
        with self._lock:
            self.out.last_action_ms = line.ts
        self._record(line)

    def _fail(self, exc: VenueError, what: str) -> None:
        """Journal a failure and act on its remedy (ending the turn when it says so)."""
        message = f"{what} failed: {exc}"
        ends = True
        with self._lock:
            out = self.out
            out.errors += 1
            out.last_error = message
            if isinstance(exc, TradeRejected):
                cure = remedy(exc.code)
                if exc.code in SESSION_INVALID:
                    out.session_lost = True
                elif cure is Remedy.STOP_MARKET:
                    out.market_closed = message
                else:
                    # SHRINK_ORDER: the next read re-sizes; the others skip this one order (a
                    # request bug, market state, a mined revert: resent blindly it fails again)
                    ends = cure is Remedy.SHRINK_ORDER
            else:
                out.unanswered += 1
                if not isinstance(exc, RateLimited):
                    out.retryable_failure = True
                elif exc.retry_after:
                    out.retryable_failure = True
                    out.retry_after_s = max(out.retry_after_s or 0.0, exc.retry_after)
        self._record(self._line(ActionKind.ERROR, error=message))
        if ends:
            self._end()

    def _submit(self, request: TradeRequest, what: str) -> tuple[bool, TradeReceipt | None]:
        """(ok, receipt); a failure is journaled and acted on."""
        with self._lock:
            self.out.attempted += 1
        if self.dry_run:
            return True, None
        if self.session_id is None:
            with self._lock:
                self.out.last_error = f"{what} not sent: the wallet has no session"
                self.out.session_lost = True
            self._end()
            return False, None
        session_id = self.session_id

        def call() -> TradeReceipt | None:
            if self.over():  # the turn ended while this trade waited for a slot: not sent
                return None
            sent_at = self.clock()
            try:
                return self.venue.submit(self.order_book, session_id, request)
            finally:
                self.on_latency(self.clock() - sent_at)

        try:
            with self._lock:
                replacing = self._replacing
            receipt = self._send(call, replacing) if replacing else self._send(call)
        except VenueError as exc:
            self._fail(exc, what)
            return False, None
        if receipt is None:  # stopped, or the turn ended, while waiting for a slot: not sent
            with self._lock:
                self.out.attempted -= 1
            return False, None
        return True, receipt

    def cancel(self, cancel: PlannedCancel) -> None:
        if self.over():
            return
        params = {
            "orderId": str(cancel.order_id),
            "isBuy": cancel.is_buy,
            **price_fields(cancel.price6),
            "reason": str(cancel.reason),
        }
        ok, receipt = self._submit(
            CancelOrder(self.wallet.address, cancel.order_id), f"cancel {cancel.order_id}"
        )
        if ok:
            with self._lock:
                self._replacing = bool(self.plan.placements)
                self.wallet.cancelled_ids[cancel.order_id] = self.clock()
                self.out.cancelled += 1
                if receipt is not None and receipt.pending and receipt.tx_hash:
                    self._cancels_pending.append((cancel.is_buy, receipt.tx_hash))
            self._done(ActionKind.CANCEL_ORDER, params, receipt.tx_hash if receipt else None)

    def sendable(self) -> tuple[PlannedPlacement, ...]:
        """The plan's placements that may go once its cancels have answered: on a side where a
        cancel is still pending, the room it frees is not used yet (the rest is skipped, said once)."""
        placements = self.plan.placements
        waiting = self._still_pending()
        if not any(waiting.values()):
            return placements
        left = {True: self.plan.room[0] - waiting[True], False: self.plan.room[1] - waiting[False]}
        kept: list[PlannedPlacement] = []
        for placement in placements:
            if left[placement.is_buy] > 0:
                left[placement.is_buy] -= 1
                kept.append(placement)
        held = len(placements) - len(kept)
        if held:
            self._skip(
                "CANCEL_PENDING",
                f"{held} placements wait for {sum(waiting.values())} cancels still being mined "
                "(their orders rest until then; the side would hold more than its target)",
                {"cancelsPending": sum(waiting.values()), "count": held},
            )
        return tuple(kept)

    def _still_pending(self) -> dict[bool, int]:
        """Per side, this turn's cancels answered `pending` that are not mined yet: their receipts
        are looked up together (one read, repeated every CANCEL_POLL_S for up to `cancel_wait_s`
        while some are not mined: a block is often that close); a cancel the venue cannot say of
        counts as pending, and so does one that reverted (its order may still rest)."""
        with self._lock:
            sent = list(self._cancels_pending)
        waiting = {True: 0, False: 0}
        if not sent:
            return waiting
        mined: set[str] = set()
        if isinstance(self.venue, PlacementResolver):
            give_up = time.monotonic() + self.cancel_wait_s
            while True:
                try:
                    outcomes = self.venue.placement_outcomes(
                        self.order_book, [(tx, self.wallet.address) for _, tx in sent if tx not in mined]
                    )
                except VenueError:
                    outcomes = {}
                mined |= {tx for tx, outcome in outcomes.items() if outcome.state is PlacementState.LANDED}
                if len(mined) == len(sent) or time.monotonic() >= give_up or self.over():
                    break
                time.sleep(CANCEL_POLL_S)
        for is_buy, tx in sent:
            if tx not in mined:
                waiting[is_buy] += 1
        return waiting

    def check(self, placements: Sequence[PlannedPlacement], now_top: BookTop | None) -> int:
        """How many of `placements` (in order) may go out against `now_top`, the top read again
        just now; the first that may not and every one after it are skipped, said once."""
        if now_top is None:
            if placements:
                self._skip(
                    "TOP_UNKNOWN",
                    f"{len(placements)} placements not sent: the top of book could not be read again",
                    tops_fields(self.decision_top, None),
                )
            return 0
        for index, placement in enumerate(placements):
            if now_top.is_crossed or too_close(placement, now_top, self.guard6):
                side = "buy" if placement.is_buy else "sell"
                decision = self.decision_top
                self._skip(
                    "TOP_MOVED",
                    f"{side} at {placement.price6} and {len(placements) - index - 1} more not sent: the top "
                    f"moved to bid {now_top.best_bid6} / ask {now_top.best_ask6} (planned on "
                    f"{decision.best_bid6} / {decision.best_ask6}; keeps {self.guard6} off)",
                    tops_fields(decision, now_top),
                )
                return index
        return len(placements)

    def _skip(self, reason: str, message: str, params: dict[str, Any]) -> None:
        with self._lock:
            self.out.skips.append((reason, message, params))

    def place(self, placement: PlannedPlacement, now_top: BookTop | None) -> None:
        if self.over():
            return
        params: dict[str, Any] = {
            "isBuy": placement.is_buy,
            **price_fields(placement.price6),
            **amount_fields(placement.amount18),
            **margin_fields(placement.margin6),
            "level": placement.level,
        }
        request = PlaceLimit(self.wallet.address, placement.price6, placement.amount18, placement.is_buy)
        what = f"place {'buy' if placement.is_buy else 'sell'} level {placement.level}"
        ok, receipt = self._submit(request, what)
        if not ok:
            return
        order_id = self._landed(receipt, params, placement.tag, now_top, follow=True)
        if order_id is not None:
            with self._lock:
                self.out.placed_tops.append((order_id, self.decision_top, now_top))
        self._done(ActionKind.PLACE_LIMIT, params, receipt.tx_hash if receipt else None)

    def _landed(
        self,
        receipt: TradeReceipt | None,
        params: dict[str, Any],
        tag: str,
        now_top: BookTop | None,
        *,
        follow: bool,
    ) -> int | None:
        """Count a placement the venue took and note what its receipt says: its order id (into
        `params`), or with `follow`, that it is pending (followed to PLACE_MINED by later reads)."""
        tx_hash = receipt.tx_hash if receipt else None
        order_id = receipt.order_id if receipt else None
        with self._lock:
            self.out.placed += 1
            if tag:
                self.out.tagged.append((tag, order_id, tx_hash))
            if order_id is not None:
                params["orderId"] = str(order_id)
            elif follow and tx_hash is not None and not self.dry_run:
                params["pending"] = True
                self.out.pending.append((tx_hash, dict(params), self.decision_top, now_top))
        return order_id

    def take(self, take: PlannedTake) -> None:
        if self.over():
            return
        side = "buy" if take.is_buy else "sell"
        params: dict[str, Any] = {"isBuy": take.is_buy, **amount_fields(take.amount18), "taker": True}
        request: TradeRequest
        if take.limit6:
            request = PlaceLimit(self.wallet.address, take.limit6, take.amount18, take.is_buy)
            params |= price_fields(take.limit6)
            kind = ActionKind.PLACE_LIMIT
        else:
            request = PlaceMarket(self.wallet.address, take.amount18, take.is_buy)
            kind = ActionKind.PLACE_MARKET
        ok, receipt = self._submit(request, f"take {side}")
        if not ok:
            return
        order_id = self._landed(receipt, params, take.tag, None, follow=kind is ActionKind.PLACE_LIMIT)
        if order_id is not None:
            with self._lock:
                self.out.taken_ids.append(order_id)
        self._done(kind, params, receipt.tx_hash if receipt else None)


def plan_steps(
    turn: WalletTurn, fresh_top: Callable[[], BookTop | None] | None
) -> Generator[None, None, WalletOutcome]:
    """The plan as a generator that pauses before each trade it sends, so a scheduler can
    interleave many wallets (one trade of a wallet in flight at a time, in the plan's order).
    `fresh_top` reads the top again right before each placement (None: no re-check)."""
    plan = turn.plan
    for cancel in plan.cancels:
        if turn.over():
            return turn.out
        yield
        turn.cancel(cancel)
    if turn.dry_run:
        fresh_top = None
    placements = turn.sendable()
    for index, placement in enumerate(placements):
        if turn.over():
            break
        yield
        if turn.over():
            break
        now_top = fresh_top() if fresh_top is not None else None
        if fresh_top is not None and turn.check(placements[index:], now_top) == 0:
            break
        turn.place(placement, now_top)
    for take in plan.takes:
        if turn.over():
            break
        yield
        turn.take(take)
    return turn.out
