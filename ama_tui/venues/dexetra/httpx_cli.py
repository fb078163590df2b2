"""httpx without its command-line client.

`import httpx` also imports `httpx._main`, its `httpx` command, whenever rich, pygments and click
are installed (textual and uvicorn install them here): about a tenth of a second of a live run's
start for a command the tool never runs. `leave_out()` registers a stand-in for that one module
before httpx is first imported; the library itself is unchanged. Imported first by the package
(`venues.dexetra`), so every module of the venue finds httpx lean.
"""

from __future__ import annotations

import sys
import types


def _unavailable() -> None:
    raise SystemExit("httpx's command line is not part of ama-tui: run it from its own install")


def leave_out() -> None:
    """Register the stand-in, unless httpx (or its command line) is imported already."""
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stand_in = types.ModuleType("httpx._main", "ama-tui's stand-in for httpx's command line")
    stand_in.main = _unavailable  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stand_in
