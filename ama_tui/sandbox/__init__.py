"""Run a user's strategy file in a confined child process and talk to it over typed JSON lines.

The engine drives it synchronously (`SandboxedStrategy.start/on_tick/on_fill/close`) and answers
its calls; the strategy's process holds no key, session, network or file outside its scratch
folder. Depends only on the kit (the child side) and core.
"""

from ama_tui.kit.wire import Log
from ama_tui.sandbox.errors import SandboxUnavailable, StrategyStopped
from ama_tui.sandbox.limits import Limits
from ama_tui.sandbox.strategy import Answer, Event, Intent, SandboxedStrategy

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
