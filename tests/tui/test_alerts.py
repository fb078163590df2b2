"""Issue 16, alerts: the kill switch tripped, a wallet over its cap, a burst of errors, a session
failing: a banner, the terminal bell (which `b` turns off), and a line in the log."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ama_tui.engine.packer import KILL_SWITCH_PREFIX
from ama_tui.engine.snapshot import EngineSnapshot, EngineState
from ama_tui.tui.alerts import BURST_ERRORS, AlertWatch, banner_text
from ama_tui.tui.widgets.action_log import ALERT_ACTION, ActionLog
from ama_tui.tui.widgets.alert_banner import AlertBanner

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig, screen_text

SIZE = (120, 40)


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> list[EngineSnapshot]:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=5, preset="GRADUAL_FILLS")
    rig.close()
    return snapshots


def alarming(snapshot: EngineSnapshot) -> EngineSnapshot:
    """The kill switch tripped, and the second wallet over its cap."""
    over = replace(snapshot.wallets[1], reserved6=snapshot.wallets[1].cap6 + 5_000_000)
    return replace(
        snapshot,
        state=EngineState.STOPPED,
        stop_reason=f"{KILL_SWITCH_PREFIX}3 consecutive failing cycles",
        wallets=(snapshot.wallets[0], over, *snapshot.wallets[2:]),
    )


def test_a_healthy_run_raises_nothing(snapshots: list[EngineSnapshot]) -> None:
    watch = AlertWatch()
    for snapshot in snapshots:
        active, new = watch.update(snapshot)
        assert active == new == ()


def test_kill_switch_and_cap_are_raised_once(snapshots: list[EngineSnapshot]) -> None:
    watch = AlertWatch()
    active, new = watch.update(alarming(snapshots[-1]))
    assert [a.key for a in active] == ["kill", f"cap:{snapshots[-1].wallets[1].address}"]
    assert new == active
    assert "KILL SWITCH tripped: 3 consecutive failing cycles" in banner_text(active)
    assert f"{snapshots[-1].wallets[1].nickname} over its cap" in banner_text(active)
    again, new = watch.update(alarming(snapshots[-1]))
    assert again == active and new == ()  # still up, not raised again


def test_a_burst_of_errors_within_the_window(snapshots: list[EngineSnapshot]) -> None:
    base = snapshots[-1]
    watch = AlertWatch(burst_window_s=30.0)

    def at(seconds: float, errors: int) -> EngineSnapshot:
        return replace(base, now=base.now + seconds, totals=replace(base.totals, errors=errors))

    assert watch.update(at(0, 10)) == ((), ())
    assert watch.update(at(10, 10 + BURST_ERRORS - 1)) == ((), ())  # one short of a burst
    _, new = watch.update(at(20, 10 + BURST_ERRORS + 2))
    assert [a.key for a in new] == ["errors"]
    assert f"burst of errors: {BURST_ERRORS + 2} in the last 20 s" == new[0].text
    still, new = watch.update(at(25, 10 + BURST_ERRORS + 2))  # all of them within the window
    assert [a.key for a in still] == ["errors"] and new == ()
    assert watch.update(at(80, 10 + BURST_ERRORS + 2)) == ((), ())  # quiet for a window: cleared


def test_a_wallet_without_a_live_session(snapshots: list[EngineSnapshot]) -> None:
    base = snapshots[-1]
    lost = replace(base.wallets[0], session_expiry=None)
    expired = replace(base.wallets[2], session_expiry=int(base.now) - 1)
    snapshot = replace(base, wallets=(lost, base.wallets[1], expired, *base.wallets[3:]))
    active, _ = AlertWatch().update(snapshot)
    assert [a.text for a in active] == [
        f"{lost.nickname}: no session (it cannot trade)",
        f"{expired.nickname}: session expired (it cannot trade)",
    ]
    assert all(a.severity == "warning" for a in active)
    # a run that is starting, or a dry run, has no sessions to speak of
    assert AlertWatch().update(replace(snapshot, state=EngineState.STARTING))[0] == ()
    assert AlertWatch().update(replace(snapshot, dry_run=True))[0] == ()
    # nor does a venue that trades without sessions
    sessionless = tuple(replace(w, session_expiry=None, needs_session=False) for w in base.wallets)
    assert AlertWatch().update(replace(base, wallets=sessionless))[0] == ()


async def test_the_banner_the_bell_and_a_log_line(snapshots: list[EngineSnapshot]) -> None:
    handle = fresh_handle(snapshots[-1])
    app = DashboardApp(handle)
    rings: list[int] = []
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
        await pilot.pause()
        screen = app.dashboard
        banner = screen.query_one(AlertBanner)
        assert not banner.display or not banner.has_class("-shown")
        assert not rings

        handle.publish(alarming(snapshots[-1]))
        assert screen.pull()
        await pilot.pause()
        assert banner.has_class("-shown") and banner.region.height == 1
        assert "KILL SWITCH tripped" in screen_text(app)
        log = screen.query_one(ActionLog)
        alerts = [line for line in log.visible_lines if line.action == ALERT_ACTION]
        assert len(alerts) == 2 and "KILL SWITCH" in (alerts[0].error or "")
        assert rings == [1]  # one ring for what came up together

        # the same alerts again: no ring, no new line
        handle.publish(replace(alarming(snapshots[-1]), now=snapshots[-1].now + 1))
        assert screen.pull()
        assert rings == [1]

        # `b` turns the bell off: a new alert still shows and logs, silently
        await pilot.press("b")
        assert not screen.bell_on
        burst = replace(alarming(snapshots[-1]), now=snapshots[-1].now + 2, wallets=snapshots[-1].wallets)
        handle.publish(replace(burst, totals=replace(burst.totals, errors=burst.totals.errors + 50)))
        assert screen.pull()
        assert rings == [1]
        assert any("burst of errors" in (line.error or "") for line in log.visible_lines)

        # all clear: the banner goes
        handle.publish(replace(snapshots[-1], now=snapshots[-1].now + 100))
        assert screen.pull()
        await pilot.pause()
        assert not banner.has_class("-shown")
