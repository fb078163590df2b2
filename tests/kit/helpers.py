"""Drive the child side in-process over real pipes: replies go in first, the transcript comes out."""

from __future__ import annotations

import json
import os

from ama_tui.kit.child import ChildWriter, ParentReader, Runner, WireChannel
from ama_tui.kit.trading import Trading
from ama_tui.kit.wire import ParentMessage, encode


def _pipe_with(messages: list[ParentMessage]) -> int:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"".join(encode(message) for message in messages))
    os.close(write_fd)
    return read_fd


class Transcript:
    """What the child wrote, as JSON objects."""

    def __init__(self) -> None:
        self._read, self.write = os.pipe()

    def lines(self) -> list[bytes]:
        os.close(self.write)
        data = b""
        while chunk := os.read(self._read, 1 << 16):
            data += chunk
        os.close(self._read)
        return data.splitlines()

    def messages(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.lines()]


def attached(strategy: Trading, replies: list[ParentMessage]) -> Transcript:
    """Attach `strategy` to a wire channel whose engine answers with `replies`, in order."""
    transcript = Transcript()
    channel = WireChannel(ParentReader(_pipe_with(replies)), ChildWriter(transcript.write))
    strategy._attach("ETH-USD", {}, channel)
    return transcript


def run_child(messages: list[ParentMessage]) -> tuple[int, Transcript]:
    """Run the child's loop over `messages` (then the engine hangs up); its exit code and output."""
    transcript = Transcript()
    code = Runner(ParentReader(_pipe_with(messages)), ChildWriter(transcript.write)).run()
    return code, transcript
