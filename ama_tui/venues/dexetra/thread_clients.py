"""One httpx client per thread, so no connection pool is shared between threads.

httpcore's pool, shared by the engine's trade workers, can close a connection it has just handed
to a waiting request (encode/httpcore#1110, open in 1.0.9): that request dies half-sent or hangs
until its timeout, and a trade lost so is in doubt for a minute. In a 50 x 6 pack 1-4 placements a
run failed so, and the fleet was re-quoted before it had ever been full. A thread's own client has
its own small pool that only that thread touches. TLS settings are made once and shared (each
client would otherwise load the CA bundle again). A thread's client is closed once the thread has
ended (checked when a new one is made: the dashboard's picker runs each search on a new thread).
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable

import httpx


class ThreadClients:
    """`get()`: this thread's client, made by `make(verify)` on first use; `close()` closes all."""

    def __init__(
        self, make: Callable[[ssl.SSLContext | bool], httpx.Client], *, tls: bool, trust_env: bool
    ) -> None:
        self._make = make
        self._tls = tls
        self._trust_env = trust_env
        self._local = threading.local()
        self._lock = threading.Lock()
        self._clients: dict[threading.Thread, httpx.Client] = {}
        self._context: ssl.SSLContext | None = None
        self._closed = False

    def get(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is not None:
            return client
        with self._lock:
            if self._closed:
                raise RuntimeError("the web app client is closed")
            verify: ssl.SSLContext | bool = False  # plain http: no TLS to verify
            if self._tls:
                if self._context is None:
                    self._context = httpx.create_ssl_context(trust_env=self._trust_env)
                verify = self._context
            ended = [thread for thread in self._clients if not thread.is_alive()]
            for thread in ended:
                self._clients.pop(thread).close()
            client = self._make(verify)
            self._clients[threading.current_thread()] = client
        self._local.client = client
        return client

    def close(self) -> None:
        with self._lock:
            self._closed = True
            clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._clients)
