"""The headless progress lines stay whole when sessions report from many threads at once (a
devnet crash test once read `session 2/3 … oksession 1/3 … ok` as one line)."""

from __future__ import annotations

import io
import re
import threading
import time

from ama_tui.engine.session_keeper import SessionProgress
from ama_tui.headless import _Progress


class _SlowText(io.StringIO):
    """A stream that lets other threads run inside every write, as a pipe can."""

    def write(self, text: str) -> int:
        time.sleep(0)
        written = super().write(text)
        time.sleep(0)
        return written


def test_session_lines_from_many_threads_stay_whole() -> None:
    out = _SlowText()
    progress = _Progress(out)
    start = threading.Barrier(8)

    def report(worker: int) -> None:
        start.wait()
        for done in range(50):
            progress.session(SessionProgress(done, 50, f"W{worker:02d}", "0x" + "0" * 40, None))

    threads = [threading.Thread(target=report, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = out.getvalue().split("\n")
    assert lines[-1] == "" and len(lines) == 8 * 50 + 1
    assert all(re.fullmatch(r"session \d+/50 W\d\d ok", line) for line in lines[:-1])
