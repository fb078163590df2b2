"""The notifier: delivered to a local HTTP receiver (apprise's `json://`), within its rate limit,
never blocking the one who posts, and a failing service logged once with its secrets masked."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from ama_tui.engine.snapshot import EngineState
from ama_tui.notify.events import (
    KILL_SWITCH_PREFIX,
    Event,
    EventKind,
    Level,
    Rules,
    Watch,
    arena_finished_event,
    leaderboard_finished_event,
    observe,
)
from ama_tui.notify.hooks import RunNotifications, notify_arena_finished
from ama_tui.notify.notifier import Notifier
from ama_tui.notify.sender import FAILURES_ALLOWED

from .receiver import WAIT_S, local_receiver
from .snapshots import snapshot, wallet

SECRET = "TOKEN-s3cr3t-4242"


def _every_kind_of_event() -> list[Event]:
    """A run that goes through everything the events tell, then an arena and a leaderboard."""
    failing = "session not created: relay answered 500 (next try in 2.0 s)"
    reason = f"{KILL_SWITCH_PREFIX}20 consecutive failing cycles"
    snapshots = [
        snapshot(now=1_000),
        snapshot(now=1_001, wallets=(wallet(0, last_error=failing, session_expiry=None), wallet(1))),
        snapshot(now=1_002, wallets=(wallet(0), wallet(1, utilization_bps=12_000))),
        snapshot(now=1_003, errors=7),
        snapshot(now=1_100, errors=7),
        snapshot(now=1_101, errors=7, stop_reason=reason),
        snapshot(now=1_102, errors=7, stop_reason=reason, state=EngineState.STOPPED),
    ]
    watch, events = Watch(), []
    for snap in snapshots:
        watch, found = observe(watch, snap, Rules(summary_every_s=60))
        events += found
    events.append(arena_finished_event({"strategy": "packer", "market": "ETH-USD", "pnl": "1.5"}))
    events.append(leaderboard_finished_event({"ranking": [{"rank": 1, "strategy": "packer"}], "out": "r"}))
    return events


def test_every_kind_of_event_reaches_a_json_webhook() -> None:
    events = _every_kind_of_event()
    assert [e.kind for e in events] == [
        EventKind.RUN_STARTED,
        EventKind.SESSION_FAILING,
        EventKind.OVER_CAP,
        EventKind.ERROR_BURST,
        EventKind.SUMMARY,
        EventKind.KILL_SWITCH,
        EventKind.RUN_STOPPED,
        EventKind.ARENA_FINISHED,
        EventKind.LEADERBOARD_FINISHED,
    ]
    with local_receiver() as receiver:
        notifier = Notifier([receiver.url("hook")])
        for event in events:
            assert notifier.post(event)
        stats = notifier.close(drain_s=WAIT_S)
        posts = receiver.wait_for(len(events))
    assert stats.sent == len(events) and stats.undelivered == 0
    assert [p.path for p in posts] == ["/hook"] * len(events)
    for event, post in zip(events, posts, strict=True):
        assert post.payload["title"] == event.title
        assert post.payload["message"] == event.body
        assert post.payload["type"] == event.level.value
    by_title = {p.payload["title"]: p.payload for p in posts}
    assert by_title["ama-tui: KILL SWITCH (ETH-USD)"]["type"] == "failure"
    assert "20 consecutive failing cycles" in by_title["ama-tui: KILL SWITCH (ETH-USD)"]["message"]
    assert by_title["ama-tui: run stopped (ETH-USD)"]["type"] == "failure"
    assert "no session for 1 wallet(s): w0" in by_title["ama-tui: sessions failing (ETH-USD)"]["message"]
    assert "w1: 120.0 % of its cap" in by_title["ama-tui: over cap (ETH-USD)"]["message"]
    assert "7 errors in 30 s" in by_title["ama-tui: errors (ETH-USD)"]["message"]
    assert by_title["ama-tui: run started (ETH-USD)"]["type"] == "info"


class _Recorder:
    """A sender that keeps what it is given; `hold` keeps it busy until released."""

    def __init__(self, hold: bool = False) -> None:
        self.sent: list[Event] = []
        self.busy = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def send(self, event: Event) -> int:
        self.busy.set()
        self.release.wait(WAIT_S)
        self.sent.append(event)
        return 1


def _event(n: int) -> Event:
    return Event(EventKind.SUMMARY, f"t{n}", f"body {n}", Level.INFO)


def test_the_rate_limit_drops_and_counts() -> None:
    recorder = _Recorder()
    notifier = Notifier(max_per_minute=2, sender=lambda: recorder, clock=lambda: 0.0)
    for n in range(5):
        assert notifier.post(_event(n)), "queued: the rate limit is the sender's business"
    stats = notifier.close(drain_s=WAIT_S)
    # the clock stands still: only the first two fit in the minute
    assert [e.title for e in recorder.sent] == ["t0", "t1"]
    assert stats.dropped_rate == 3 and stats.sent == 2


def test_a_minute_later_the_next_message_says_what_was_dropped() -> None:
    recorder = _Recorder()
    times = iter([0.0, 10.0, 59.0, 60.0, 61.0])
    notifier = Notifier(max_per_minute=1, sender=lambda: recorder, clock=lambda: next(times))
    for n in range(5):
        notifier.post(_event(n))
    stats = notifier.close(drain_s=WAIT_S)
    assert [e.title for e in recorder.sent] == ["t0", "t3"]
    assert recorder.sent[1].body == "body 3\n(2 earlier notifications were dropped: too many at once)"
    assert stats.dropped_rate == 3 and stats.sent == 2


def test_a_full_queue_drops_at_once_and_counts() -> None:
    recorder = _Recorder(hold=True)
    notifier = Notifier(queue_size=2, sender=lambda: recorder)
    assert notifier.post(_event(0))
    assert recorder.busy.wait(WAIT_S), "the notifier took the first event"
    assert notifier.post(_event(1)) and notifier.post(_event(2))  # the queue is now full
    assert [notifier.post(_event(n)) for n in (3, 4, 5)] == [False, False, False]
    assert notifier.stats.dropped_full == 3
    recorder.release.set()
    stats = notifier.close(drain_s=WAIT_S)
    assert [e.title for e in recorder.sent] == ["t0", "t1", "t2"]
    assert stats.sent == 3 and stats.dropped_full == 3
    assert recorder.sent[1].body == "body 1\n(3 earlier notifications were dropped: too many at once)"
    assert recorder.sent[2].body == "body 2"
    assert not notifier.post(_event(6)) and notifier.stats.dropped_closed == 1


def test_a_failing_url_is_logged_once_masked_and_given_up(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with local_receiver() as receiver:
        failing = f"json://127.0.0.1:{receiver.port}/fail/{SECRET}"
        notifier = Notifier([failing, receiver.url(f"ok/{SECRET}")], max_per_minute=100)
        for n in range(FAILURES_ALLOWED + 3):
            notifier.post(_event(n))
        stats = notifier.close(drain_s=WAIT_S)
        good = receiver.wait_for(FAILURES_ALLOWED + 3, "/ok/")
        bad = receiver.matching("/fail/")
    assert len(good) == FAILURES_ALLOWED + 3 and stats.sent == FAILURES_ALLOWED + 3
    assert len(bad) == FAILURES_ALLOWED, "given up after a few failures in a row, not retried forever"
    warnings = [r for r in caplog.records if r.name.startswith("ama_tui.notify")]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert f"AMA_NOTIFY_URLS #1 (json://127.0.0.1:{receiver.port}/…)" in message
    assert SECRET not in caplog.text


def test_a_url_apprise_does_not_know_is_skipped_and_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    notifier = Notifier([f"nosuchservice://{SECRET}/x"])
    notifier.post(_event(0))
    stats = notifier.close(drain_s=WAIT_S)
    assert stats.sent == 0 and stats.undelivered == 1
    assert "AMA_NOTIFY_URLS #1 (nosuchservice://…) is not a URL apprise knows" in caplog.text
    assert SECRET not in caplog.text


def test_run_notifications_wrap_the_callback_only_when_configured(tmp_path: Path) -> None:
    seen: list[object] = []
    off = RunNotifications.from_environment(seen.append, tmp_path, environ={})
    assert off.callback == seen.append
    off.close()
    with local_receiver() as receiver:
        env = {"AMA_NOTIFY_URLS": receiver.url("run")}
        with RunNotifications.from_environment(seen.append, tmp_path, environ=env) as notes:
            assert notes.callback is not None and notes.callback != seen.append
            notes.callback(snapshot(now=1_000))
            notes.callback(snapshot(now=1_001, state=EngineState.STOPPED, stop_reason="3 cycles done"))
        posts = receiver.wait_for(2)
    assert len(seen) == 2, "the caller's own callback still sees every snapshot"
    assert [p.payload["title"] for p in posts] == [
        "ama-tui: run started (ETH-USD)",
        "ama-tui: run stopped (ETH-USD)",
    ]


def test_arena_finished_is_sent_before_the_command_ends(tmp_path: Path) -> None:
    with local_receiver() as receiver:
        env = {"AMA_NOTIFY_URLS": receiver.url("arena")}
        notify_arena_finished(
            {"strategy": "packer", "market": "ETH-USD", "pnl": "2"}, directory=tmp_path, environ=env
        )
        notify_arena_finished({"ranking": [], "out": "r"}, leaderboard=True, directory=tmp_path, environ=env)
        posts = receiver.wait_for(2)
    assert [p.payload["title"] for p in posts] == ["ama-tui: arena finished", "ama-tui: leaderboard finished"]
    notify_arena_finished({"strategy": "x"}, directory=tmp_path, environ={})  # not configured: nothing
