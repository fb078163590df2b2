"""A tiny HTTP receiver on the loopback interface: what apprise's `json://` posts lands here."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WAIT_S = 30.0
"""The longest a test waits for posts to arrive (a bound, not a timing assertion)."""


@dataclass
class Received:
    path: str
    payload: dict[str, Any]


@dataclass
class Receiver:
    port: int
    posts: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def wait_for(self, count: int, path_prefix: str = "/") -> list[Received]:
        """The posts to `path_prefix` once there are `count` of them (or what came within WAIT_S)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.matching(path_prefix)) >= count, timeout=WAIT_S)
            return self.matching(path_prefix)

    def matching(self, path_prefix: str) -> list[Received]:
        return [p for p in self.posts if p.path.startswith(path_prefix)]


@contextmanager
def local_receiver() -> Iterator[Receiver]:
    """Answers 200 to every POST, 500 to those whose path starts with /fail."""
    receiver = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                payload = {"unreadable": body.decode("utf-8", "replace")}
            with receiver.arrived:
                receiver.posts.append(Received(self.path, payload))
                receiver.arrived.notify_all()
            self.send_response(500 if self.path.startswith("/fail") else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="test-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
