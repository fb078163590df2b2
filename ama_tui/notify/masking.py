"""Notification URLs hold tokens: what may be shown of one is its scheme and host, nothing more."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

UNREADABLE = "(unreadable URL)"


def mask_url(url: str) -> str:
    """`json://example.com:8080/secret` -> `json://example.com:8080/…`. Many services keep a token
    where a host would be (`slack://TOKEN/...`, `discord://ID/TOKEN`): a host is shown only when it
    looks like one (a dotted name, an IPv6 address, `localhost`)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return UNREADABLE
    scheme = parts.scheme.lower()
    if not scheme or not scheme.replace("+", "").replace("-", "").replace(".", "").isalnum():
        return UNREADABLE
    try:
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # `tgram://123:TOKEN/...`: no port there, a token
        return f"{scheme}://…"
    if "." not in host and host != "localhost" and ":" not in host:
        return f"{scheme}://…"
    shown = f"[{host}]" if ":" in host else host
    if port is not None:
        shown += f":{port}"
    return f"{scheme}://{shown}/…"


MIN_SECRET_LEN = 4
LIBRARY_LOGGERS = ("apprise", "urllib3", "urllib3.connectionpool", "requests")
"""Where the libraries under apprise log the URLs they post to (at debug level)."""


def secret_parts(url: str) -> set[str]:
    """What of `url` must never be shown: its user, password, path segments, query and fragment
    (and its host when that is not shown either)."""
    try:
        parts = urlsplit(url.strip())
        user, password = parts.username, parts.password
        host = parts.hostname
    except ValueError:
        return {url.strip()}
    found = {user or "", password or "", parts.query, parts.fragment, parts.path.strip("/")}
    found.update(parts.path.split("/"))
    found.update(value for pair in parts.query.split("&") for value in pair.split("=")[1:])
    if host and mask_url(url).endswith("://…"):
        found.add(host)
    return {part for part in found if len(part) >= MIN_SECRET_LEN}


class _Redact(logging.Filter):
    """Blanks the configured URLs' secrets in the libraries' own log records."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        cleaned = message
        for secret in sorted(self.secrets, key=len, reverse=True):
            cleaned = cleaned.replace(secret, "…")
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_REDACT = _Redact()


def hide_in_logs(urls: Sequence[str]) -> None:
    """From now on, the libraries' log records never show these URLs' secrets."""
    for url in urls:
        _REDACT.secrets.update(secret_parts(url))
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)
