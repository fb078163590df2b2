"""The web app client gives each thread its own httpx client (a connection pool shared by the
trade workers could close a connection under a request, encode/httpcore#1110): a thread reuses
its own, threads never share one, TLS settings are made once for all, and closing closes all."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from ama_tui.venues.dexetra import thread_clients
from ama_tui.venues.dexetra.api import DexetraApi

THREADS = 8


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"relayerAddresses": [], "relayerSetRoot": "0x" + "00" * 32})


def test_each_thread_sends_on_a_client_of_its_own_and_keeps_it() -> None:
    api = DexetraApi("http://127.0.0.1:9", transport=httpx.MockTransport(_answer))
    seen: dict[int, set[int]] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def work(_: int) -> None:
        barrier.wait()  # every thread alive at once: none can pick up another's client
        for _ in range(3):
            api.relayer_set()
            with lock:
                seen.setdefault(threading.get_ident(), set()).add(id(api._clients.get()))

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(work, range(THREADS)))
    assert len(seen) == THREADS
    assert all(len(clients) == 1 for clients in seen.values())  # a thread keeps its client
    assert len({next(iter(clients)) for clients in seen.values()}) == THREADS  # none shared
    assert api._clients.count == THREADS
    api.close()
    with pytest.raises(RuntimeError):
        api.relayer_set()  # this thread's client is closed, as one shared client was


def test_the_client_of_an_ended_thread_is_closed_when_another_is_made() -> None:
    """The dashboard's picker runs each search on a thread of its own: without this, each left a
    client and its kept-alive connection open until the run ended."""
    made: list[httpx.Client] = []
    clients = thread_clients.ThreadClients(
        lambda verify: made.append(httpx.Client(verify=verify)) or made[-1], tls=False, trust_env=False
    )
    for _ in range(3):
        searcher = threading.Thread(target=clients.get)
        searcher.start()
        searcher.join()
    assert len(made) == 3 and clients.count == 1  # the last one's thread has ended but none came since
    assert made[0].is_closed and made[1].is_closed and not made[2].is_closed
    clients.get()  # this thread's: the third is closed now
    assert made[2].is_closed and clients.count == 1
    clients.close()
    assert all(client.is_closed for client in made)


def test_tls_settings_are_made_once_for_every_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Any] = []
    real = httpx.create_ssl_context

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(thread_clients.httpx, "create_ssl_context", counted)
    verified: list[Any] = []
    clients = thread_clients.ThreadClients(
        lambda verify: verified.append(verify) or httpx.Client(verify=verify), tls=True, trust_env=False
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: clients.get(), range(16)))
    assert len(made) == 1 and made[0] == {"trust_env": False}
    assert len({id(v) for v in verified}) == 1 and verified[0] is not False
    clients.close()
    assert clients.count == 0


def test_plain_http_makes_no_tls_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(thread_clients.httpx, "create_ssl_context", lambda **_: pytest.fail("TLS for http"))
    verified: list[Any] = []
    clients = thread_clients.ThreadClients(
        lambda verify: verified.append(verify) or httpx.Client(verify=verify), tls=False, trust_env=False
    )
    clients.get()
    assert verified == [False]
    clients.close()
