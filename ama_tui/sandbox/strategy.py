"""`SandboxedStrategy`: run a user's strategy file in a confined process, synchronously.

The engine calls `start`, then `on_tick` / `on_fill` for each event, then `close`; each runs the
strategy until it is done with that event and returns what it did (intents and log lines). Every
call the strategy makes goes through the engine's `answer(method, args)`; a ValueError from it is
the strategy's refusal (sent back as a failed reply). Whatever breaks a limit or the protocol
kills the process and raises `StrategyStopped` naming what the strategy did.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import NoReturn, Self

from ama_tui.kit.calls import INTENTS, CallArgs, Method
from ama_tui.kit.models import Fill, MarketData
from ama_tui.kit.payloads import WireError, encode_result
from ama_tui.kit.wire import (
    MAX_ERROR_CHARS,
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
    decode_child,
    encode,
    params_json,
)
from ama_tui.sandbox.errors import SandboxUnavailable, StrategyStopped
from ama_tui.sandbox.limits import Limits
from ama_tui.sandbox.pipes import LineTooLong, PipeClosed, Pipes, PipeTimeout
from ama_tui.sandbox.process import ChildProcess, describe_exit

Answer = Callable[[Method, CallArgs], object]
"""The engine's answer to a call: an order id for buy/sell, a bool for cancel, the kit's types
for the queries. Raise ValueError to refuse (the strategy gets a TradingError)."""


@dataclass(frozen=True, slots=True)
class Intent:
    """A buy, sell or cancel the strategy asked for, and the engine's answer (or refusal)."""

    method: Method
    args: CallArgs
    result: object = None
    error: str | None = None


Event = Intent | Log


def _bytes(count: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count:,} bytes"


