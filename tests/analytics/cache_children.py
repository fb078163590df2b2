"""The children a report starts to build the tables it deferred (`cache_keeper.refresh_later`),
started for real and recorded, with the keeper turned on (the tests turn it off by default)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from ama_tui.analytics import cache_keeper


@dataclass(frozen=True)
class Started:
    journals: list[Path]
    cache_dir: Path
    child: subprocess.Popen[bytes] | None


def record_children(monkeypatch: pytest.MonkeyPatch) -> list[Started]:
    """Turn the keeper on; every child started from now on is appended to the list returned."""
    monkeypatch.setenv(cache_keeper.ENABLE_ENV, "on")
    started: list[Started] = []
    real = cache_keeper.refresh_later

    def recorded(journals: list[Path], cache_dir: Path) -> subprocess.Popen[bytes] | None:
        started.append(Started(list(journals), cache_dir, real(journals, cache_dir)))
        return started[-1].child

    monkeypatch.setattr(cache_keeper, "refresh_later", recorded)
    return started
