"""Notification events derived from hand-made sequences of engine snapshots."""

from __future__ import annotations

from collections.abc import Sequence

from ama_tui.engine import packer
from ama_tui.engine.snapshot import EngineSnapshot, EngineState
from ama_tui.notify.events import (
    KILL_SWITCH_PREFIX,
    STRATEGY_STOPPED_PREFIX,
    Event,
    EventKind,
    Level,
    Rules,
    Watch,
    arena_finished_event,
    leaderboard_finished_event,
    observe,
)

from .snapshots import RUN_ID, snapshot, wallet


def events_of(snapshots: Sequence[EngineSnapshot], rules: Rules | None = None) -> list[list[Event]]:
    watch, found = Watch(), []
    for snap in snapshots:
        watch, events = observe(watch, snap, rules or Rules())
        found.append(list(events))
    return found


def kinds(found: list[list[Event]]) -> list[list[EventKind]]:
    return [[e.kind for e in events] for events in found]


def test_the_stop_reason_prefixes_are_the_engines() -> None:
    assert KILL_SWITCH_PREFIX == packer.KILL_SWITCH_PREFIX
    assert STRATEGY_STOPPED_PREFIX == packer.STRATEGY_STOPPED_PREFIX


def test_a_quiet_run_says_started_then_stopped_with_its_reason() -> None:
    found = events_of(
        [
            snapshot(state=EngineState.STARTING, cycle=0),
            snapshot(now=1_001),
            snapshot(now=1_002),
            snapshot(now=1_003, state=EngineState.STOPPED, stop_reason="3 cycles done"),
        ]
    )
    assert kinds(found) == [[EventKind.RUN_STARTED], [], [], [EventKind.RUN_STOPPED]]
    started, stopped = found[0][0], found[3][0]
    assert started.title == "ama-tui: run started (ETH-USD)"
    assert started.body == f"run {RUN_ID} started on ETH-USD with 2 wallets, strategy packer"
    assert stopped.level is Level.SUCCESS
    assert "stopped: 3 cycles done" in stopped.body
    assert f"run {RUN_ID} on ETH-USD" in stopped.body


def test_a_new_run_id_is_a_new_run() -> None:
    found = events_of([snapshot(), snapshot(run_id="run-0002", now=1_001)])
    assert kinds(found) == [[EventKind.RUN_STARTED], [EventKind.RUN_STARTED]]
    assert "run-0002" in found[1][0].body


def test_the_kill_switch_is_told_once_and_the_stop_is_a_failure() -> None:
    reason = f"{KILL_SWITCH_PREFIX}20 consecutive failing cycles"
    found = events_of(
        [
            snapshot(),
            snapshot(now=1_001, stop_reason=reason),
            snapshot(now=1_002, stop_reason=reason, state=EngineState.STOPPED),
        ]
    )
    assert kinds(found) == [[EventKind.RUN_STARTED], [EventKind.KILL_SWITCH], [EventKind.RUN_STOPPED]]
    assert found[1][0].level is Level.FAILURE and reason in found[1][0].body
    assert found[2][0].level is Level.FAILURE


def test_a_failed_user_strategy_stops_as_a_failure() -> None:
    reason = f"{STRATEGY_STOPPED_PREFIX}it raised ValueError"
    found = events_of([snapshot(), snapshot(now=1_001, state=EngineState.STOPPED, stop_reason=reason)])
    (stopped,) = found[1]
    assert stopped.kind is EventKind.RUN_STOPPED
    assert stopped.title == "ama-tui: strategy stopped (ETH-USD)"
    assert stopped.level is Level.FAILURE and reason in stopped.body


def test_a_burst_of_errors_within_the_window_is_told_once() -> None:
    boom = (wallet(0, last_error="relay answered 503", error_age_s=0.5), wallet(1))
    found = events_of(
        [
            snapshot(now=1_000, errors=0),
            snapshot(now=1_010, errors=2),
            snapshot(now=1_020, errors=4),  # 4 in 20 s: not yet
            snapshot(now=1_025, errors=5, wallets=boom),  # 5 in 25 s: a burst
            snapshot(now=1_026, errors=6),  # counting started again
            snapshot(now=1_030, errors=9),
        ]
    )
    assert kinds(found)[1:] == [[], [], [EventKind.ERROR_BURST], [], []]
    burst = found[3][0]
    assert burst.body.startswith(f"run {RUN_ID}: 5 errors in 30 s (5 in all)")
    assert "latest: w0: relay answered 503" in burst.body


def test_errors_spread_wider_than_the_window_are_no_burst() -> None:
    found = events_of([snapshot(now=1_000 + 10 * i, errors=i) for i in range(12)])
    assert all(e.kind is not EventKind.ERROR_BURST for events in found for e in events)


