"""Controls: unconfined, the hostile files do reach the key and the listener. So when the
confined runs find nothing, it is the sandbox that stopped them, not a broken test."""

from __future__ import annotations

import os
import socket

import pytest

from ama_tui.sandbox import SandboxedStrategy
from tests.sandbox.helpers import FAKE_KEY, FAST, HOSTILE, FakeMarket, assert_gone, tick


def _unconfined_logs(monkeypatch: pytest.MonkeyPatch, name: str, params: dict[str, object]) -> list[str]:
    monkeypatch.setattr(SandboxedStrategy, "_confine_mode", lambda self: "off")
    with SandboxedStrategy(FAST, allow_unsandboxed=True) as sandbox:
        sandbox.start("ETH-USD", params, HOSTILE / f"{name}.py")
        assert not sandbox.confined
        events = sandbox.on_tick(tick(0), FakeMarket().answer)
    assert_gone(sandbox)
    return [event.message for event in events]  # type: ignore[union-attr]


def test_unconfined_the_secrets_file_is_read(
    monkeypatch: pytest.MonkeyPatch, secrets: dict[str, object]
) -> None:
    logs = _unconfined_logs(monkeypatch, "read_secrets", secrets)
    assert FAKE_KEY in logs[0] and FAKE_KEY in logs[3]


def test_unconfined_the_listener_is_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        params = {"port": listener.getsockname()[1], "abstract": f"none-{os.getpid()}"}
        logs = _unconfined_logs(monkeypatch, "connect_out", params)
        assert logs[:2] == ["import socket: got 'socket'", "tcp: got 'sent'"]
        connection, _ = listener.accept()
        with connection:
            assert connection.recv(16) == b"stolen"
