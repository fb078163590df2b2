"""`ama-tui devnet` as a user runs it: a real subprocess that prints its .env lines, serves the
API, and on SIGINT or SIGTERM exits 0 without leaving anvil behind."""

from __future__ import annotations

import argparse
import io
import json
import os
import queue
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx
import psutil
import pytest

from ama_tui.cli import build_parser, main
from ama_tui.devnet.command import run_devnet_command
from ama_tui.devnet.node import rpc_request
from ama_tui.devnet.seeding import RELAYER_COUNT
from ama_tui.store.wallets_csv import load_wallets_csv

from .conftest import pid_alive

pytestmark = pytest.mark.devnet

PROJECT_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 90.0  # a generous bound that only catches hangs (imports are slow on a busy box)
STOP_TIMEOUT_S = 60.0
HTTP_TIMEOUT_S = 10.0
READY_LINE = "Press Ctrl+C to stop."


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _read_until_ready(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"ama-tui devnet was not ready within {READY_TIMEOUT_S:.0f} s: {seen}")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            stderr = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"ama-tui devnet exited early ({process.poll()}): {seen}\n{stderr}")
        seen.append(line)
        if line == READY_LINE:
            return seen


def _anvil_descendants(pid: int) -> list[int]:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [child.pid for child in children if "anvil" in child.name()]


def _total_trades(api: httpx.Client) -> int:
    markets = api.get("/api/markets", params={"status": "ACTIVE"}).json()["markets"]
    return sum(
        api.get("/api/orderbook/live", params={"symbol": m["symbol"]}).json()["data"]["totalTrades"]
        for m in markets
    )


def test_the_devnet_command_runs_prints_serves_and_stops_on_sigint(
    node_modules: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "devnet-wallets.csv"
    command = [
        sys.executable,
        "-m",
        "ama_tui",
        "devnet",
        "--wallets",
        "3",
        "--csv",
        str(csv),
        "--rpc-port",
        "0",
        "--app-port",
        "0",
        "--takers",
        "--taker-interval",
        "0.3",
    ]
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str | None] = queue.Queue()
    assert process.stdout is not None
    pump = threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True)
    pump.start()
    anvils: list[int] = []
    try:
        printed = _read_until_ready(process, lines)
        ready = time.monotonic() - started
        print(f"ama-tui devnet ready {ready:.1f} s after launch (imports included)")
        env = dict(line.split("=", 1) for line in printed if "=" in line and not line.startswith("#"))
        assert {"RPC_URL", "SESSION_REGISTRY_ADDRESS", "CHAIN_ID", "APP_URL", "WALLETS_CSV"} <= set(env)

        assert int(rpc_request(env["RPC_URL"], "eth_chainId"), 16) == int(env["CHAIN_ID"]) == 31337
        code = rpc_request(env["RPC_URL"], "eth_getCode", [env["SESSION_REGISTRY_ADDRESS"], "latest"])
        assert len(code) > 2
        assert Path(env["WALLETS_CSV"]) == csv and stat.S_IMODE(csv.stat().st_mode) == 0o600
        wallets = load_wallets_csv(csv).wallets
        assert len(wallets) == 3
        assert not any(w.key.reveal()[2:] in "\n".join(printed) for w in wallets), "a private key was printed"

        with httpx.Client(base_url=env["APP_URL"], timeout=HTTP_TIMEOUT_S, trust_env=False) as api:
            markets = api.get("/api/markets").json()
            assert markets["success"] is True and markets["pagination"]["total"] == 4
            statuses = sorted(m["market_status"] for m in markets["markets"])
            assert statuses == ["ACTIVE", "ACTIVE", "ACTIVE", "PENDING"]
            assert {m["chain_id"] for m in markets["markets"]} == {31337}
            relayers = api.get("/api/gasless/session/relayer-set").json()
            assert len(relayers["relayerAddresses"]) == RELAYER_COUNT
            nonce = api.get("/api/gasless/session/nonce", params={"trader": wallets[0].address}).json()
            assert nonce == {"nonce": "0"}
            deadline = time.monotonic() + 30
            while _total_trades(api) == 0 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert _total_trades(api) > 0, "the background takers made no trade"

        anvils = _anvil_descendants(process.pid)
        assert anvils, "no anvil process under the devnet command"
        stopping = time.monotonic()
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=STOP_TIMEOUT_S)
        stopped = time.monotonic() - stopping
        total = time.monotonic() - started
        print(f"ama-tui devnet stopped {stopped:.1f} s after SIGINT; total {total:.1f} s")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for pid in anvils:
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
    stderr = process.stderr.read() if process.stderr else ""
    pump.join(timeout=10)  # it ends at the end of the output
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    assert returncode == 0, stderr
    assert "Traceback" not in stderr
    assert not [pid for pid in anvils if pid_alive(pid)], "anvil outlived the devnet command"
    assert csv.exists(), "a wallets CSV the user named must stay"


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["devnet", *argv])


