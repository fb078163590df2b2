"""The progress bar on stderr: simulated time done, wall time left. Wall time is read here only;
nothing of it reaches a result."""

from __future__ import annotations

import time
from typing import TextIO

WIDTH = 24


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m{rest % 60:02d}s" if hours else f"{rest // 60}m{rest % 60:02d}s"


class ProgressBar:
    def __init__(self, out: TextIO | None, label: str, total_s: float, *, every_s: float = 0.5) -> None:
        self.out = out
        self.label = label
        self.total_s = total_s
        self.every_s = every_s
        self.began = time.monotonic()
        self.last = 0.0
        self.tty = bool(out is not None and getattr(out, "isatty", lambda: False)())
        self.shown = False

    def update(self, done_s: float) -> None:
        if self.out is None:
            return
        now = time.monotonic()
        if now - self.last < (self.every_s if self.tty else 5.0) and done_s < self.total_s:
            return
        self.last = now
        share = min(1.0, done_s / self.total_s) if self.total_s > 0 else 1.0
        elapsed = now - self.began
        eta = elapsed * (1 - share) / share if share > 0 else 0.0
        filled = int(share * WIDTH)
        text = (
            f"{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {share * 100:3.0f}% "
            f"sim {_clock(done_s)}/{_clock(self.total_s)} ETA {_clock(eta)}"
        )
        print(("\r" + text) if self.tty else text, end="" if self.tty else "\n", file=self.out, flush=True)
        self.shown = True

    def close(self) -> None:
        if self.out is not None and self.tty and self.shown:
            print(file=self.out, flush=True)
