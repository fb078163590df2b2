"""What is worth telling a person, derived from the engine's consecutive snapshots.

Pure: `observe(watch, snapshot, rules)` returns the next watch and the events the snapshot brings,
so the same snapshots always give the same messages (tests build them by hand). Times are the
snapshot's own (`snapshot.now`, the venue clock), never the wall clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from ama_tui.core.units import format_usdc6
from ama_tui.engine.snapshot import EngineSnapshot, EngineState, WalletView, run_summary_text

KILL_SWITCH_PREFIX = "kill switch: "
STRATEGY_STOPPED_PREFIX = "strategy stopped: "
"""The engine's stop reasons start with these (the packer's own constants; a test keeps them equal)."""
SESSION_NOT_CREATED = "session not created"
FULL_CAP_BPS = 10_000
LONGEST_DETAIL = 300
"""An error quoted in a message is cut to this many characters."""


class EventKind(StrEnum):
    RUN_STARTED = "run started"
    RUN_STOPPED = "run stopped"
    KILL_SWITCH = "kill switch tripped"
    ERROR_BURST = "errors"
    SESSION_FAILING = "session creation failing"
    OVER_CAP = "wallet over its cap"
    SUMMARY = "summary"
    ARENA_FINISHED = "arena finished"
    LEADERBOARD_FINISHED = "leaderboard finished"


class Level(StrEnum):
    """The message's colour in the services that have one (apprise's notify types)."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    FAILURE = "failure"


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    title: str
    body: str
    level: Level = Level.INFO


@dataclass(frozen=True, slots=True)
class Rules:
    burst_errors: int = 5
    """This many new errors ..."""
    burst_window_s: float = 30.0
    """... within this many seconds (snapshot time) is a burst."""
    summary_every_s: float | None = None
    """A summary every so many seconds of the run (venue clock); None: never."""


@dataclass(frozen=True, slots=True)
class Watch:
    """What the previous snapshots left to compare the next one with."""

    run_id: str | None = None
    state: EngineState | None = None
    stop_reason: str | None = None
    error_marks: tuple[tuple[float, int], ...] = ()
    """(snapshot time, total errors) of the snapshots inside the burst window, oldest first."""
    session_failing: frozenset[int] = frozenset()
    """Wallet indexes already reported as failing to create their session."""
    over_cap: frozenset[int] = frozenset()
    """Wallet indexes already reported over their cap."""
    next_summary_at: float | None = None


def observe(watch: Watch, snapshot: EngineSnapshot, rules: Rules) -> tuple[Watch, tuple[Event, ...]]:
    """The events `snapshot` brings after what `watch` remembers, and the watch to keep."""
    events: list[Event] = []
    if watch.run_id != snapshot.run_id:
        watch = Watch(run_id=snapshot.run_id)
        if rules.summary_every_s:
            watch = replace(watch, next_summary_at=snapshot.now + rules.summary_every_s)
        events.append(_started(snapshot))
    watch, found = _sessions_failing(watch, snapshot)
    events += found
    watch, found = _over_cap(watch, snapshot)
    events += found
    watch, found = _error_burst(watch, snapshot, rules)
    events += found
    reason = snapshot.stop_reason
    if reason and reason != watch.stop_reason and reason.startswith(KILL_SWITCH_PREFIX):
        events.append(
            Event(
                EventKind.KILL_SWITCH,
                _title("KILL SWITCH", snapshot),
                f"run {snapshot.run_id}: {reason}",
                Level.FAILURE,
            )
        )
    if snapshot.state is EngineState.STOPPED and watch.state is not EngineState.STOPPED:
        events.append(_stopped(snapshot))
    elif (
        watch.next_summary_at is not None
        and rules.summary_every_s
        and snapshot.state is not EngineState.STOPPED
        and snapshot.now >= watch.next_summary_at
    ):
        events.append(_summary(snapshot))
        watch = replace(watch, next_summary_at=snapshot.now + rules.summary_every_s)
    watch = replace(watch, state=snapshot.state, stop_reason=reason)
    return watch, tuple(events)


def _title(what: str, snapshot: EngineSnapshot) -> str:
    return f"ama-tui: {what} ({snapshot.market.symbol})"


def _cut(text: str) -> str:
    return text if len(text) <= LONGEST_DETAIL else text[: LONGEST_DETAIL - 1] + "…"


def _started(snapshot: EngineSnapshot) -> Event:
    dry = " (dry run)" if snapshot.dry_run else ""
    body = (
        f"run {snapshot.run_id} started{dry} on {snapshot.market.symbol} with "
        f"{len(snapshot.wallets)} wallets, strategy {snapshot.strategy}"
    )
    return Event(EventKind.RUN_STARTED, _title("run started", snapshot), body, Level.INFO)


def _stopped(snapshot: EngineSnapshot) -> Event:
    reason = snapshot.stop_reason or "stopped"
    failed = reason.startswith((KILL_SWITCH_PREFIX, STRATEGY_STOPPED_PREFIX))
    what = "strategy stopped" if reason.startswith(STRATEGY_STOPPED_PREFIX) else "run stopped"
    body = run_summary_text(snapshot)
    if not snapshot.stop_reason:
        body += f"\nstopped: {reason}"
    return Event(
        EventKind.RUN_STOPPED,
        _title(what, snapshot),
        body,
        Level.FAILURE if failed else Level.SUCCESS,
    )


