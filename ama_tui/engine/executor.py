"""Carrying out one wallet's plan: cancels first, then placements, one at a time for that wallet.

Failures never stop the loop; each is journaled and acted on as its code's remedy says (reference
section 7, `protocol.errors.Remedy`): a session that is gone, capped or cannot do the trade ends
the wallet's turn and its session (a new one is opened); missing collateral ends the turn (the
next read re-sizes); market state (no liquidity, order not found) and a mined revert skip that
one order; a market that cannot trade at all ends the turn and tells the packer to stop quoting
it. A retryable failure ends the wallet's turn too: the relay may have failed after submitting,
so nothing is retried until the next read shows whether it landed. A stop request ends the turn
before the next trade is sent.

Every placement is checked against a top of book read again immediately before it is sent
(`fresh_top`, shared by the wallets sending at that moment): when the other side has come within
`guard6` of the price (the move expected over one round trip), or the top cannot be read, the
wallet's remaining placements are skipped, with the tops at decision and now, as a SKIP.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from ama_tui.core.market import BookTop
from ama_tui.core.models import ActionKind, ActionLogLine
from ama_tui.core.planner import PlannedPlacement, WalletPlan
from ama_tui.engine.journaling import JournalContext, amount_fields, margin_fields, price_fields
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.protocol.errors import SESSION_INVALID, Remedy, remedy
from ama_tui.venues.base import (
    CancelOrder,
    PlaceLimit,
    RateLimited,
    TradeRejected,
    TradeRequest,
    Venue,
    VenueError,
)


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


def plan_steps(
    *,
    venue: Venue,
    order_book: str,
    wallet: WalletRuntime,
    plan: WalletPlan,
    context: JournalContext,
    now_ms: Callable[[], int],
    decision_top: BookTop,
    fresh_top: Callable[[], BookTop | None] | None,
    guard6: int = 0,
    dry_run: bool = False,
    stopping: Callable[[], bool] = lambda: False,
    emit: Callable[[ActionLogLine], None] = lambda line: None,
    on_latency: Callable[[float], None] = lambda seconds: None,
    clock: Callable[[], float] = lambda: 0.0,
) -> Generator[None, None, WalletOutcome]:
    """The plan as a generator that pauses before each trade it sends, so a scheduler can
    interleave many wallets (one trade of a wallet in flight at a time, in the plan's order).
    Every journal line is also handed to `emit` the moment it exists, so an action done is an
    action written even if the process is killed right after. `decision_top` is the top the plan
    was made on; `fresh_top` reads the top again right before each placement (None: no re-check).
    `on_latency` gets each submission's round trip on the venue's `clock`."""
    out = WalletOutcome()
    session_id = wallet.session.session_id if wallet.session else None
    trader, nickname = wallet.address, wallet.entry.nickname

    def record(line: ActionLogLine) -> None:
        out.lines.append(line)
        emit(line)

    def done(kind: ActionKind, params: dict[str, Any], tx_hash: str | None) -> None:
        """Journal a trade that went through (in a dry run: one that would have been sent)."""
        out.last_action_ms = now_ms()
        if dry_run:
            kind, params = ActionKind.DRY_RUN, {"wouldDo": str(kind), **params}
        record(
            context.line(
                kind,
                ts_ms=out.last_action_ms,
                params=params,
                tx_hash=tx_hash,
                trader=trader,
                nickname=nickname,
            )
        )

    def fail(exc: VenueError, what: str) -> bool:
        """Journal a failure; True when the wallet's turn must end."""
        out.errors += 1
        message = f"{what} failed: {exc}"
        out.last_error = message
        record(
            context.line(ActionKind.ERROR, ts_ms=now_ms(), error=message, trader=trader, nickname=nickname)
        )
        if isinstance(exc, TradeRejected):
            cure = remedy(exc.code)
            if exc.code in SESSION_INVALID:
                out.session_lost = True
                return True
            if cure is Remedy.STOP_MARKET:
                out.market_closed = message
                return True
            # SHRINK_ORDER: the next read re-sizes; the others skip this one order (a request bug,
            # market state, a mined revert: resending it blindly would fail the same way)
            return cure is Remedy.SHRINK_ORDER
        out.retryable_failure = True
        if isinstance(exc, RateLimited) and exc.retry_after:
            out.retry_after_s = exc.retry_after
        return True

    def send(request: TradeRequest, what: str) -> tuple[bool, bool, str | None, int | None]:
        """(ok, stop, tx_hash, order_id); a failure is journaled, `stop` ends the wallet's turn."""
        out.attempted += 1
        if dry_run:
            return True, False, None, None
        if session_id is None:
            out.last_error = f"{what} not sent: the wallet has no session"
            out.session_lost = True
            return False, True, None, None
        sent_at = clock()
        try:
            receipt = venue.submit(order_book, session_id, request)
        except VenueError as exc:
            on_latency(clock() - sent_at)
            return False, fail(exc, what), None, None
        on_latency(clock() - sent_at)
        return True, False, receipt.tx_hash, receipt.order_id

    for cancel in plan.cancels:
        if stopping():
            return out
        params = {
            "orderId": str(cancel.order_id),
            "isBuy": cancel.is_buy,
            **price_fields(cancel.price6),
            "reason": str(cancel.reason),
        }
        yield
        if stopping():
            return out
        ok, stop, tx_hash, _ = send(CancelOrder(wallet.address, cancel.order_id), f"cancel {cancel.order_id}")
        if ok:
            wallet.cancelled_ids.add(cancel.order_id)
            out.cancelled += 1
            done(ActionKind.CANCEL_ORDER, params, tx_hash)
        if stop:
            return out

    if dry_run:
        fresh_top = None
    for index, placement in enumerate(plan.placements):
        if stopping():
            break
        params = {
            "isBuy": placement.is_buy,
            **price_fields(placement.price6),
            **amount_fields(placement.amount18),
            **margin_fields(placement.margin6),
            "level": placement.level,
        }
        request = PlaceLimit(wallet.address, placement.price6, placement.amount18, placement.is_buy)
        yield
        if stopping():
            break
        now_top: BookTop | None = None
        if fresh_top is not None:
            now_top = fresh_top()
            left = len(plan.placements) - index
            side = "buy" if placement.is_buy else "sell"
            if now_top is None:
                out.skips.append(
                    (
                        "TOP_UNKNOWN",
                        f"{left} placements not sent: the top of book could not be read again",
                        tops_fields(decision_top, None),
                    )
                )
                break
            if now_top.is_crossed or too_close(placement, now_top, guard6):
                out.skips.append(
                    (
                        "TOP_MOVED",
                        f"{side} at {placement.price6} and {left - 1} more not sent: the top moved to "
                        f"bid {now_top.best_bid6} / ask {now_top.best_ask6} (planned on "
                        f"{decision_top.best_bid6} / {decision_top.best_ask6}; keeps {guard6} off)",
                        tops_fields(decision_top, now_top),
                    )
                )
                break
        ok, stop, tx_hash, order_id = send(
            request, f"place {'buy' if placement.is_buy else 'sell'} level {placement.level}"
        )
        if ok:
            out.placed += 1
            if order_id is not None:
                params["orderId"] = str(order_id)
                out.placed_tops.append((order_id, decision_top, now_top))
            elif tx_hash is not None and not dry_run:
                params["pending"] = True
                out.pending.append((tx_hash, dict(params), decision_top, now_top))
            done(ActionKind.PLACE_LIMIT, params, tx_hash)
        if stop:
            break
    return out