class SandboxedStrategy:
    """One user strategy in its own confined process. Use as a context manager; not thread-safe."""

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        scratch_dir: Path | str | None = None,
        allow_unsandboxed: bool = False,
    ) -> None:
        self.limits = limits or Limits()
        self._scratch = Path(scratch_dir) if scratch_dir is not None else None
        self._own_scratch = False
        self._allow_unsandboxed = allow_unsandboxed
        self._process: ChildProcess | None = None
        self._pipes: Pipes | None = None
        self._name = "strategy"
        self._confined = False
        self._started = False
        self._stopped: str | None = None
        self._closed = False
        self._last_id = 0
        self._recent_calls: deque[float] = deque()
        self._events: list[Event] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def scratch_dir(self) -> Path | None:
        return self._scratch

    @property
    def pid(self) -> int | None:
        """The process we started (the shim when confined)."""
        return None if self._process is None else self._process.popen.pid

    @property
    def worker_pid(self) -> int | None:
        """The process running the strategy's code."""
        return None if self._process is None else self._process.worker_pid

    @property
    def confined(self) -> bool:
        return self._confined

    @property
    def stderr(self) -> str:
        """The last of what the strategy wrote to stderr or printed."""
        return "" if self._pipes is None else self._pipes.stderr

    # The engine's API.

    def start(
        self,
        market: str,
        params: Mapping[str, object],
        source_path: Path | str,
        answer: Answer | None = None,
        wallets: int = 1,
    ) -> list[Event]:
        """Start the process, load the file, run `initialize`; `answer` serves its calls (if any).
        `wallets`: how many wallets the strategy trades (its `self.wallets`)."""
        if self._process is not None:
            raise RuntimeError("this sandbox was already started")
        path = Path(source_path)
        self._name = path.name
        params_json(params)  # a value JSON cannot carry is the engine's mistake: say so before starting
        source = self._read_source(path)
        confine = self._confine_mode()
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="ama-strategy-"))
            self._own_scratch = True
        self._scratch.mkdir(parents=True, exist_ok=True)
        self._process = process = ChildProcess.spawn(self._scratch, self.limits, confine)
        assert process.popen.stdin and process.popen.stdout and process.popen.stderr
        self._pipes = Pipes(
            process.popen.stdin.fileno(),
            process.popen.stdout.fileno(),
            process.popen.stderr.fileno(),
            self.limits.max_line_bytes,
            self.limits.max_stderr_bytes,
        )
        started = self._next_message(time.monotonic() + self.limits.start_timeout, "start")
        if isinstance(started, Error) and started.exception == "ConfinementError":
            self._kill(started.error)
            raise SandboxUnavailable(
                f"{started.error}; refusing to run untrusted code without isolation "
                "(pass allow_unsandboxed=True to run it anyway)",
                self._name,
            )
        if not isinstance(started, Started):
            self._violation(f"sent {type(started).__name__.lower()} before it started")
        self._confined = started.confined
        self._started = True
        if not process.adopt_worker(started.pid):
            self._ended("start")
        init = Init(market=market, params=params, source=source, filename=self._name, wallets=wallets)
        return self._exchange(init, answer, "start")

    def on_tick(self, data: MarketData, answer: Answer) -> list[Event]:
        return self._exchange(Tick(self._next_id(), data), answer, "analyze")

    def on_fill(self, fill: Fill, answer: Answer) -> list[Event]:
        return self._exchange(FillEvent(self._next_id(), fill), answer, "on_fill")

    def close(self, answer: Answer) -> list[Event]:
        """Run `close_session`, then end the process (it exits on its own when we hang up)."""
        events = self._exchange(Close(self._next_id()), answer, "close_session")
        self._closed = True
        process = self._process
        if process is not None and process.popen.stdin is not None:
            process.popen.stdin.close()
            if process.wait(1.0) is None:
                process.kill()
            if self._pipes is not None:
                self._pipes.drain_stderr()
            process.close()
        return events

    def stop(self) -> None:
        """Kill the process if it still runs and remove a scratch folder we created. Idempotent."""
        if self._process is not None:
            self._process.kill()
        if self._own_scratch and self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._own_scratch = False
        self._closed = True

    # Internals.

    def _read_source(self, path: Path) -> str:
        try:
            size = path.stat().st_size
            if size > self.limits.max_source_bytes:
                raise StrategyStopped(f"is larger than {_bytes(self.limits.max_source_bytes)}", self._name)
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise StrategyStopped("is not UTF-8 text", self._name) from None
        except OSError as exc:
            raise StrategyStopped(f"cannot be read: {exc.strerror}", self._name) from None

    def _confine_mode(self) -> str:
        if sys.platform.startswith("linux"):
            return "try" if self._allow_unsandboxed else "require"
        if not self._allow_unsandboxed:
            raise SandboxUnavailable(
                f"strategies are confined only on Linux (this is {sys.platform}); "
                "pass allow_unsandboxed=True to run it without isolation",
                self._name,
            )
        return "off"

    def _next_id(self) -> int:
        if self._stopped is not None:
            raise StrategyStopped(self._stopped, self._name)
        if self._process is None or self._closed:
            raise RuntimeError("this strategy is not running (start it first; it cannot restart)")
        self._last_id += 1
        return self._last_id

    def _exchange(self, message: ParentMessage, answer: Answer | None, handler: str) -> list[Event]:
        """Send `message` and serve the strategy's calls until it reports done."""
        assert self._pipes is not None
        deadline = time.monotonic() + self.limits.call_timeout
        events: list[Event] = []
        self._events = events
        self._send(message, deadline, handler)
        calls = logs = 0
        while True:
            received = self._next_message(deadline, handler)
            if isinstance(received, Call):
                calls += 1
                if calls > (limit := self.limits.max_calls_per_handler):
                    self._violation(f"made more than {limit:,} calls in one {handler} (the limit)")
                self._count_call()
                began = time.monotonic()
                reply = self._answer(received, answer, events)
                deadline += time.monotonic() - began  # the engine's time is not the strategy's
                self._send(reply, deadline, handler)
            elif isinstance(received, Log):
                logs += 1
                if logs > (limit := self.limits.max_logs_per_handler):
                    self._violation(f"logged more than {limit:,} lines in one {handler} (the limit)")
                events.append(received)
            elif isinstance(received, Error):
                self._failed(received, handler)
            elif self._finishes(message, received):
                return events
            else:
                self._violation(f"sent an unexpected message during {handler}: {received!r}"[:300])

    @staticmethod
    def _finishes(sent: ParentMessage, received: ChildMessage) -> bool:
        if isinstance(sent, Init):
            return isinstance(received, Ready)
        return isinstance(received, Done) and received.id == sent.id

    def _answer(self, call: Call, answer: Answer | None, events: list[Event]) -> Reply:
        intent = call.method in INTENTS
        if answer is None:
            error = "the engine answers no calls here"
            events.extend([Intent(call.method, call.args, error=error)] if intent else [])
            return Reply(call.id, False, error=error)
        try:
            value = answer(call.method, call.args)
        except ValueError as exc:
            error = (str(exc) or type(exc).__name__)[:MAX_ERROR_CHARS]
            events.extend([Intent(call.method, call.args, error=error)] if intent else [])
            return Reply(call.id, False, error=error)
        except BaseException:
            self._kill(f"the engine failed answering {call.method}")
            raise
        try:
            result = encode_result(call.method, value)
        except (TypeError, WireError):
            self._kill(f"the engine answered {call.method} with {value!r}"[:300])
            raise
        if intent:
            events.append(Intent(call.method, call.args, result=value))
        return Reply(call.id, True, result=result)

    def _count_call(self) -> None:
        now = time.monotonic()
        recent = self._recent_calls
        recent.append(now)
        while recent[0] <= now - 1.0:
            recent.popleft()
        if len(recent) > self.limits.max_calls_per_second:
            self._violation(
                f"made more than {self.limits.max_calls_per_second:,} calls within one second (the limit)"
            )

    def _send(self, message: ParentMessage, deadline: float, handler: str) -> None:
        assert self._pipes is not None
        try:
            self._pipes.send(encode(message), deadline)
        except PipeTimeout:
            self._violation(f"exceeded its {self.limits.call_timeout} s time limit in {handler}")
        except PipeClosed:
            self._ended(handler)

    def _next_message(self, deadline: float, handler: str) -> ChildMessage:
        assert self._pipes is not None
        try:
            line = self._pipes.receive(deadline)
        except PipeTimeout:
            limit = self.limits.start_timeout if handler == "start" else self.limits.call_timeout
            self._violation(f"exceeded its {limit} s time limit in {handler}")
        except PipeClosed:
            self._ended(handler)
        except LineTooLong as exc:
            self._violation(
                f"sent a line longer than {_bytes(self.limits.max_line_bytes)}: {exc.head[:80]!r}..."
            )
        try:
            return decode_child(line, self.limits.max_line_bytes)
        except WireError as exc:
            self._violation(f"sent a malformed message ({exc}): {line[:160]!r}")

    def _failed(self, error: Error, handler: str) -> NoReturn:
        if error.exception == "MemoryError":
            self._violation(
                f"tried to allocate more than {_bytes(self.limits.memory_bytes)} (the limit) in {handler}"
            )
        if error.exception == "StrategyLoadError":
            self._violation(f"could not be loaded: {error.error}")
        where = "while loading" if error.id is None else f"in {handler}"
        self._violation(f"raised {where}: {error.error}")

    def _ended(self, handler: str) -> NoReturn:
        """The process closed its pipe: say how it ended."""
        assert self._process is not None and self._pipes is not None
        returncode = self._process.wait(2.0)
        self._pipes.drain_stderr()
        ended = "closed its pipe" if returncode is None else describe_exit(returncode, self.limits)
        if not self._started:  # our side failed (no strategy code ran yet): show why
            self._violation(f"{ended} before it started: {self._pipes.stderr.strip()[-300:] or 'no output'}")
        self._violation(f"{ended} during {handler}")

    def _violation(self, reason: str) -> NoReturn:
        self._kill(reason)
        raise StrategyStopped(reason, self._name, self._events)

    def _kill(self, reason: str) -> None:
        if self._stopped is None:
            self._stopped = reason
        if self._process is not None:
            if self._pipes is not None:
                self._pipes.drain_stderr()
            self._process.kill()
