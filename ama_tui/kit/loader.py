"""Turn a strategy file's text into its `Trading` subclass, and exceptions into short reports.

A report keeps only the frames in the user's file (the kit's and Python's own frames say nothing
to a strategy's author) and ends with the exception's type and message.
"""

from __future__ import annotations

import linecache
import sys
import traceback
from types import ModuleType
from typing import Final

from ama_tui.kit.trading import Trading

MODULE_NAME: Final = "strategy"


class StrategyLoadError(Exception):
    """The file cannot give a strategy: a syntax error, no `Trading` subclass, or several."""


def load_strategy(source: str, filename: str) -> type[Trading]:
    """Run the file's top level as module `strategy` and return its one `Trading` subclass."""
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f" line {exc.lineno}" if exc.lineno else ""
        raise StrategyLoadError(f"syntax error in {filename}{where}: {exc.msg}") from None
    except ValueError as exc:  # e.g. a NUL byte in the source
        raise StrategyLoadError(f"{filename} cannot be compiled: {exc}") from None
    module = ModuleType(MODULE_NAME)
    module.__file__ = filename
    sys.modules[MODULE_NAME] = module
    # Tracebacks show the user's lines although the file itself is out of reach.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(code, module.__dict__)
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Trading)
        and value is not Trading
        and value.__module__ == MODULE_NAME
    ]
    if not found:
        raise StrategyLoadError(
            f"{filename} defines no subclass of Trading "
            "(write `from ama_tui.kit import Trading` and `class MyStrategy(Trading): ...`)"
        )
    if len(found) > 1:
        names = ", ".join(sorted(cls.__name__ for cls in found))
        raise StrategyLoadError(f"{filename} defines {len(found)} subclasses of Trading ({names}); keep one")
    return found[0]


def describe_exception(exc: BaseException, filename: str) -> str:
    """`Type: message` followed by the frames of the user's file, innermost last."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == filename]
    summary = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if not frames:
        return summary
    lines = [summary, *"".join(traceback.format_list(frames)).rstrip().splitlines()]
    return "\n".join(lines)
