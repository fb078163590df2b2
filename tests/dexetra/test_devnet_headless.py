"""The packer end to end on the devnet through `DexetraVenue`: 10 wallets x 6 orders a side for
20 cycles (in process, `--venue dexetra`), then the real CLI killed with SIGKILL mid-run and
resumed. Everything is checked on chain, independently of the venue's own reader."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from ama_tui.core.models import MarketCheckpoint
from ama_tui.devnet.stack import DevnetStack
from ama_tui.engine.run_setup import StartMode
from ama_tui.headless import HeadlessArgs, run_headless
from ama_tui.wiring import VenueChoice

from .devnet_tools import best_prices, chain_orders, meta_nonces, registry_sessions

pytestmark = pytest.mark.devnet

WALLETS = 10
PER_SIDE = 6
CYCLES = 20
SETS = ("minDelayMs=20", "maxDelayMs=80", f"ordersPerSidePerWallet={PER_SIDE}")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack(node_modules: Path) -> Iterator[DevnetStack]:
    with DevnetStack(wallets=WALLETS) as running:
        yield running


def _journal(state: Path) -> list[dict[str, Any]]:
    (journal,) = state.rglob("actions.jsonl")
    return [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]


def _checkpoint(state: Path) -> MarketCheckpoint:
    (path,) = state.rglob("checkpoint.json")
    return MarketCheckpoint.model_validate_json(path.read_text())


def _check_the_book(stack: DevnetStack, state: Path, traders: list[str]) -> None:
    held = chain_orders(stack, traders)
    bid, ask = best_prices(stack)
    journaled = {
        int(line["params"]["orderId"])
        for line in _journal(state)
        if line["action"] in ("PLACE_LIMIT", "PLACE_MINED") and "orderId" in (line.get("params") or {})
    }
    for trader, orders in held.items():
        buys = [o for o in orders if o.is_buy]
        sells = [o for o in orders if not o.is_buy]
        # never over the target; full but for one replacement a run ended by its budget may leave
        # waiting on a cancel still being mined (the next cycle would place it)
        assert len(buys) <= PER_SIDE and len(sells) <= PER_SIDE, f"{trader} holds {len(buys)}/{len(sells)}"
        assert len(buys) + len(sells) >= 2 * PER_SIDE - 1, f"{trader} holds {len(buys)}/{len(sells)}"
        assert all(o.price6 < ask for o in buys) and all(o.price6 > bid for o in sells), "an order crossed"
        sides = [(o.is_buy, o.price6) for o in orders]
        assert len(set(sides)) == len(sides), f"{trader} has two orders at one price and side"
        missing = {o.order_id for o in orders} - journaled
        assert not missing, f"orders on chain without a journal line naming them: {sorted(missing)}"


def _env(stack: DevnetStack) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("RPC_URL", "SESSION_REGISTRY", "CHAIN_ID"))
    }
    env.pop("NEXT_PUBLIC_CHAIN_ID", None)
    env.pop("APP_URL", None)
    return {**env, **stack.env(), "PYTHONUNBUFFERED": "1"}


def _cli(stack: DevnetStack, state: Path, *extra: str) -> list[str]:
    args = ["run", "--market", "ETH-USD", "--venue", "dexetra", "--csv", str(stack.wallets_csv)]
    args += ["--state-dir", str(state)]
    for assignment in SETS:
        args += ["--set", assignment]
    return [sys.executable, "-m", "ama_tui", *args, *extra]


@pytest.mark.slow
def test_headless_run_holds_orders_and_resumes_after_sigkill(
    stack: DevnetStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    traders = [wallet.address for wallet in stack.wallets.wallets]
    state = tmp_path / "state"
    monkeypatch.chdir(tmp_path)
    for key, value in stack.env().items():
        monkeypatch.setenv(key, value)

    # ---- 20 cycles in process
    out, err = StringIO(), StringIO()
    started = time.monotonic()
    code = run_headless(
        HeadlessArgs(
            market="ETH-USD",
            venue=VenueChoice.DEXETRA,
            csv=stack.wallets_csv,
            state_dir=state,
            mode=StartMode.FRESH,
            cycles=CYCLES,
            set=SETS,
        ),
        out=out,
        err=err,
    )
    print(f"\n{CYCLES} cycles of {WALLETS} wallets on the devnet in {time.monotonic() - started:.1f} s")
    assert code == 0, err.getvalue()
    assert "Dexetra at" in err.getvalue() and "chain 31337" in err.getvalue()
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["cycles"] == CYCLES and summary["placed"] >= WALLETS * 2 * PER_SIDE
    _check_the_book(stack, state, traders)

    checkpoint = _checkpoint(state)
    sessions = {address.lower(): wallet.session_id for address, wallet in checkpoint.wallets.items()}
    assert all(sessions.values()) and len(sessions) == WALLETS
    for trader, record in zip(
        traders, registry_sessions(stack, [sessions[t.lower()] for t in traders]), strict=True
    ):
        assert record[0] == trader and record[-1] is False, f"{trader}'s session is revoked on chain"
    nonces = meta_nonces(stack, traders)
    inits = [line for line in _journal(state) if line["action"] == "SESSION_INIT"]
    assert len(inits) == WALLETS

    # ---- the real CLI, killed with SIGKILL mid-run, then resumed
    runner = subprocess.Popen(
        _cli(stack, state, "--resume", "--cycles", "100000"),
        cwd=tmp_path,
        env=_env(stack),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    cycles_seen = threading.Event()

    def watch() -> None:
        assert runner.stderr is not None
        for line in runner.stderr:
            if line.startswith("cycle ") and int(line.split()[1].rstrip(":")) >= 3:
                cycles_seen.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert cycles_seen.wait(60), "the resumed runner never got going"
    finally:
        runner.send_signal(signal.SIGKILL)
        runner.wait(10)
    assert runner.returncode == -signal.SIGKILL

    resumed = subprocess.run(
        _cli(stack, state, "--resume", "--cycles", "3"),
        cwd=tmp_path,
        env=_env(stack),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming run" in resumed.stderr

    journal = _journal(state)
    assert len([line for line in journal if line["action"] == "SESSION_INIT"]) == WALLETS, (
        "a session was re-created"
    )
    assert meta_nonces(stack, traders) == nonces
    after = _checkpoint(state)
    assert {a.lower(): w.session_id for a, w in after.wallets.items()} == sessions
    assert after.run.run_id == checkpoint.run.run_id
    _check_the_book(stack, state, traders)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"CHAIN_ID": "999"}, "the RPC node is chain 31337, but CHAIN_ID says 999"),
        ({"RPC_URL": "http://127.0.0.1:9"}, "cannot use the chain at RPC_URL"),
        ({"APP_URL": "http://127.0.0.1:9"}, "cannot use the exchange's web app at http://127.0.0.1:9"),
        ({"SESSION_REGISTRY_ADDRESS": "0x" + "12" * 20}, "no contract at SESSION_REGISTRY_ADDRESS"),
    ],
)
def test_open_venue_says_what_is_wrong(
    stack: DevnetStack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    override: dict[str, str],
    message: str,
) -> None:
    from ama_tui.wiring import SetupError, open_venue

    for key, value in {**stack.env(), **override}.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SetupError, match=message):
        open_venue(VenueChoice.DEXETRA, env_dir=tmp_path)


def test_a_headless_run_names_an_unreachable_web_app(
    stack: DevnetStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run skips the venue's probe (its market look-up asks the web app first) and says the
    same thing."""
    for key, value in {**stack.env(), "APP_URL": "http://127.0.0.1:9"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    err = StringIO()
    args = HeadlessArgs(
        market="ETH-USD", venue=VenueChoice.DEXETRA, csv=stack.wallets_csv, state_dir=tmp_path / "s", cycles=1
    )
    assert run_headless(args, out=StringIO(), err=err) == 2
    assert "cannot use the exchange's web app at http://127.0.0.1:9" in err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_open_venue_auto_picks_dexetra_on_the_devnet(
    stack: DevnetStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ama_tui.venues.base import VenueKind
    from ama_tui.wiring import open_venue

    for key, value in stack.env().items():
        monkeypatch.setenv(key, value)
    setup = open_venue(VenueChoice.AUTO, env_dir=tmp_path)
    try:
        assert setup.kind is VenueKind.DEVNET and setup.venue.kind is VenueKind.DEVNET
        assert setup.description.startswith(f"Dexetra at {stack.app_url}, chain 31337")
    finally:
        setup.venue.close()
