"""Line I/O with the strategy's process under deadlines: nothing it does can block the engine.

All three pipes are non-blocking and waited on with poll. stderr is drained whenever we wait
(so a chatty strategy cannot stall on a full pipe) and only its last bytes are kept.
"""

from __future__ import annotations

import os
import select
import time


class PipeClosed(Exception):
    """The process closed its end (it exited or was killed)."""


class PipeTimeout(Exception):
    """The deadline passed first."""


class LineTooLong(Exception):
    def __init__(self, head: bytes) -> None:
        super().__init__("line too long")
        self.head = head


class Pipes:
    def __init__(self, stdin: int, stdout: int, stderr: int, max_line: int, max_stderr: int) -> None:
        for fd in (stdin, stdout, stderr):
            os.set_blocking(fd, False)
        self._stdin, self._stdout, self._stderr = stdin, stdout, stderr
        self._max_line, self._max_stderr = max_line, max_stderr
        self._buffer = bytearray()
        self._scanned = 0
        self._eof = False
        self._stderr_open = True
        self._errors = bytearray()
        self._poll = select.poll()
        self._poll.register(stdout, select.POLLIN)
        self._poll.register(stderr, select.POLLIN)

    @property
    def stderr(self) -> str:
        return self._errors.decode(errors="replace")

    def send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._stdin, view) :]
            except BlockingIOError:
                self._wait(deadline, writing=True)
            except (BrokenPipeError, ConnectionResetError):
                raise PipeClosed from None

    def receive(self, deadline: float) -> bytes:
        """The next line, newline included."""
        while True:
            end = self._buffer.find(b"\n", self._scanned)
            if end >= 0:
                if end >= self._max_line:
                    raise LineTooLong(bytes(self._buffer[:200]))
                line = bytes(self._buffer[: end + 1])
                del self._buffer[: end + 1]
                self._scanned = 0
                return line
            self._scanned = len(self._buffer)
            if self._scanned > self._max_line:
                raise LineTooLong(bytes(self._buffer[:200]))
            if self._eof:
                raise PipeClosed
            self._wait(deadline, writing=False)

    def _wait(self, deadline: float, *, writing: bool) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PipeTimeout
        if writing:
            self._poll.register(self._stdin, select.POLLOUT)
        try:
            events = self._poll.poll(max(1, int(remaining * 1000 + 0.999)))
        finally:
            if writing:
                self._poll.unregister(self._stdin)
        for fd, event in events:
            if fd == self._stdout:
                self._read_stdout()
            elif fd == self._stderr:
                self._read_stderr()
            elif event & (select.POLLERR | select.POLLHUP):
                raise PipeClosed

    def _read_stdout(self) -> None:
        try:
            chunk = os.read(self._stdout, 1 << 16)
        except BlockingIOError:
            return
        if chunk:
            self._buffer += chunk
        else:
            self._eof = True
            self._poll.unregister(self._stdout)

    def _read_stderr(self) -> None:
        try:
            chunk = os.read(self._stderr, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            self._poll.unregister(self._stderr)
            self._stderr_open = False
            return
        self._errors += chunk
        if len(self._errors) > self._max_stderr:
            del self._errors[: len(self._errors) - self._max_stderr]

    def drain_stderr(self) -> None:
        """Read what is left on stderr (after the process ended)."""
        while self._stderr_open:
            try:
                chunk = os.read(self._stderr, 1 << 16)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                return
            self._errors += chunk
            if len(self._errors) > self._max_stderr:
                del self._errors[: len(self._errors) - self._max_stderr]
