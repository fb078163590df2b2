"""Where the runs meet the notifier, in as few lines of theirs as possible:

    notes = RunNotifications.from_environment(on_snapshot)
    run = assemble_run(..., on_snapshot=notes.callback)
    with notes:
        run.packer.run(...)

and `notify_arena_finished(line)` once an arena command has its result. Without `AMA_NOTIFY_URLS`
both do nothing (no thread, no apprise import)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.notify.config import NotifyConfig, load_config
from ama_tui.notify.events import Event, Watch, arena_finished_event, leaderboard_finished_event, observe
from ama_tui.notify.notifier import Notifier

log = logging.getLogger(__name__)

OnSnapshot = Callable[[EngineSnapshot], None]


def _say_problems(config: NotifyConfig) -> None:
    for problem in config.problems:
        log.warning("notifications: %s", problem)


class RunNotifications:
    """Wraps a run's `on_snapshot`: each snapshot goes to the caller's callback first, then its
    events (if any) to the notifier, which starts with the first snapshot and stops at `close`."""

    def __init__(
        self,
        on_snapshot: OnSnapshot | None,
        config: NotifyConfig,
        *,
        notifier: Callable[[NotifyConfig], Notifier] | None = None,
    ) -> None:
        self._inner = on_snapshot
        self._config = config
        self._make_notifier = notifier or (lambda c: Notifier(c.urls, max_per_minute=c.max_per_minute))
        self._notifier: Notifier | None = None
        self._watch = Watch()
        self._broken = False
        _say_problems(config)

    @classmethod
    def from_environment(
        cls,
        on_snapshot: OnSnapshot | None,
        directory: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> RunNotifications:
        return cls(on_snapshot, load_config(directory, environ))

    @property
    def callback(self) -> OnSnapshot | None:
        """What to give `assemble_run`: the caller's own callback when nothing is configured."""
        return self._see if self._config.enabled else self._inner

    def _see(self, snapshot: EngineSnapshot) -> None:
        if self._inner is not None:
            self._inner(snapshot)
        if self._broken:
            return
        try:
            self._watch, events = observe(self._watch, snapshot, self._config.rules)
            if events and self._notifier is None:
                self._notifier = self._make_notifier(self._config)
            for event in events:
                assert self._notifier is not None
                self._notifier.post(event)
        except Exception:  # a notification must never stop the engine
            self._broken = True
            log.exception("notifications stopped for this run")

    def close(self) -> None:
        if self._notifier is not None:
            self._notifier.close()
            self._notifier = None

    def __enter__(self) -> RunNotifications:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def send_now(event: Event, config: NotifyConfig) -> None:
    """One message, sent before this returns (at most the drain time): for commands about to end."""
    _say_problems(config)
    if not config.enabled:
        return
    notifier = Notifier(config.urls, max_per_minute=config.max_per_minute)
    notifier.post(event)
    notifier.close()


def notify_arena_finished(
    line: Mapping[str, object],
    *,
    leaderboard: bool = False,
    directory: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """`arena run` / `arena compare` finished with `line` (the JSON line they print)."""
    config = load_config(directory, environ)
    if not config.enabled:
        return
    event = leaderboard_finished_event(line) if leaderboard else arena_finished_event(line)
    send_now(event, config)
