"""The web app's first reads of a run leave at launch (`venues.early_reads`): the client takes a
clean early answer once instead of asking again, and anything else leaves the request to it."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from ama_tui.venues.base import VenueKind, VenueUnavailable
from ama_tui.venues.dexetra import DexetraVenue
from ama_tui.venues.dexetra.api import DexetraApi
from ama_tui.venues.early_reads import (
    MARKETS_ROUTE,
    RELAYER_SET_ROUTE,
    EarlyReads,
    begin_run_reads,
    market_lookup,
    query_key,
)
from ama_tui.venues.market_cache import MarketCache
from ama_tui.wiring import find_market
from tests.dexetra.fakes import CHAIN_ID, REGISTRY, RPC_URL, SETTINGS, FakeApp, FakeChain, json_response

LOOPBACK = "127.0.0.1"
Hold = Callable[[str], None]


class ServedApp:
    """`FakeApp` on a loopback socket, so requests from any HTTP client reach it; `agents` holds
    each request's path and user agent, and `hold(path)` runs before a request is answered."""

    def __init__(self, app: FakeApp, hold: Hold | None = None, *, tls: ssl.SSLContext | None = None) -> None:
        self.app = app
        self.agents: list[tuple[str, str]] = []
        served = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?")[0]
                served.agents.append((path, self.headers.get("user-agent", "")))
                if hold is not None:
                    hold(path)
                request = httpx.Request(self.command, f"http://app.test{self.path}", content=body)
                answer = served.app.handle(request)
                self.send_response(answer.status_code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:  # the handshake runs in the request's own thread
            server = self._server
            server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        threading.Thread(target=self._server.serve_forever, name="served-app", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def requests(self, path: str) -> list[str]:
        """The user agents of the requests to `path`."""
        return [agent for seen, agent in self.agents if seen == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def served() -> Iterator[ServedApp]:
    app = ServedApp(FakeApp())
    yield app
    app.close()


def env_for(app_url: str, **more: str) -> dict[str, str]:
    return {
        "RPC_URL": RPC_URL,
        "SESSION_REGISTRY_ADDRESS": REGISTRY,
        "CHAIN_ID": str(CHAIN_ID),
        "APP_URL": app_url,
        **more,
    }


def venue_on(served: ServedApp, early: EarlyReads | None) -> DexetraVenue:
    """The exchange's client against the served web app (a fake chain behind it)."""
    settings = replace(SETTINGS, app_url=served.url)
    return DexetraVenue(
        settings, kind=VenueKind.DEVNET, rpc_transport=FakeChain().transport(), early_reads=early
    )


def test_a_first_launch_looks_its_market_and_relayer_set_up_once_from_the_early_reads(
    served: ServedApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the working directory's in the way
    early = begin_run_reads(["ETH-USD"], venue="dexetra", environ=env_for(served.url))
    assert early is not None
    venue = venue_on(served, early)
    try:
        venue.warm_start()  # the relayer set, as a run begins it
        row, info = find_market(venue, "ETH-USD", app_url=served.url, cache=MarketCache(tmp_path / "cache"))
        root = venue.relayer_set_root()
    finally:
        venue.close()
    assert row.symbol == "ETH-USD" and info.order_book.lower() == row.market_address.lower()
    assert root == "0x" + "ab" * 32
    markets, relayers = served.requests(MARKETS_ROUTE), served.requests(RELAYER_SET_ROUTE)
    assert len(markets) == 1 and len(relayers) == 1  # taken from the early reads, not asked again
    assert not any(agent.startswith("python-httpx") for agent in markets + relayers)  # sent early


def test_an_early_read_still_in_flight_is_waited_for_not_sent_again(tmp_path: Path) -> None:
    release = threading.Event()

    def hold(path: str) -> None:
        if path == MARKETS_ROUTE:
            release.wait(5.0)

    served = ServedApp(FakeApp(), hold)
    try:
        early = EarlyReads(served.url)
        early.begin(MARKETS_ROUTE, market_lookup("ETH-USD"))
        api = DexetraApi(served.url, early=early)
        answers: list[Any] = []
        asking = threading.Thread(
            target=lambda: answers.append(api.markets(limit=100, offset=0, search="ETH-USD"))
        )
        asking.start()
        asking.join(0.3)
        assert asking.is_alive() and not answers  # waiting for the early answer
        release.set()
        asking.join(5.0)
        api.close()
    finally:
        release.set()
        served.close()
    assert [m.symbol for m in answers[0].markets] == ["ETH-USD"]
    assert len(served.requests(MARKETS_ROUTE)) == 1


@pytest.mark.parametrize(
    "answer",
    [
        json_response(503, {"error": "service_temporarily_unavailable"}),
        lambda request: httpx.Response(200, content=b"<html>maintenance</html>"),
    ],
    ids=["503", "not-json"],
)
def test_an_early_answer_that_is_not_clean_leaves_the_request_to_the_client(answer: Any) -> None:
    app = FakeApp()
    app.routes[MARKETS_ROUTE] = answer
    served = ServedApp(app)
    try:
        early = EarlyReads(served.url)
        early.begin(MARKETS_ROUTE, market_lookup("ETH-USD"))
        api = DexetraApi(served.url, early=early)
        with pytest.raises(VenueUnavailable) as raised:
            api.markets(limit=100, offset=0, search="ETH-USD")
        api.close()
    finally:
        served.close()
    agents = served.requests(MARKETS_ROUTE)
    assert len(agents) == 2 and agents[1].startswith("python-httpx")  # asked again by the client
    assert "GET /api/markets" in str(raised.value)  # and the failure said in its words


def assert_unreachable_through_the_client(url: str) -> None:
    """The relayer set read early from `url`; the client, finding no clean early answer, asks
    itself and says it cannot reach the web app."""
    early = EarlyReads(url)
    early.begin(RELAYER_SET_ROUTE)
    api = DexetraApi(url, early=early)
    try:
        with pytest.raises(VenueUnavailable, match="cannot reach the web app"):
            api.relayer_set()
    finally:
        api.close()


def test_an_unreachable_web_app_is_reported_by_the_client_as_before() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind((LOOPBACK, 0))
        url = f"http://{LOOPBACK}:{probe.getsockname()[1]}"
    assert_unreachable_through_the_client(url)


def test_an_early_answer_is_taken_once_and_only_for_its_own_query(served: ServedApp) -> None:
    early = EarlyReads(served.url)
    early.begin(MARKETS_ROUTE, market_lookup("ETH-USD"))
    early.begin(MARKETS_ROUTE, market_lookup("ETH-USD"))  # begun twice: sent once
    assert early.take(MARKETS_ROUTE, {"search": "BTC-USD", "limit": 100, "offset": 0}) is None
    first = early.take(MARKETS_ROUTE, {"search": "ETH-USD", "offset": 0, "limit": 100})  # any order
    assert first is not None and first["markets"][0]["symbol"] == "ETH-USD"
    assert early.take(MARKETS_ROUTE, market_lookup("ETH-USD")) is None  # once
    assert len(served.requests(MARKETS_ROUTE)) == 1


def test_a_client_of_another_web_app_ignores_the_early_reads(served: ServedApp) -> None:
    early = EarlyReads(served.url)
    early.begin(RELAYER_SET_ROUTE)
    other = ServedApp(FakeApp())
    try:
        api = DexetraApi(other.url, early=early)
        api.relayer_set()
        api.close()
    finally:
        other.close()
    assert len(other.requests(RELAYER_SET_ROUTE)) == 1
    assert early.take(RELAYER_SET_ROUTE) is not None  # still there: not this client's


def test_query_keys_ignore_the_order_of_parameters() -> None:
    assert query_key("/r", {"b": 2, "a": "x y"}) == query_key("/r", {"a": "x y", "b": "2"}) == "/r?a=x+y&b=2"
    assert query_key("/r", None) == query_key("/r", {}) == "/r"


def test_nothing_is_read_early_for_the_embedded_exchange_or_an_unconfigured_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: ServedApp
) -> None:
    monkeypatch.chdir(tmp_path)
    assert begin_run_reads(["ETH-USD"], venue="sim", environ=env_for(served.url)) is None
    assert begin_run_reads(["ETH-USD"], venue="auto", environ={}) is None  # no live exchange
    partial = {"RPC_URL": RPC_URL, "APP_URL": served.url}  # the run itself says what is missing
    assert begin_run_reads(["ETH-USD"], venue="dexetra", environ=partial) is None
    assert served.agents == []


def test_a_remote_web_app_behind_a_proxy_or_other_certificates_is_left_to_the_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    remote = "https://app.example.invalid"
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        env = env_for(remote, **{name: "http://proxy.invalid:3128"})
        assert begin_run_reads(["ETH-USD"], venue="dexetra", environ=env) is None, name


def test_a_loopback_web_app_is_read_early_whatever_proxy_the_environment_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: ServedApp
) -> None:
    monkeypatch.chdir(tmp_path)
    env = env_for(served.url, HTTP_PROXY="http://proxy.invalid:3128")
    early = begin_run_reads(["ETH-USD", "BTC-USD", " "], venue="auto", environ=env)
    assert early is not None
    assert early.take(RELAYER_SET_ROUTE) is not None
    assert early.take(MARKETS_ROUTE, market_lookup("ETH-USD")) is not None
    assert early.take(MARKETS_ROUTE, market_lookup("BTC-USD")) is not None  # an empty listing, still clean
    assert len(served.requests(MARKETS_ROUTE)) == 2


def test_the_run_command_begins_its_reads_before_the_run_is_assembled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: ServedApp
) -> None:
    from ama_tui import cli, headless

    monkeypatch.chdir(tmp_path)
    for name, value in env_for(served.url).items():
        monkeypatch.setenv(name, value)
    seen: list[Any] = []
    monkeypatch.setattr(headless, "run_headless", lambda args: seen.append(args) or 0)
    assert cli.main(["run", "--venue", "dexetra", "--market", "ETH-USD", "--market", "BTC-USD"]) == 0
    early = seen[0].early_reads
    assert isinstance(early, EarlyReads) and early.base_url == served.url
    assert early.take(MARKETS_ROUTE, market_lookup("BTC-USD")) is not None
    assert cli.main(["run", "--venue", "sim", "--market", "ETH-USD"]) == 0
    assert seen[1].early_reads is None


def test_an_early_read_never_trusts_a_certificate_the_client_would_refuse(tmp_path: Path) -> None:
    """A web app on https with a certificate from a CA outside the bundle the client verifies
    against (certifi's): the early read takes nothing from it, and the client says why."""
    import trustme

    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(LOOPBACK).configure_cert(context)
    served = ServedApp(FakeApp(), tls=context)
    url = served.url.replace("http://", "https://")
    try:
        probe = EarlyReads(url)
        probe.begin(RELAYER_SET_ROUTE)
        assert probe.take(RELAYER_SET_ROUTE) is None
        assert_unreachable_through_the_client(url)
    finally:
        served.close()
    assert served.agents == []  # no request was ever made over the untrusted connection


def test_an_early_read_over_https_is_taken_when_the_certificate_verifies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import trustme

    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(LOOPBACK).configure_cert(context)
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    monkeypatch.setattr(EarlyReads, "_tls", lambda self: trusting)  # as if certifi held this CA
    served = ServedApp(FakeApp(), tls=context)
    try:
        early = EarlyReads(served.url.replace("http://", "https://"))
        early.begin(RELAYER_SET_ROUTE)
        answer = early.take(RELAYER_SET_ROUTE)
    finally:
        served.close()
    assert answer is not None and answer["relayerSetRoot"] == "0x" + "ab" * 32
    assert [path for path, _ in served.agents] == [RELAYER_SET_ROUTE]
