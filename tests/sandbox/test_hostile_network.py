"""A strategy has no network: loopback is down in its namespace and the host's is not its own."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from tests.sandbox.helpers import run_hostile


@pytest.fixture
def listeners() -> Iterator[tuple[socket.socket, socket.socket]]:
    tcp = socket.create_server(("127.0.0.1", 0))
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(f"\0ama-sandbox-test-{os.getpid()}")
    unix.listen()
    for sock in (tcp, unix):
        sock.setblocking(False)
    yield tcp, unix
    tcp.close()
    unix.close()


def test_connections_to_our_listeners_fail_and_they_receive_nothing(
    listeners: tuple[socket.socket, socket.socket],
) -> None:
    tcp, unix = listeners
    params = {"port": tcp.getsockname()[1], "abstract": f"ama-sandbox-test-{os.getpid()}"}
    _, logs = run_hostile("connect_out", params)
    assert logs == [
        "import socket: ModuleNotFoundError",  # not importable once confined...
        "tcp: ENETUNREACH",  # ...and through libc: loopback is down in its own namespace
        "unix: ECONNREFUSED",  # abstract unix sockets belong to the network namespace too
    ]
    for listener in (tcp, unix):
        with pytest.raises(BlockingIOError):
            listener.accept()
