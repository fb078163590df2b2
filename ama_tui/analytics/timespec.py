"""Reading `--since` / `--until`: a date, a date and time, unix seconds or milliseconds, or an
age such as `2h` (that long before now). Times without a zone are UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

_AGE: Final = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$")
_AGE_MS: Final = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_MS_THRESHOLD: Final = 100_000_000_000
"""A bare number this large or larger is milliseconds (seconds would be past the year 5000)."""
HINT: Final = "use 2026-01-31, 2026-01-31T12:00Z, unix seconds or ms, or an age like 30m, 2h, 7d"


class TimeSpecError(ValueError):
    """A time the user gave that cannot be read (the message names the option and the value)."""


@dataclass(frozen=True)
class Window:
    """Journal lines with `since_ms <= ts <= until_ms` (either end open when None)."""

    since_ms: int | None = None
    until_ms: int | None = None


def parse_time(text: str, now_ms: int, *, option: str = "time") -> int:
    """Milliseconds since the epoch for one `--since`/`--until` value."""
    value = text.strip()
    if not value:
        raise TimeSpecError(f"{option}: empty time ({HINT})")
    if value.isdigit():
        number = int(value)
        return number if number >= _MS_THRESHOLD else number * 1000
    age = _AGE.match(value.lower())
    if age:
        return now_ms - int(float(age.group(1)) * _AGE_MS[age.group(2)])
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise TimeSpecError(f"{option}: cannot read {text!r} as a time ({HINT})") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def parse_window(since: str | None, until: str | None, now_ms: int) -> Window:
    start = parse_time(since, now_ms, option="--since") if since is not None else None
    end = parse_time(until, now_ms, option="--until") if until is not None else None
    if start is not None and end is not None and start > end:
        raise TimeSpecError(f"--since ({since}) is after --until ({until})")
    return Window(start, end)
