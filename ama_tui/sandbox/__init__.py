"""Run a user's strategy file in a confined child process and talk to it over typed JSON lines.

The engine drives it synchronously (`SandboxedStrategy.start/on_tick/on_fill/close`) and answers
its calls; the strategy's process holds no key, session, network or file outside its scratch
folder. Depends only on the kit (the child side) and core.

Only the errors are loaded with the package (the engine catches `StrategyStopped` on every run);
the rest loads at first use, so a run with no strategy file never loads the kit.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

from ama_tui.sandbox.errors import SandboxUnavailable, StrategyStopped

if TYPE_CHECKING:
    from ama_tui.kit.wire import Log
    from ama_tui.sandbox.limits import Limits
    from ama_tui.sandbox.strategy import Answer, Event, Intent, SandboxedStrategy

_AT_FIRST_USE: Final = {
    "Log": "ama_tui.kit.wire",
    "Limits": "ama_tui.sandbox.limits",
    "Answer": "ama_tui.sandbox.strategy",
    "Event": "ama_tui.sandbox.strategy",
    "Intent": "ama_tui.sandbox.strategy",
    "SandboxedStrategy": "ama_tui.sandbox.strategy",
}


def __getattr__(name: str) -> object:
    module = _AT_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Answer",
    "Event",
    "Intent",
    "Limits",
    "Log",
    "SandboxUnavailable",
    "SandboxedStrategy",
    "StrategyStopped",
]