def _summary(snapshot: EngineSnapshot) -> Event:
    over = sum(1 for w in snapshot.wallets if w.utilization_bps > FULL_CAP_BPS)
    lines = [
        run_summary_text(snapshot),
        f"state {snapshot.state.value}, {snapshot.totals.errors} errors, "
        f"{snapshot.consecutive_failed_cycles} failing cycles in a row, {over} wallets over their cap",
    ]
    return Event(EventKind.SUMMARY, _title("summary", snapshot), "\n".join(lines), Level.INFO)


def _names(wallets: list[WalletView]) -> str:
    shown = ", ".join(w.nickname for w in wallets[:5])
    return shown + (f" and {len(wallets) - 5} more" if len(wallets) > 5 else "")


def _sessions_failing(watch: Watch, snapshot: EngineSnapshot) -> tuple[Watch, list[Event]]:
    failing = [w for w in snapshot.wallets if w.last_error and SESSION_NOT_CREATED in w.last_error]
    now = frozenset(w.index for w in failing)
    new = [w for w in failing if w.index not in watch.session_failing]
    watch = replace(watch, session_failing=now)
    if not new:
        return watch, []
    body = (
        f"run {snapshot.run_id}: no session for {len(new)} wallet(s): {_names(new)}\n"
        f"{_cut(new[0].last_error or '')}"
    )
    return watch, [
        Event(EventKind.SESSION_FAILING, _title("sessions failing", snapshot), body, Level.WARNING)
    ]


def _over_cap(watch: Watch, snapshot: EngineSnapshot) -> tuple[Watch, list[Event]]:
    over = [w for w in snapshot.wallets if w.utilization_bps > FULL_CAP_BPS]
    new = [w for w in over if w.index not in watch.over_cap]
    watch = replace(watch, over_cap=frozenset(w.index for w in over))
    if not new:
        return watch, []
    lines = [f"run {snapshot.run_id}: {len(new)} wallet(s) over their cap"]
    lines += [
        f"{w.nickname}: {w.utilization_bps / 100:.1f} % of its cap "
        f"({format_usdc6(w.reserved6)} of {format_usdc6(w.cap6)} USDC)"
        for w in new[:5]
    ]
    return watch, [Event(EventKind.OVER_CAP, _title("over cap", snapshot), "\n".join(lines), Level.WARNING)]


def _error_burst(watch: Watch, snapshot: EngineSnapshot, rules: Rules) -> tuple[Watch, list[Event]]:
    now, errors = snapshot.now, snapshot.totals.errors
    marks = [m for m in watch.error_marks if m[0] >= now - rules.burst_window_s and m[1] <= errors]
    marks.append((now, errors))
    new = errors - marks[0][1]
    if new < rules.burst_errors:
        return replace(watch, error_marks=tuple(marks)), []
    latest = _latest_error(snapshot)
    body = f"run {snapshot.run_id}: {new} errors in {rules.burst_window_s:g} s ({errors} in all)"
    if latest:
        body += f"\nlatest: {_cut(latest)}"
    event = Event(EventKind.ERROR_BURST, _title("errors", snapshot), body, Level.WARNING)
    # counting starts again from here: the next burst needs as many new errors
    return replace(watch, error_marks=((now, errors),)), [event]


def _latest_error(snapshot: EngineSnapshot) -> str | None:
    with_error = [w for w in snapshot.wallets if w.last_error]
    if not with_error:
        return None
    newest = min(
        with_error, key=lambda w: w.last_error_age_s if w.last_error_age_s is not None else float("inf")
    )
    return f"{newest.nickname}: {newest.last_error}"


def arena_finished_event(line: Mapping[str, Any]) -> Event:
    """`arena run`'s JSON line (one run, or several seeds of one strategy)."""
    if "results" in line:
        failed = int(line.get("failed") or 0)
        body = (
            f"{line.get('strategy')}: {line.get('runs')} runs, {failed} failed, "
            f"PnL mean {line.get('pnlMean')} (stdev {line.get('pnlStdev')})\nresults: {line.get('out')}"
        )
        level = Level.WARNING if failed else Level.SUCCESS
    else:
        body = (
            f"{line.get('strategy')} on {line.get('market')} "
            f"({line.get('preset')}, seed {line.get('seed')}): "
            f"PnL {line.get('pnl')}, return {line.get('return')}, max drawdown {line.get('maxDrawdown')}, "
            f"{line.get('trades')} trades, {line.get('fills')} fills, taker fills {line.get('takerFills')}, "
            f"cap breaches {line.get('capBreaches')}\nstopped: {line.get('stopReason')}\n"
            f"results: {line.get('folder')}"
        )
        level = Level.SUCCESS
    return Event(EventKind.ARENA_FINISHED, "ama-tui: arena finished", body, level)


def leaderboard_finished_event(line: Mapping[str, Any]) -> Event:
    """`arena compare`'s JSON line."""
    ranking = line.get("ranking") or []
    rows = [f"{r.get('rank')}. {r.get('strategy')}: PnL mean {r.get('pnlMean')}" for r in ranking[:10]]
    body = "\n".join(
        [
            f"{len(ranking)} strategies ranked ({line.get('ran')} runs, {line.get('skipped')} skipped)",
            *rows,
            f"results: {line.get('out')}",
        ]
    )
    return Event(EventKind.LEADERBOARD_FINISHED, "ama-tui: leaderboard finished", body, Level.SUCCESS)
