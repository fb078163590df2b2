"""The web app's first reads of a run, sent at launch while the rest of the program loads.

A first launch of `ama-tui run` on the exchange asks the web app two things before any session
can begin: the market's listing (`/api/markets?search=`) and the relayer set. Each is a round trip
of about a second on production's relay; importing the run's modules takes another half second
before the venue's client exists. `begin_run_reads` sends both GETs from plain threads right after
the command line is read (this module imports only the standard library, `certifi` and the
settings), and the venue's client takes each answer once, in place of sending the same request
again (`DexetraApi`, by route and query).

Only a clean answer is taken: HTTP 200 with a JSON body. Anything else (no connection, a timeout, a
TLS failure, an error status, a proxy the environment asks for) leaves the request to the client,
which sends it as it always did and reports the failure in its own words; the early read then cost
nothing but a thread. Only public, unsigned GETs are read early: no key or signature ever leaves
through here.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

MARKETS_ROUTE: Final = "/api/markets"
RELAYER_SET_ROUTE: Final = "/api/gasless/session/relayer-set"
LOOKUP_LIMIT: Final = 100
"""How many rows a look-up by symbol asks for (`wiring.find_market`)."""

CONNECT_TIMEOUT_S: Final = 5.0
READ_TIMEOUT_S: Final = 10.0
"""The client's own timeouts (`DexetraApi`): an early read waits no longer than its request would."""

ENV_SETTINGS: Final = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR")
"""Environment the client honours for a remote web app (a proxy, other CA certificates) and a plain
connection would not: with any of them set, nothing is read early from a remote web app."""


def market_lookup(symbol: str) -> dict[str, Any]:
    """The query of a market's look-up by symbol or order-book address, as the client sends it."""
    return {"limit": LOOKUP_LIMIT, "offset": 0, "search": symbol.strip()}


def query_key(route: str, params: Mapping[str, Any] | None) -> str:
    """A request's route and query, independent of the order its parameters were given in."""
    if not params:
        return route
    return f"{route}?{urlencode(sorted((str(k), str(v)) for k, v in params.items()))}"


class EarlyReads:
    """GETs sent to one web app on threads of their own; `take` hands each clean answer out once."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._lock = threading.Lock()
        self._pending: dict[str, threading.Thread] = {}
        self._answers: dict[str, Any] = {}
        self._context: ssl.SSLContext | None = None

    def begin(self, route: str, params: Mapping[str, Any] | None = None) -> None:
        key = query_key(route, params)
        with self._lock:
            if key in self._pending:
                return
            thread = threading.Thread(target=self._read, args=(key,), name="early-read", daemon=True)
            self._pending[key] = thread
        thread.start()

    def take(self, route: str, params: Mapping[str, Any] | None = None) -> Any | None:
        """The JSON answer of this exact request if it was begun early and answered cleanly
        (waiting for it if it is still in flight); None otherwise, and for every later call."""
        key = query_key(route, params)
        with self._lock:
            thread = self._pending.pop(key, None)
        if thread is None:
            return None
        thread.join(CONNECT_TIMEOUT_S + READ_TIMEOUT_S)
        with self._lock:
            return self._answers.pop(key, None)

    def _read(self, key: str) -> None:
        try:
            answer = self._get(key)
        except (OSError, http.client.HTTPException, ValueError):
            return  # the client sends it again and says what is wrong
        if answer is not None:
            with self._lock:
                self._answers[key] = answer

    def _get(self, path_and_query: str) -> Any | None:
        url = urlsplit(self.base_url)
        path = (url.path or "") + path_and_query
        connection: http.client.HTTPConnection
        if url.scheme == "https":
            connection = http.client.HTTPSConnection(
                url.hostname or "", url.port, timeout=CONNECT_TIMEOUT_S, context=self._tls()
            )
        else:
            connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=CONNECT_TIMEOUT_S)
        try:
            connection.connect()
            if connection.sock is not None:
                connection.sock.settimeout(READ_TIMEOUT_S)
            connection.request("GET", path, headers={"accept": "application/json", "connection": "close"})
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                return None
            return json.loads(body)
        finally:
            connection.close()

    def _tls(self) -> ssl.SSLContext:
        with self._lock:
            if self._context is None:
                import certifi  # the CA bundle the client verifies against

                self._context = ssl.create_default_context(cafile=certifi.where())
            return self._context


def begin_run_reads(
    symbols: Sequence[str], *, venue: str, environ: Mapping[str, str] | None = None
) -> EarlyReads | None:
    """Begin the first reads of a run on `symbols` when the run will use the exchange's web app
    (`venue` "dexetra", or "auto" with a live exchange configured); None when it will not, or when
    the settings are wrong (the run then says so itself)."""
    if venue == "sim":
        return None
    from ama_tui.settings import SettingsError, is_loopback, load_live_settings

    try:
        settings = load_live_settings(environ=environ)
    except SettingsError:
        return None
    if settings is None:
        return None
    env = os.environ if environ is None else environ
    if not is_loopback(settings.app_url) and any(env.get(n) or env.get(n.lower()) for n in ENV_SETTINGS):
        return None
    reads = EarlyReads(settings.app_url)
    reads.begin(RELAYER_SET_ROUTE)
    for symbol in symbols:
        if symbol.strip():
            reads.begin(MARKETS_ROUTE, market_lookup(symbol))
    return reads
