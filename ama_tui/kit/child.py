"""The strategy's process: confine itself, then load the user's file and serve the engine.

Run as `python -I -S -m ama_tui.kit.child OPTIONS` (the sandbox starts it through a bootstrap that
puts this package on `sys.path`, since -I ignores PYTHONPATH). OPTIONS is a JSON object:
`{"confine": "require"|"try"|"off", "limits": {...}}`. The protocol runs on copies of stdin and
stdout; fd 1 then points at stderr, so a stray `print` lands in the captured stderr instead of
corrupting the protocol. Everything a strategy may import is imported before the process is
confined: afterwards there is no file system to import from.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Final

from ama_tui.kit import jail
from ama_tui.kit.calls import CallArgs, Method
from ama_tui.kit.loader import StrategyLoadError, describe_exception, load_strategy
from ama_tui.kit.payloads import WireError, decode_result
from ama_tui.kit.trading import Trading, TradingError
from ama_tui.kit.wire import (
    MAX_CHILD_LINE,
    MAX_ERROR_CHARS,
    MAX_PARENT_LINE,
    Call,
    ChildMessage,
    Close,
    Done,
    Error,
    FillEvent,
    Init,
    Log,
    ParentMessage,
    Ready,
    Reply,
    Started,
    Tick,
    decode_parent,
    encode,
)

PRELOADED: Final = (
    "math",
    "cmath",
    "statistics",
    "decimal",
    "fractions",
    "numbers",
    "collections",
    "collections.abc",
    "itertools",
    "functools",
    "operator",
    "dataclasses",
    "typing",
    "random",
    "datetime",
    "time",
    "json",
    "heapq",
    "bisect",
    "enum",
    "re",
    "string",
    "copy",
    "array",
    "encodings.ascii",
    "encodings.latin_1",
    "encodings.utf_16",
)
"""What a strategy may import (plus the kit): nothing else can be imported once confined."""


class ProtocolFailure(BaseException):
    """The engine went away or broke the protocol: the process ends (not catchable as Exception)."""


class ParentReader:
    def __init__(self, fd: int) -> None:
        self._file = open(fd, "rb", buffering=1 << 16)  # noqa: SIM115 - lives as long as the process

    def read(self) -> ParentMessage:
        line = self._file.readline(MAX_PARENT_LINE + 1)
        if not line:
            raise ProtocolFailure("the engine closed the pipe")
        if not line.endswith(b"\n"):
            raise ProtocolFailure("a line from the engine is too long or cut short")
        try:
            return decode_parent(line)
        except WireError as exc:
            raise ProtocolFailure(f"the engine sent a malformed message: {exc}") from None


class ChildWriter:
    def __init__(self, fd: int) -> None:
        self._fd = fd

    def send(self, message: ChildMessage) -> None:
        line = encode(message)
        if len(line) > MAX_CHILD_LINE:
            raise ValueError(f"a message to the engine would be longer than {MAX_CHILD_LINE:,} bytes")
        view = memoryview(line)
        while view:
            try:
                written = os.write(self._fd, view)
            except OSError as exc:
                raise ProtocolFailure(f"cannot write to the engine: {exc}") from None
            view = view[written:]


class WireChannel:
    """A `Channel` over the pipes: each call blocks until the engine's reply."""

    def __init__(self, reader: ParentReader, writer: ChildWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._last_id = 0

    def call(self, method: Method, args: CallArgs) -> object:
        self._last_id += 1
        self._writer.send(Call(self._last_id, method, args))
        reply = self._reader.read()
        if not isinstance(reply, Reply) or reply.id != self._last_id:
            raise ProtocolFailure(f"expected the reply to call {self._last_id}, got {reply!r}"[:300])
        if not reply.ok:
            raise TradingError(reply.error)
        try:
            return decode_result(method, reply.result)
        except WireError as exc:
            raise ProtocolFailure(f"the engine's answer is malformed: {exc}") from None

    def log(self, message: str) -> None:
        self._writer.send(Log(message))


class Runner:
    """Load the strategy from the init message, then handle ticks, fills and close until EOF."""

    def __init__(self, reader: ParentReader, writer: ChildWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._filename = "strategy.py"

    def _fail(self, message_id: int | None, exc: BaseException) -> int:
        report = describe_exception(exc, self._filename)[:MAX_ERROR_CHARS]
        self._writer.send(Error(message_id, report, type(exc).__name__))
        return 1

    def run(self) -> int:
        """Serve until the engine closes the pipe (0) or the strategy fails (1); the exit code."""
        try:
            return self._serve()
        except ProtocolFailure as exc:
            print(f"ama_tui.kit.child: {exc}", file=sys.stderr)
            return 2

    def _serve(self) -> int:
        init = self._reader.read()
        if not isinstance(init, Init):
            raise ProtocolFailure(f"expected init, got {type(init).__name__}")
        self._filename = init.filename
        try:
            strategy = load_strategy(init.source, init.filename)()
            strategy._attach(init.market, init.params, WireChannel(self._reader, self._writer), init.wallets)
            strategy.initialize()
        except StrategyLoadError as exc:
            self._writer.send(Error(None, str(exc)[:MAX_ERROR_CHARS], "StrategyLoadError"))
            return 1
        except ProtocolFailure:
            raise
        except BaseException as exc:
            return self._fail(None, exc)
        self._writer.send(Ready())
        while True:
            try:
                message = self._reader.read()
            except ProtocolFailure:
                return 0  # the engine is done with this strategy
            if not isinstance(message, Tick | FillEvent | Close):
                raise ProtocolFailure(f"unexpected {type(message).__name__} between calls")
            try:
                self._handle(strategy, message)
            except ProtocolFailure:
                raise
            except BaseException as exc:
                return self._fail(message.id, exc)
            self._writer.send(Done(message.id))

    @staticmethod
    def _handle(strategy: Trading, message: Tick | FillEvent | Close) -> None:
        if isinstance(message, Tick):
            strategy.analyze(message.data)
        elif isinstance(message, FillEvent):
            strategy.on_fill(message.fill)
        else:
            strategy.close_session()


def _protocol_fds() -> tuple[int, int]:
    """(in, out) on fresh descriptors; fd 0 becomes /dev/null and fd 1 a copy of stderr."""
    read_fd, write_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    return read_fd, write_fd


def _preload() -> None:
    for module in PRELOADED:
        importlib.import_module(module)


def main(argv: Sequence[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    options = json.loads(arguments[0]) if arguments else {}
    mode = options.get("confine", "require")
    limits = jail.ProcessLimits(**options.get("limits", {}))
    read_fd, write_fd = _protocol_fds()
    writer = ChildWriter(write_fd)
    _preload()
    confined = False
    if mode != "off":
        try:
            jail.confine()
            confined = True
        except jail.ConfinementError as exc:
            if mode == "require":
                writer.send(Error(None, f"cannot confine the strategy: {exc}", "ConfinementError"))
                os._exit(3)
    announce: Callable[[int], None] = lambda pid: writer.send(Started(pid, confined))  # noqa: E731
    if confined:
        jail.split(announce, limits.cpu_seconds)  # returns in the worker only
    else:
        announce(os.getpid())
    jail.apply_limits(limits)
    code = Runner(ParentReader(read_fd), writer).run()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
