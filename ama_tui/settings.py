"""Where the live exchange is: read from `.env.local`, then `.env`, then the process environment.

The process environment wins over `.env.local`, which wins over `.env` (the original tool's
dotenv order). None of the live variables set means "no live exchange configured" and the tool
uses the embedded exchange; some set but not all, or a malformed value, is one clear error that
names the variable.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values

from ama_tui.protocol.accounts import checksum, is_hex_address

DEFAULT_APP_URL = "http://localhost:3000"
ENV_FILES = (".env.local", ".env")


class SettingsError(ValueError):
    """The environment describes a live exchange, but not completely or not correctly."""


@dataclass(frozen=True, slots=True)
class LiveSettings:
    rpc_url: str
    session_registry: str
    chain_id: int
    app_url: str


def read_environment(
    directory: Path | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Merge `.env` < `.env.local` < process environment (later wins)."""
    base = directory or Path.cwd()
    merged: dict[str, str] = {}
    for name in reversed(ENV_FILES):
        path = base / name
        if path.is_file():
            try:
                values = dotenv_values(path)
            except (OSError, UnicodeDecodeError) as exc:
                raise SettingsError(f"cannot read {path}: {exc.__class__.__name__}") from None
            merged.update({k: v for k, v in values.items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def _first(env: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return name, value
    return None


def _check_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not parsed.netloc:
        raise SettingsError(f"{name} must be a {' or '.join(schemes)} URL, got {value!r}")
    return value.rstrip("/")


def load_live_settings(
    directory: Path | None = None, environ: Mapping[str, str] | None = None
) -> LiveSettings | None:
    """The live exchange's settings, None when none is configured. Raises SettingsError."""
    env = read_environment(directory, environ)
    rpc = _first(env, "RPC_URL", "RPC_URL_HYPEREVM")
    registry = _first(env, "SESSION_REGISTRY_ADDRESS")
    chain = _first(env, "CHAIN_ID", "NEXT_PUBLIC_CHAIN_ID")
    if rpc is None and registry is None and chain is None:
        return None
    missing = [
        label
        for label, found in (
            ("RPC_URL (or RPC_URL_HYPEREVM)", rpc),
            ("SESSION_REGISTRY_ADDRESS", registry),
            ("CHAIN_ID (or NEXT_PUBLIC_CHAIN_ID)", chain),
        )
        if found is None
    ]
    if missing:
        raise SettingsError(
            "the live exchange is only partly configured: set "
            + ", ".join(missing)
            + " (or unset the others to use the embedded exchange)"
        )
    assert rpc is not None and registry is not None and chain is not None
    rpc_url = _check_url(rpc[0], rpc[1], ("http", "https", "ws", "wss"))
    if not is_hex_address(registry[1]):
        raise SettingsError(f"SESSION_REGISTRY_ADDRESS is not a 20-byte hex address: {registry[1]!r}")
    try:
        chain_id = int(chain[1], 0)
    except ValueError:
        raise SettingsError(f"{chain[0]} must be an integer chain id, got {chain[1]!r}") from None
    if chain_id <= 0:
        raise SettingsError(f"{chain[0]} must be positive, got {chain_id}")
    app = _first(env, "APP_URL")
    app_url = _check_url("APP_URL", app[1], ("http", "https")) if app else DEFAULT_APP_URL
    return LiveSettings(
        rpc_url=rpc_url,
        session_registry=checksum(registry[1]),
        chain_id=chain_id,
        app_url=app_url,
    )


def is_loopback(url: str) -> bool:
    """Loopback URLs ignore proxy environment variables (a proxy must never see devnet traffic)."""
    host = (urlparse(url).hostname or "").strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