def test_the_devnet_subcommand_is_wired_into_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    args = _args()
    assert (args.command, args.rpc_port, args.app_port, args.takers, args.wallets, args.csv) == (
        "devnet",
        8545,
        3000,
        True,
        None,
        None,
    )
    assert _args("--no-takers", "--wallets", "4").takers is False
    assert args.wait_for_mined is False and _args("--wait-for-mined").wait_for_mined is True
    assert args.block_time is None and _args("--block-time", "2").block_time == 2
    with pytest.raises(SystemExit) as done:
        main(["devnet", "--help"])
    assert done.value.code == 0
    helped = capsys.readouterr().out
    assert "--taker-interval" in helped and "--wait-for-mined" in helped


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--wallets", "0"], "--wallets must be at least 1"),
        (["--rpc-port", "70000"], "--rpc-port must be a port number"),
        (["--rpc-port", "4000", "--app-port", "4000"], "must differ"),
        (["--taker-interval", "0"], "--taker-interval must be positive"),
        (["--block-time", "0"], "--block-time must be a whole number of seconds, at least 1"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv: list[str], problem: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_devnet_command(_args(*argv), out=out, err=err) == 2
    assert problem in err.getvalue() and "Traceback" not in err.getvalue()
    assert out.getvalue() == ""


def test_a_busy_port_exits_1_with_a_clear_message(node_modules: Path) -> None:
    handlers = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out, err = io.StringIO(), io.StringIO()
        code = run_devnet_command(_args("--app-port", str(port), "--rpc-port", "0"), out=out, err=err)
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers


class _SignalOnReady(io.StringIO):
    """stdout that sends this process SIGTERM once the command says it is ready."""

    def write(self, text: str) -> int:
        written = super().write(text)
        if READY_LINE in text:
            self.stopping = time.monotonic()
            os.kill(os.getpid(), signal.SIGTERM)
        return written


def test_sigterm_stops_the_devnet_cleanly_in_process(node_modules: Path, tmp_path: Path) -> None:
    """The command's own start and stop time, without the subprocess's imports."""
    handlers = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    out, err = _SignalOnReady(), io.StringIO()
    facts_path = tmp_path / "facts.json"
    started = time.monotonic()
    code = run_devnet_command(
        _args(
            "--rpc-port",
            "0",
            "--app-port",
            "0",
            "--no-takers",
            "--csv",
            str(tmp_path / "w.csv"),
            "--write-facts",
            str(facts_path),
        ),
        out=out,
        err=err,
    )
    elapsed = time.monotonic() - started
    print(f"in-process devnet: start + stop {elapsed:.1f} s (stop {time.monotonic() - out.stopping:.1f} s)")
    assert code == 0, err.getvalue()
    assert elapsed < 60, "start-up or shut-down hangs"
    assert "ama-tui devnet: stopped in" in out.getvalue() and err.getvalue() == ""
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers
    facts = json.loads(facts_path.read_text())  # written before the ready lines, for another process
    printed = dict(
        line.split("=", 1) for line in out.getvalue().splitlines() if line[:1].isupper() and "=" in line
    )
    assert facts["env"] == {k: v for k, v in printed.items() if k != "WALLETS_CSV"}
    assert facts["wallets_csv"] == printed["WALLETS_CSV"] == str(tmp_path / "w.csv")
    wallets = load_wallets_csv(tmp_path / "w.csv").wallets
    assert facts["wallets"] == [w.address for w in wallets]
    deployment = facts["deployment"]
    assert deployment["registry"] == facts["env"]["SESSION_REGISTRY_ADDRESS"]
    assert {m["symbol"] for m in deployment["markets"]} >= {"ETH-USD", "BTC-USD"}
    assert not any(w.key.reveal()[2:] in facts_path.read_text() for w in wallets), "a key was written"
    leftovers = [
        c for c in psutil.Process().children(recursive=True) if c.pid not in before and c.is_running()
    ]
    assert not [c for c in leftovers if "anvil" in c.name()], "anvil outlived the command"
