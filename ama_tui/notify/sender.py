"""Sending one message to every configured service with apprise, one service at a time, so a
failing one is known by itself: it is logged once (its URL masked) and given up after a few
failures in a row, never retried forever."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ama_tui.notify.events import Event
from ama_tui.notify.masking import hide_in_logs, mask_url

log = logging.getLogger(__name__)

FAILURES_ALLOWED = 3
"""Failures in a row after which a service gets no more messages in this run."""
SEND_TIMEOUT_S = 15.0


class Sender(Protocol):
    def send(self, event: Event) -> int:
        """Deliver `event`; how many services took it."""
        ...


@dataclass(slots=True)
class _Service:
    label: str
    """`AMA_NOTIFY_URLS #2 (json://host/…)`: what may be logged of it."""
    client: Any
    failures: int = 0
    warned: bool = False

    @property
    def active(self) -> bool:
        return self.failures < FAILURES_ALLOWED


def quiet_apprise_logs() -> None:
    """apprise logs the URLs it loads and posts to (tokens) at debug level, and each failure at
    warning: unless someone set its logger's level, keep it to critical; our own warning says what
    failed, once, masked."""
    logger = logging.getLogger("apprise")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.CRITICAL)


class AppriseSender:
    """Build it on the notifier's thread: importing apprise takes a while."""

    def __init__(self, urls: Sequence[str], *, timeout_s: float = SEND_TIMEOUT_S) -> None:
        import apprise

        quiet_apprise_logs()
        hide_in_logs(urls)
        self._notify_type = apprise.NotifyType
        self._timeout_s = timeout_s
        self.services: list[_Service] = []
        for number, url in enumerate(urls, start=1):
            label = f"AMA_NOTIFY_URLS #{number} ({mask_url(url)})"
            client = apprise.Apprise()
            if not client.add(url):
                log.warning("notifications: %s is not a URL apprise knows; it is skipped", label)
                continue
            self.services.append(_Service(label, client))

    def send(self, event: Event) -> int:
        delivered = 0
        for service in self.services:
            if not service.active:
                continue
            if self._send_one(service, event):
                service.failures = 0
                delivered += 1
                continue
            service.failures += 1
            if not service.warned:
                service.warned = True
                log.warning(
                    "notifications: sending to %s failed "
                    "(it gets no more messages after %d failures in a row)",
                    service.label,
                    FAILURES_ALLOWED,
                )
        return delivered

    def _send_one(self, service: _Service, event: Event) -> bool:
        try:
            result = service.client.notify(
                body=event.body,
                title=event.title,
                notify_type=self._notify_type(event.level.value),
                timeout=self._timeout_s,
            )
        except Exception:  # a plugin's bug must not end the notifier's thread
            return False
        return bool(result)
