"""Where notifications go and how often, read like every other setting: `.env` < `.env.local` <
the process environment (`ama_tui.settings.read_environment`).

- `AMA_NOTIFY_URLS`: apprise URLs, comma-separated (none: no notifications at all).
- `AMA_NOTIFY_SUMMARY_S`: a periodic summary every so many seconds of a run (0 or unset: off).
- `AMA_NOTIFY_MAX_PER_MINUTE`: the rate limit (default 20); what is over it is dropped and counted.

A bad value never stops a run: it is reported (by `problems`) and the default is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ama_tui.notify.events import Rules

URLS = "AMA_NOTIFY_URLS"
SUMMARY_S = "AMA_NOTIFY_SUMMARY_S"
MAX_PER_MINUTE = "AMA_NOTIFY_MAX_PER_MINUTE"
DEFAULT_MAX_PER_MINUTE = 20


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    urls: tuple[str, ...] = ()
    rules: Rules = field(default_factory=Rules)
    max_per_minute: int = DEFAULT_MAX_PER_MINUTE
    problems: tuple[str, ...] = ()
    """What was wrong with the settings (each names its variable, never a URL)."""

    @property
    def enabled(self) -> bool:
        return bool(self.urls)


def parse_config(env: Mapping[str, str]) -> NotifyConfig:
    urls = tuple(dict.fromkeys(u.strip() for u in env.get(URLS, "").split(",") if u.strip()))
    problems: list[str] = []
    summary: float | None = None
    text = env.get(SUMMARY_S, "").strip()
    if text:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not value >= 0 or value == float("inf"):
            problems.append(
                f"{SUMMARY_S} must be a number of seconds (0: off), got {text!r}; summaries are off"
            )
        elif value > 0:
            summary = value
    per_minute = DEFAULT_MAX_PER_MINUTE
    text = env.get(MAX_PER_MINUTE, "").strip()
    if text:
        try:
            per_minute = int(text)
        except ValueError:
            per_minute = 0
        if per_minute < 1:
            problems.append(f"{MAX_PER_MINUTE} must be a whole number of 1 or more, got {text!r}")
            per_minute = DEFAULT_MAX_PER_MINUTE
    return NotifyConfig(urls, Rules(summary_every_s=summary), per_minute, tuple(problems))


def load_config(directory: Path | None = None, environ: Mapping[str, str] | None = None) -> NotifyConfig:
    """The settings from `directory`'s `.env` files (the working directory by default) and the
    environment. An unreadable `.env` means no notifications (said in `problems`)."""
    from ama_tui.settings import SettingsError, read_environment

    try:
        env = read_environment(directory, environ)
    except SettingsError as exc:
        return NotifyConfig(problems=(f"notifications are off: {exc}",))
    return parse_config(env)