def test_the_burst_threshold_and_window_are_rules() -> None:
    rules = Rules(burst_errors=2, burst_window_s=5)
    found = events_of([snapshot(now=1_000), snapshot(now=1_004, errors=2)], rules)
    assert kinds(found)[1] == [EventKind.ERROR_BURST]


def test_session_creation_failing_is_told_per_wallet_once() -> None:
    failing = "session not created: relay answered 500 (next try in 2.0 s)"
    found = events_of(
        [
            snapshot(),
            snapshot(now=1_001, wallets=(wallet(0, last_error=failing, session_expiry=None), wallet(1))),
            snapshot(now=1_002, wallets=(wallet(0, last_error=failing, session_expiry=None), wallet(1))),
            snapshot(
                now=1_003,
                wallets=(
                    wallet(0, last_error=failing, session_expiry=None),
                    wallet(1, last_error=failing, session_expiry=None),
                ),
            ),
        ]
    )
    assert kinds(found)[1:] == [[EventKind.SESSION_FAILING], [], [EventKind.SESSION_FAILING]]
    assert "no session for 1 wallet(s): w0" in found[1][0].body and failing in found[1][0].body
    assert "w1" in found[3][0].body and "w0" not in found[3][0].body.splitlines()[0]
    assert found[1][0].level is Level.WARNING


def test_a_wallet_over_its_cap_is_told_when_it_goes_over() -> None:
    over = (wallet(0), wallet(1, utilization_bps=10_250))
    found = events_of(
        [
            snapshot(wallets=(wallet(0), wallet(1, utilization_bps=10_000))),  # at the cap: fine
            snapshot(now=1_001, wallets=over),
            snapshot(now=1_002, wallets=over),
            snapshot(now=1_003),
            snapshot(now=1_004, wallets=over),
        ]
    )
    assert kinds(found)[1:] == [[EventKind.OVER_CAP], [], [], [EventKind.OVER_CAP]]
    assert "w1: 102.5 % of its cap (102.50 of 100.00 USDC)" in found[1][0].body


def test_the_periodic_summary_is_off_by_default_and_follows_its_interval() -> None:
    times = [1_000, 1_030, 1_059, 1_060, 1_100, 1_125]
    assert all(
        e.kind is not EventKind.SUMMARY
        for events in events_of([snapshot(now=t) for t in times])
        for e in events
    )
    found = events_of([snapshot(now=t) for t in times], Rules(summary_every_s=60))
    assert kinds(found)[1:] == [[], [], [EventKind.SUMMARY], [], [EventKind.SUMMARY]]
    assert "state RUNNING, 0 errors" in found[3][0].body


def test_no_summary_once_stopped() -> None:
    found = events_of(
        [snapshot(now=1_000), snapshot(now=2_000, state=EngineState.STOPPED, stop_reason="stopped")],
        Rules(summary_every_s=60),
    )
    assert kinds(found)[1] == [EventKind.RUN_STOPPED]


def test_a_dry_run_says_so() -> None:
    (started,) = events_of([snapshot(dry_run=True)])[0]
    assert "started (dry run)" in started.body


def test_arena_and_leaderboard_events() -> None:
    one = arena_finished_event(
        {
            "strategy": "packer",
            "market": "ETH-USD",
            "preset": "REALISTIC",
            "seed": 3,
            "pnl": "1.25",
            "return": "0.001",
            "maxDrawdown": "0.5",
            "trades": 4,
            "fills": 9,
            "takerFills": 0,
            "capBreaches": 0,
            "stopReason": "duration reached",
            "folder": "results/packer-ETH-USD/seed3",
        }
    )
    assert one.kind is EventKind.ARENA_FINISHED and one.level is Level.SUCCESS
    assert "packer on ETH-USD (REALISTIC, seed 3): PnL 1.25" in one.body
    many = arena_finished_event(
        {
            "strategy": "packer",
            "runs": 3,
            "failed": 1,
            "pnlMean": "2",
            "pnlStdev": "1",
            "results": [],
            "out": "r",
        }
    )
    assert many.level is Level.WARNING and "3 runs, 1 failed, PnL mean 2" in many.body
    board = leaderboard_finished_event(
        {
            "ranking": [
                {"rank": 1, "strategy": "skewed", "pnlMean": "3.5"},
                {"rank": 2, "strategy": "packer", "pnlMean": "1.0"},
            ],
            "ran": 8,
            "skipped": 0,
            "out": "results/compare-ETH-USD",
        }
    )
    assert board.kind is EventKind.LEADERBOARD_FINISHED
    assert board.body.splitlines()[:3] == [
        "2 strategies ranked (8 runs, 0 skipped)",
        "1. skewed: PnL mean 3.5",
        "2. packer: PnL mean 1.0",
    ]
