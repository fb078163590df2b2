"""On the devnet: a relaunch opens its sessions on the relayer set remembered from the last run
while the live set is read beside them (the relayer-set route held back here), and a remembered
set the relay no longer uses is caught before any trade goes out on it: the registry takes such
a permit (it checks the relayer proof only on trades), so the sessions are opened again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from ama_tui.devnet.relay import Fault, FaultKind, FaultPlan
from ama_tui.devnet.relay.faults import RELAYER_SET
from ama_tui.devnet.stack import DevnetStack
from ama_tui.engine.run_setup import StartMode
from ama_tui.headless import HeadlessArgs, run_headless
from ama_tui.venues.market_cache import MarketCache
from ama_tui.wiring import VenueChoice

from .devnet_tools import registry_sessions

pytestmark = pytest.mark.devnet

WALLETS = 3
HELD_S = 4.0
STALE = "0x" + "11" * 32


@pytest.fixture(scope="module")
def held(node_modules: Path) -> Iterator[tuple[DevnetStack, FaultPlan]]:
    plan = FaultPlan()
    with DevnetStack(wallets=WALLETS, fault_plan=plan) as stack:
        yield stack, plan


def _run(stack: DevnetStack, state: Path, per_side: int) -> list[dict[str, Any]]:
    out, err = StringIO(), StringIO()
    code = run_headless(
        HeadlessArgs(
            market="ETH-USD",
            venue=VenueChoice.DEXETRA,
            csv=stack.wallets_csv,
            state_dir=state,
            mode=StartMode.FRESH,
            cycles=3,
            set=("minDelayMs=20", "maxDelayMs=80", f"ordersPerSidePerWallet={per_side}"),
        ),
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    (journal,) = state.rglob("actions.jsonl")
    return [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]


def _remembering(
    stack: DevnetStack, plan: FaultPlan, root: str, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> MarketCache:
    """The user's cache remembering `root` for the devnet's web app, whose relayer-set route now
    answers HELD_S late once; the run's environment pointed at the devnet."""
    monkeypatch.chdir(folder)
    for key, value in stack.env().items():
        monkeypatch.setenv(key, value)
    cache = MarketCache()
    cache.put_relayer_root(stack.app_url, root)
    plan.add(RELAYER_SET, Fault(FaultKind.DELAY, delay_s=HELD_S))
    return cache


def test_a_stale_remembered_set_is_caught_before_any_trade(
    held: tuple[DevnetStack, FaultPlan], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, plan = held
    cache = _remembering(stack, plan, STALE, tmp_path, monkeypatch)
    lines = _run(stack, tmp_path / "state", per_side=2)

    inits = [line for line in lines if line["action"] == "SESSION_INIT"]
    assert len(inits) == 2 * WALLETS, "opened on the remembered set, then again on the live one"
    changed = [line for line in lines if "relayer set changed" in str(line.get("error"))]
    assert len(changed) == WALLETS
    errors = " ".join(str(line.get("error")) for line in lines if line["action"] == "ERROR")
    assert "session_bad_relayer" not in errors, "a trade went out on a session of the old set"
    assert any(line["action"] == "PLACE_LIMIT" for line in lines)
    live = stack.deployment.relayer_set_root.lower()
    stale_ids = [line["params"]["sessionId"] for line in inits[:WALLETS]]
    kept_ids = [line["params"]["sessionId"] for line in inits[WALLETS:]]
    assert [("0x" + r[1].hex()).lower() for r in registry_sessions(stack, stale_ids)] == [STALE] * WALLETS
    assert [("0x" + r[1].hex()).lower() for r in registry_sessions(stack, kept_ids)] == [live] * WALLETS
    assert cache.relayer_root(stack.app_url) == live, "the live set is remembered for the next launch"


def test_a_remembered_set_lets_the_sessions_go_out_before_the_live_one_answers(
    held: tuple[DevnetStack, FaultPlan], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, plan = held
    cache = _remembering(stack, plan, stack.deployment.relayer_set_root, tmp_path, monkeypatch)
    lines = _run(stack, tmp_path / "state", per_side=3)  # one more a side than the run before

    (start,) = [line["ts"] for line in lines if line["action"] == "RUN_START"]
    pending = [line["ts"] for line in lines if line["action"] == "SESSION_PENDING"]
    assert len(pending) == WALLETS and not [line for line in lines if line["action"] == "ERROR"]
    # the relayer-set read was sent before the run started and answers HELD_S after it was sent:
    # sessions sent within HELD_S of the start were signed on the remembered set
    assert max(pending) - start < (HELD_S - 1.0) * 1000
    assert any(line["action"] == "PLACE_LIMIT" for line in lines)
    assert cache.relayer_root(stack.app_url) == stack.deployment.relayer_set_root.lower()
