"""Market rows remembered between launches, so a run on a market it has seen skips the relay round
trip of looking it up (production's relay answers in seconds).

A remembered row is only a hint: the caller checks it on the chain before trading on it (the
OrderBook at the remembered address must hold the remembered market id), and looks the market up
again in the background to refresh it. Rows are keyed by the exchange's web app, so two exchanges
never share one (a row of another chain than the run's is refused by the venue's check). The file
lives in the user's cache folder (`$AMA_TUI_CACHE_DIR`, else `$XDG_CACHE_HOME/ama-tui`, else
`~/.cache/ama-tui`); a missing, unreadable or malformed file is an empty cache, never an error,
and it is replaced atomically (a crash leaves the old file or the new).

The same file remembers each web app's relayer-set root (`RelayerRoots`): a relaunch signs its
first sessions with it while the live set is read beside them (one relay round trip less before
trading); the session keeper checks it against the live root before any trade goes out.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from ama_tui.protocol.methods import BYTES32_HEX
from ama_tui.venues.base import MarketRow

log = logging.getLogger(__name__)

CACHE_DIR_ENV: Final = "AMA_TUI_CACHE_DIR"
FILE_NAME: Final = "markets.json"
VERSION: Final = 1
MAX_ROWS: Final = 500
"""Rows kept (the most recently remembered first): a bound on the file, far above any fleet."""

_LOCK = threading.Lock()
_STRINGS: Final = (
    "symbol",
    "name",
    "market_identifier",
    "market_address",
    "market_id_bytes32",
    "market_status",
)


def default_cache_dir() -> Path:
    chosen = os.environ.get(CACHE_DIR_ENV)
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ama-tui"


def _key(app_url: str, symbol: str) -> str:
    return f"{app_url.rstrip('/').lower()}|{symbol.strip().lower()}"


def _app_key(app_url: str) -> str:
    return app_url.rstrip("/").lower()


def _encode(row: MarketRow) -> dict[str, Any]:
    return {
        "symbol": row.symbol,
        "name": row.name,
        "market_identifier": row.market_identifier,
        "market_address": row.market_address,
        "market_id_bytes32": row.market_id_bytes32,
        "chain_id": row.chain_id,
        "tick_size": str(row.tick_size),
        "decimals": row.decimals,
        "market_status": row.market_status,
        "initial_price": None if row.initial_price is None else str(row.initial_price),
    }


def _decode(raw: object) -> MarketRow | None:
    if not isinstance(raw, dict):
        return None
    try:
        strings = (
            "symbol",
            "name",
            "market_identifier",
            "market_address",
            "market_id_bytes32",
            "market_status",
        )
        if not all(isinstance(raw.get(name), str) for name in strings):
            return None
        chain_id, decimals = raw.get("chain_id"), raw.get("decimals")
        if not isinstance(chain_id, int) or not isinstance(decimals, int):
            return None
        initial = raw.get("initial_price")
        return MarketRow(
            symbol=raw["symbol"],
            name=raw["name"],
            market_identifier=raw["market_identifier"],
            market_address=raw["market_address"],
            market_id_bytes32=raw["market_id_bytes32"],
            chain_id=chain_id,
            tick_size=Decimal(str(raw["tick_size"])),
            decimals=decimals,
            market_status=raw["market_status"],
            initial_price=None if initial is None else Decimal(str(initial)),
        )
    except (InvalidOperation, TypeError, ValueError):
        return None


class MarketCache:
    """Thread-safe (one lock for every cache in the process; writes are rare)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.path = (folder or default_cache_dir()) / FILE_NAME

    def _load_all(self) -> dict[str, Any]:
        """The whole file: its rows and relayer roots (each an empty dict when missing or bad)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if not isinstance(data, dict) or data.get("version") != VERSION:
            data = {}
        return {
            "version": VERSION,
            "rows": data["rows"] if isinstance(data.get("rows"), dict) else {},
            "relayerRoots": data["relayerRoots"] if isinstance(data.get("relayerRoots"), dict) else {},
        }

    def _load(self) -> dict[str, Any]:
        rows: dict[str, Any] = self._load_all()["rows"]
        return rows

    def get(self, app_url: str, symbol: str) -> MarketRow | None:
        """The row remembered for `symbol` (or an order-book address) on this exchange, if any."""
        with _LOCK:
            return _decode(self._load().get(_key(app_url, symbol)))

    def put(self, app_url: str, row: MarketRow) -> None:
        """Remember `row` under its symbol and its order-book address. A failure to write is
        logged, not raised: the cache only saves time."""
        encoded = _encode(row)
        with _LOCK:
            data = self._load_all()
            rows = {
                k: v
                for k, v in data["rows"].items()
                if k not in (_key(app_url, row.symbol), _key(app_url, row.market_address))
            }
            fresh = {
                _key(app_url, row.symbol): encoded,
                _key(app_url, row.market_address): encoded,
            }
            data["rows"] = dict(list({**fresh, **rows}.items())[:MAX_ROWS])
            try:
                self._write(data)
            except OSError as exc:
                log.info("could not remember market %s in %s: %s", row.symbol, self.path, exc)

    def relayer_root(self, app_url: str) -> str | None:
        """The relayer-set root last read from this web app, if any (and well formed)."""
        with _LOCK:
            root = self._load_all()["relayerRoots"].get(_app_key(app_url))
        return root if isinstance(root, str) and BYTES32_HEX.match(root) else None

    def put_relayer_root(self, app_url: str, root: str) -> None:
        """Remember this web app's relayer-set root (written only when it changed; a failure to
        write is logged, not raised)."""
        if not BYTES32_HEX.match(root):
            return
        with _LOCK:
            data = self._load_all()
            roots = data["relayerRoots"]
            if roots.get(_app_key(app_url)) == root.lower():
                return
            roots = {
                _app_key(app_url): root.lower(),
                **{k: v for k, v in roots.items() if k != _app_key(app_url)},
            }
            data["relayerRoots"] = dict(list(roots.items())[:MAX_ROWS])
            try:
                self._write(data)
            except OSError as exc:
                log.info("could not remember the relayer set of %s in %s: %s", app_url, self.path, exc)

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".markets-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1, sort_keys=True)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class RelayerRoots:
    """One web app's remembered relayer-set root (`venues.base.RootMemory`)."""

    def __init__(self, cache: MarketCache, app_url: str) -> None:
        self._cache = cache
        self._app_url = app_url

    def recall(self) -> str | None:
        return self._cache.relayer_root(self._app_url)

    def remember(self, root: str) -> None:
        self._cache.put_relayer_root(self._app_url, root)
