"""An HTTP/1.1 proxy that adds a fixed latency to every request, in its own process.

    python benchmarks/latency_proxy.py UPSTREAM_URL LATENCY_S [LOG_PATH]

prints `port N` on stdout once it listens on loopback, then serves until killed. Each request is
held `LATENCY_S` seconds, then forwarded over an upstream connection belonging to its client
connection, and the answer is passed back with its status, content type, Retry-After and body.
With LOG_PATH, one line per request is appended there: `arrived forwarded answered status path`
(the times are `time.monotonic()`, the clock a benchmark on this machine reads).

One asyncio loop in a process of its own: the thread-per-connection proxy it replaces shared the
benchmark's interpreter with the book watcher, and with a shared httpx pool it took ~30 % of a
core and held a 50 x 6 pack's trades ~1 s longer than the relay did (2026-12-03).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Final

LOOPBACK: Final = "127.0.0.1"
UPSTREAM_IDLE_S: Final = 2.0
"""An upstream connection idle this long is replaced before it is used: the relay (uvicorn)
closes idle ones after 5 s, and a request sent as it closes would fail unread."""
MAX_HEAD: Final = 64 * 1024
PASSED_HEADERS: Final = ("content-type", "retry-after")


class BadMessage(Exception):
    """A request or answer this proxy cannot frame (no content-length where a body follows)."""


async def read_message(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes] | None:
    """(start line, lower-cased headers, body) of one HTTP/1.1 message; None at a clean EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as partial:
        if not partial.partial:
            return None
        raise BadMessage("the connection closed inside a message head") from None
    if len(head) > MAX_HEAD:
        raise BadMessage("message head too large")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise BadMessage("chunked bodies are not supported")
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    return lines[0], headers, body


class Upstream:
    """One keep-alive connection to the relay, replaced when idle too long or closed."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._used = 0.0

    async def exchange(self, request: bytes) -> tuple[str, dict[str, str], bytes]:
        if self._writer is not None and time.monotonic() - self._used > UPSTREAM_IDLE_S:
            self.close()
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(request)
        await self._writer.drain()
        answer = await read_message(self._reader)
        if answer is None:
            self.close()
            raise BadMessage("the relay closed the connection without answering")
        self._used = time.monotonic()
        if answer[1].get("connection", "").lower() == "close":
            self.close()
        return answer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


def request_bytes(start: str, headers: dict[str, str], body: bytes, host: str) -> bytes:
    kept = {"content-type": headers.get("content-type", "application/json")} if body else {}
    lines = [start, f"host: {host}", f"content-length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in kept.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def answer_bytes(status_line: str, headers: dict[str, str], body: bytes) -> bytes:
    _version, _, rest = status_line.partition(" ")
    lines = [f"HTTP/1.1 {rest}", f"content-length: {len(body)}"]
    lines += [f"{name}: {headers[name]}" for name in PASSED_HEADERS if name in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def serve(upstream_url: str, latency_s: float, log_path: str | None = None) -> None:
    parsed = urllib.parse.urlsplit(upstream_url)
    host, port = parsed.hostname or LOOPBACK, parsed.port or 80
    log = open(log_path, "a", buffering=1, encoding="utf-8") if log_path else None  # noqa: SIM115

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = Upstream(host, port)
        side = "client"
        try:
            while (message := await read_message(reader)) is not None:
                start, headers, body = message
                arrived = time.monotonic()
                await asyncio.sleep(latency_s)
                forwarded = time.monotonic()
                side = "relay"
                answer = await upstream.exchange(request_bytes(start, headers, body, f"{host}:{port}"))
                side = "client"
                writer.write(answer_bytes(*answer))
                await writer.drain()
                if log is not None:
                    status = answer[0].split(" ", 2)[1]
                    path = start.split(" ")[1].split("?")[0]
                    log.write(f"{arrived:.4f} {forwarded:.4f} {time.monotonic():.4f} {status} {path}\n")
        except (BadMessage, ConnectionError, asyncio.IncompleteReadError) as error:
            # the client sees its connection close, as a failed relay call
            print(f"latency proxy, {side} side: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        finally:
            upstream.close()
            writer.close()

    server = await asyncio.start_server(client, LOOPBACK, 0, backlog=1024)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


class LatencyProxy:
    """This script in a process of its own (for a benchmark or a test): `url` forwards to
    `upstream` after `latency_s`; with `log`, a line per request is appended there."""

    def __init__(self, upstream: str, latency_s: float, log: Path | None = None) -> None:
        command = [sys.executable, str(Path(__file__).resolve()), upstream, str(latency_s)]
        command += [str(log)] if log else []
        self.log = log
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        line = self._process.stdout.readline() if self._process.stdout else ""
        if not line.startswith("port "):
            self.close()
            raise RuntimeError("the latency proxy did not start")
        self.port = int(line.split()[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def main() -> None:
    upstream_url, latency_s = sys.argv[1], float(sys.argv[2])
    log_path = sys.argv[3] if len(sys.argv) > 3 else None
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(upstream_url, latency_s, log_path))


if __name__ == "__main__":
    main()
