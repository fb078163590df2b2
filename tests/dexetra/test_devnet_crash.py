"""Crash safety on the devnet: ten `kill -9` of the real CLI (`ama_tui run --venue dexetra`), four
while the first run of a fresh state folder opens its sessions, six during `--resume` runs of one
folder (three while the first cycle cancels and places, three later). After every kill (once the
relay has finished what the dead runner sent) and after the clean run that follows, the chain and
the folder are checked independently of the venue:

- (a) no wallet ever holds more than the target per side: the book's OrderPlaced/OrderCancelled
  events are replayed, so this holds after every transaction, not only at the checks;
- (b) never a second session: per wallet the registry created exactly one session. A kill between
  the relay creating a session and its SESSION_INIT line (the relay completes a request whose client
  died) leaves a session the journal knows only as SESSION_PENDING (written before the request
  left); the next run finds it active on the chain and adopts it instead of opening another;
- (c) the journal parses line by line (a torn last line only right after a kill), the checkpoint
  and the wallet files validate, no temporary file outlives a clean run, and the run id is kept
  (a run killed before its checkpoint is resumed from its SESSION_INIT lines);
- (d) every placement and cancel on the chain has its PLACE_LIMIT / CANCEL line, but for the one
  trade a wallet had in flight when its runner was killed (its newest, landed after the kill).

Each state folder trades wallets of its own (a CSV with a slice of the stack's wallets): a
folder cannot know the sessions and orders of another, so sharing wallets would blur the checks.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ama_tui.core.models import ActionLogLine, MarketCheckpoint, WalletCheckpoint, canonical_action
from ama_tui.devnet.deploy import client, order_book_contract, registry_contract
from ama_tui.devnet.stack import DevnetStack

from .devnet_tools import chain_orders, meta_nonces, registry_sessions

pytestmark = pytest.mark.devnet

SEED = 20240611
FRESH_TRIALS = 4
"""Folders whose first run is killed while it opens its sessions."""
MID_RUN_TRIALS = 6
"""`--resume` runs of the last folder killed mid-run."""
WALLETS_PER_FOLDER = 3
PER_SIDE = 2
SETS = ("minDelayMs=20", "maxDelayMs=80", f"ordersPerSidePerWallet={PER_SIDE}")
BANDS = (
    ("minDistanceTicks=150", "maxDistanceTicks=250"),
    ("minDistanceTicks=10", "maxDistanceTicks=40"),
)
"""Resumed runs alternate between two disjoint bands, so each one cancels and places (a kill then
has trades in flight to interrupt, not only reads)."""
START_TIMEOUT_S = 60.0
RUN_TIMEOUT_S = 120.0


@pytest.fixture(scope="module")
def stack(node_modules: Path) -> Iterator[DevnetStack]:
    with DevnetStack(wallets=FRESH_TRIALS * WALLETS_PER_FOLDER) as running:
        yield running


# ---------------------------------------------------------------------------------------------
# one state folder and its own wallets


@dataclass
class Folder:
    root: Path
    csv: Path
    traders: list[str]
    session_kills: int = 0
    """Kills while this folder's sessions were being opened (each may leave one orphan a wallet)."""
    run_id: str | None = None
    """The run this folder must keep, once a checkpoint or a SESSION_INIT line names it."""
    in_flight: set[tuple[str, int]] = field(default_factory=set)
    """(PLACE_LIMIT or CANCEL, order id) of trades the relay completed for a runner as it was
    killed: no journal line can exist for them."""

    @property
    def state(self) -> Path:
        return self.root / "state"


def _folder(stack: DevnetStack, tmp_path: Path, index: int) -> Folder:
    """A folder with a CSV holding the stack's wallets [index*N, (index+1)*N)."""
    root = tmp_path / f"folder{index}"
    root.mkdir()
    header, *rows = stack.wallets_csv.read_text().splitlines()
    mine = rows[index * WALLETS_PER_FOLDER : (index + 1) * WALLETS_PER_FOLDER]
    csv = root / "wallets.csv"
    fd = os.open(csv, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join([header, *mine]) + "\n")
    wallets = stack.wallets.wallets[index * WALLETS_PER_FOLDER : (index + 1) * WALLETS_PER_FOLDER]
    traders = [w.address for w in wallets]
    assert [row.split(",")[1].lower() for row in mine] == [t.lower() for t in traders]
    return Folder(root=root, csv=csv, traders=traders)


# ---------------------------------------------------------------------------------------------
# running the CLI


def _env(stack: DevnetStack) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("RPC_URL", "SESSION_REGISTRY", "CHAIN_ID"))
    }
    env.pop("NEXT_PUBLIC_CHAIN_ID", None)
    env.pop("APP_URL", None)
    return {**env, **stack.env(), "PYTHONUNBUFFERED": "1"}  # AMA_TUI_LOCK_DIR comes from conftest


def _cli(folder: Folder, *extra: str, sets: tuple[str, ...] = ()) -> list[str]:
    args = ["run", "--market", "ETH-USD", "--venue", "dexetra", "--csv", str(folder.csv)]
    args += ["--state-dir", str(folder.state)]
    for assignment in (*SETS, *sets):
        args += ["--set", assignment]
    return [sys.executable, "-m", "ama_tui", *args, *extra]


@dataclass(frozen=True)
class Killed:
    stderr: list[str]
    after: str
    """What the kill followed (the trigger line and the delay)."""
    from_block: int
    """The chain's head just before the runner started."""


def _run_and_kill(
    stack: DevnetStack,
    folder: Folder,
    extra: list[str],
    trigger: str,
    delay_s: float,
    sets: tuple[str, ...] = (),
    first_trade_after: int | None = None,
) -> Killed:
    """Start the CLI, wait for a stderr line starting with `trigger` (and, with
    `first_trade_after`, for a PLACE_LIMIT or CANCEL line past that many journal lines), sleep
    `delay_s`, SIGKILL it."""
    from_block = client(stack.rpc_url).eth.block_number
    runner = subprocess.Popen(
        _cli(folder, *extra, sets=sets),
        cwd=folder.root,
        env=_env(stack),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    seen: list[str] = []

    def read() -> None:
        assert runner.stderr is not None
        for line in runner.stderr:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    started = time.monotonic()
    try:
        deadline = started + START_TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {trigger!r} line within {START_TIMEOUT_S:.0f} s: {''.join(seen)}"
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            assert line is not None, f"the runner ended before {trigger!r}: {''.join(seen)}"
            seen.append(line)
            if line.startswith(trigger):
                break
        if first_trade_after is not None:
            while not _trades_since(folder, first_trade_after):
                assert time.monotonic() < deadline, (
                    f"no trade within {START_TIMEOUT_S:.0f} s: {''.join(seen)}"
                )
                assert runner.poll() is None, f"the runner ended by itself: {''.join(seen)}"
                time.sleep(0.005)
            trigger = "its first trade"
        time.sleep(delay_s)
        assert runner.poll() is None, f"the runner ended by itself: {''.join(seen)}"
        os.kill(runner.pid, signal.SIGKILL)
        assert runner.wait(30) == -signal.SIGKILL
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(30)
    reader.join(30)
    while not lines.empty():
        if (line := lines.get_nowait()) is not None:
            seen.append(line)
    return Killed(seen, f"{delay_s:.3f} s after {trigger.strip()!r}", from_block)


def _trades_since(folder: Folder, count: int) -> bool:
    """Whether the journal has a PLACE_LIMIT or cancel line (either spelling) past its first `count` lines."""
    market = _market_folder(folder.state)
    journal = market / "actions.jsonl" if market else None
    if journal is None or not journal.exists():
        return False
    fresh = journal.read_bytes().split(b"\n")[count:]
    return any(
        b'"action":"PLACE_LIMIT"' in raw or b'"action":"CANCEL_ORDER"' in raw or b'"action":"CANCEL"' in raw
        for raw in fresh
    )


def _run_clean(stack: DevnetStack, folder: Folder, *extra: str, sets: tuple[str, ...] = ()) -> str:
    """A run to its end (`--cycles` in `extra`); returns its stderr."""
    done = subprocess.run(
        _cli(folder, *extra, sets=sets),
        cwd=folder.root,
        env=_env(stack),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert not summary["kill_switch"], done.stderr
    return done.stderr


def _settle(stack: DevnetStack, quiet_s: float = 0.5, timeout_s: float = 20.0) -> None:
    """Wait until the relay has finished what the dead runner sent (it completes a request whose
    client is gone): no new block for `quiet_s` (anvil mines each transaction at once)."""
    w3 = client(stack.rpc_url)
    deadline = time.monotonic() + timeout_s
    last, since = w3.eth.block_number, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        head = w3.eth.block_number
        if head != last:
            last, since = head, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
    raise AssertionError("the chain kept moving after the kill")


# ---------------------------------------------------------------------------------------------
# reading the folder


@dataclass(frozen=True)
class Disk:
    lines: list[ActionLogLine]
    torn_tail: bool
    checkpoint: MarketCheckpoint | None
    wallet_files: dict[str, WalletCheckpoint]


def _market_folder(state: Path) -> Path | None:
    folders = [p for p in state.glob("*/*") if p.is_dir()] if state.exists() else []
    assert len(folders) <= 1, folders
    return folders[0] if folders else None


def _read_disk(folder: Folder, *, after_kill: bool) -> Disk:
    market = _market_folder(folder.state)
    if market is None:
        return Disk([], False, None, {})
    lines: list[ActionLogLine] = []
    torn = False
    journal = market / "actions.jsonl"
    if journal.exists():
        *whole, tail = journal.read_bytes().split(b"\n")
        for number, raw in enumerate(whole, 1):
            assert raw.strip(), f"empty journal line {number}"
            lines.append(ActionLogLine.model_validate(json.loads(raw)))
        if tail:  # a line without its newline: only a kill may leave one, and the next run cuts it
            assert after_kill, f"the journal ends with an unterminated line: {tail[:200]!r}"
            torn = True
    checkpoint_path = market / "checkpoint.json"
    checkpoint = (
        MarketCheckpoint.model_validate_json(checkpoint_path.read_text())
        if checkpoint_path.exists()
        else None
    )
    wallet_files = {
        path.stem.lower(): WalletCheckpoint.model_validate_json(path.read_text())
        for path in (market / "wallets").glob("*.json")
    }
    if not after_kill:
        leftovers = [p.name for p in market.rglob("*.tmp")]
        assert not leftovers, f"temporary files left after a clean run: {leftovers}"
    return Disk(lines, torn, checkpoint, wallet_files)


def _session_creations(stack: DevnetStack, traders: list[str]) -> dict[str, list[str]]:
    """Per trader, the ids of every session the registry created for it, oldest first."""
    registry = registry_contract(client(stack.rpc_url), stack.deployment)
    out: dict[str, list[str]] = {}
    for trader in traders:
        logs = registry.events.SessionCreated.get_logs(from_block=0, argument_filters={"trader": trader})
        ordered = sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"]))
        out[trader] = ["0x" + bytes(log["args"]["sessionId"]).hex() for log in ordered]
    return out


@dataclass(frozen=True, order=True)
class BookEvent:
    block: int
    log_index: int
    action: str
    """PLACE_LIMIT or CANCEL_ORDER: the journal line it must have (read in either spelling)."""
    order_id: int
    is_buy: bool
    tx_hash: str = ""
    """Its transaction: a placement the relay answered `pending` is journaled by its txHash
    (the order id follows in a PLACE_MINED line once a read sees it mined)."""


def _book_events(stack: DevnetStack, traders: list[str]) -> dict[str, list[BookEvent]]:
    """Per trader, every OrderPlaced and OrderCancelled of the book, in chain order."""
    book = order_book_contract(client(stack.rpc_url), stack.deployment, "ETH-USD")
    out: dict[str, list[BookEvent]] = {}
    for trader in traders:
        out[trader] = sorted(
            BookEvent(
                int(log["blockNumber"]),
                int(log["logIndex"]),
                action,
                int(log["args"]["orderId"]),
                bool(log["args"]["isBuy"]),
                "0x" + bytes(log["transactionHash"]).hex().removeprefix("0x"),
            )
            for event, action in (
                (book.events.OrderPlaced, "PLACE_LIMIT"),
                (book.events.OrderCancelled, "CANCEL_ORDER"),
            )
            for log in event.get_logs(from_block=0, argument_filters={"trader": trader})
        )
    return out


def _trades_of(stack: DevnetStack, trader: str) -> int:
    """How many trades `trader` took part in (as buyer or seller)."""
    trades = order_book_contract(
        client(stack.rpc_url), stack.deployment, "ETH-USD"
    ).events.TradeExecutionCompleted
    return sum(
        len(trades.get_logs(from_block=0, argument_filters={role: trader})) for role in ("buyer", "seller")
    )


# ---------------------------------------------------------------------------------------------
# the checks


def _check(stack: DevnetStack, folder: Folder, killed: Killed | None) -> dict[str, int]:
    """Every check on the chain and the folder (right after `killed`, or after a clean run);
    returns the sessions per trader that the folder does not record."""
    after_kill = killed is not None
    disk = _read_disk(folder, after_kill=after_kill)

    # (a) never more than the target per side: now, and after every transaction so far (the
    # book's events replayed; exact because no order of ours fills: the packer never crosses and
    # no taker runs, which is checked too)
    held = chain_orders(stack, folder.traders)
    events = _book_events(stack, folder.traders)
    for trader, orders in held.items():
        assert _trades_of(stack, trader) == 0, f"{trader} traded"
        open_now = Counter[bool]()
        for event in events[trader]:
            open_now[event.is_buy] += 1 if event.action == "PLACE_LIMIT" else -1
            assert open_now[event.is_buy] <= PER_SIDE, (
                f"{trader} held {open_now[event.is_buy]} {'buys' if event.is_buy else 'sells'} "
                f"after block {event.block} (target {PER_SIDE})"
            )
        assert open_now == Counter(o.is_buy for o in orders), f"{trader}: the replay is not the book"

    # (b) never a second session while one is valid
    created = _session_creations(stack, folder.traders)
    assert meta_nonces(stack, folder.traders) == {t: len(ids) for t, ids in created.items()}
    journaled: dict[str, list[str]] = {t.lower(): [] for t in folder.traders}
    for line in disk.lines:
        if line.action == "SESSION_INIT":
            journaled[line.trader.lower()].append(str((line.params or {})["sessionId"]).lower())
    orphans: dict[str, int] = {}
    for trader in folder.traders:
        key = trader.lower()
        recorded = set(journaled[key])
        if disk.checkpoint is not None and key in disk.checkpoint.wallets:
            recorded |= {disk.checkpoint.wallets[key].session_id or ""} - {""}
        if key in disk.wallet_files:
            recorded |= {disk.wallet_files[key].session_id or ""} - {""}
        recorded = {s.lower() for s in recorded}
        ids = [s.lower() for s in created[trader]]
        assert recorded <= set(ids), f"{trader}: recorded sessions the registry never created"
        older = ids[:-1]
        assert not recorded & set(older), (
            f"{trader}: a new session was opened while a recorded one was valid: created {ids}, "
            f"recorded {sorted(recorded)}"
        )
        assert len(journaled[key]) <= 1, f"{trader}: {len(journaled[key])} SESSION_INIT lines"
        orphans[trader] = len(older) + (1 if ids and ids[-1] not in recorded else 0)
        assert older == [], (
            f"{trader}: {len(older)} sessions replaced after {folder.session_kills} kills during session "
            "set-up (a session sent before a kill must be adopted, not doubled)"
        )
        if not after_kill:  # after a clean run: one session, the newest, on disk everywhere
            assert ids and ids[-1] in recorded, f"{trader} ended a clean run without its session recorded"
            assert disk.checkpoint is not None
            assert (disk.checkpoint.wallets[key].session_id or "").lower() == ids[-1]
            assert (disk.wallet_files[key].session_id or "").lower() == ids[-1]
            assert journaled[key] == [ids[-1]]
            (record,) = registry_sessions(stack, [ids[-1]])
            assert record[0] == trader and record[-1] is False, f"{trader}'s session is revoked"

    # (c) the run id: one per folder once a checkpoint or a SESSION_INIT line names it
    # a run killed before its first SESSION_INIT may have left SESSION_PENDING lines: the next
    # start resumes that run too (to adopt the sessions)
    session_runs = {line.run_id for line in disk.lines if line.action in ("SESSION_INIT", "SESSION_PENDING")}
    assert len(session_runs) <= 1, f"sessions journaled under several runs: {session_runs}"
    named = disk.checkpoint.run.run_id if disk.checkpoint is not None else next(iter(session_runs), None)
    if disk.checkpoint is not None and session_runs:
        assert session_runs == {disk.checkpoint.run.run_id}, "the checkpoint's run is not the sessions' run"
    if folder.run_id is not None:
        assert named == folder.run_id, f"run {folder.run_id} became {named}"
    elif named is not None:
        folder.run_id = named
    if folder.run_id is not None:
        first = next(i for i, line in enumerate(disk.lines) if line.run_id == folder.run_id)
        later = {line.run_id for line in disk.lines[first:]}
        assert later == {folder.run_id}, f"lines of other runs after run {folder.run_id} began: {later}"

    # (d) every placement and cancel of the folder's wallets has its PLACE_LIMIT / CANCEL line,
    # but for the trades a wallet had in flight when its runner died: the relay completes them and
    # the runner never hears. A wallet's plan for a cycle goes out at once (pipelined), so those
    # are book events made after the dead run began, at most one plan's worth (its cancels and
    # placements: 2 x PER_SIDE each) per wallet per kill.
    placing = {"PLACE_LIMIT": "PLACE_LIMIT", "PLACE_MINED": "PLACE_LIMIT", "CANCEL_ORDER": "CANCEL_ORDER"}
    lines = {
        (placing[canonical_action(line.action)], int(line.params["orderId"]))
        for line in disk.lines
        if canonical_action(line.action) in placing and line.params and "orderId" in line.params
    }
    sent = {
        (placing[canonical_action(line.action)], str(line.tx_hash).lower())
        for line in disk.lines
        if canonical_action(line.action) in placing and line.tx_hash
    }

    def journaled(event: BookEvent) -> bool:
        return (event.action, event.order_id) in lines | folder.in_flight or (
            event.action,
            event.tx_hash.lower(),
        ) in sent

    for trader, history in events.items():
        missing = [e for e in history if not journaled(e)]
        if missing and killed is not None:
            assert all(e.block > killed.from_block for e in missing) and len(missing) <= 4 * PER_SIDE, (
                f"{trader}: book events without a journal line: {missing} (only the dead run's last "
                "plan may have been in flight at the kill)"
            )
            folder.in_flight.update((e.action, e.order_id) for e in missing)
            missing = []
        assert not missing, f"{trader}: book events without a journal line: {missing}"
    return orphans


def _describe(stack: DevnetStack, folder: Folder, orphans: dict[str, int]) -> str:
    disk = _read_disk(folder, after_kill=True)
    inits = sum(line.action == "SESSION_INIT" for line in disk.lines)
    nonces = sum(meta_nonces(stack, folder.traders).values())
    orders = sum(len(o) for o in chain_orders(stack, folder.traders).values())
    return (
        f"{nonces} sessions on chain, {inits} journaled, {sum(orphans.values())} not recorded, "
        f"checkpoint {'yes' if disk.checkpoint else 'no'}, {orders} orders on chain, "
        f"{len(folder.in_flight)} trades in flight at a kill so far"
        f"{', torn journal tail' if disk.torn_tail else ''}"
    )


# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_kill_minus_nine_on_the_devnet(stack: DevnetStack, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    began = time.monotonic()
    print()

    # ---- 4 fresh folders: the first run dies while it opens its sessions
    triggers = [
        ("starting run", rng.uniform(0.0, 0.1)),  # before the first session, or while they open
        ("session 1/", 0.0),  # the other wallets' sessions are in flight at the relay
        ("session 2/", rng.uniform(0.0, 0.02)),
        # the last session has answered and the first plan is going out (the first orders go out at
        # once now: no watch of the market first, so a delay after "starting run" lands too late)
        (f"session {WALLETS_PER_FOLDER}/", rng.uniform(0.0, 0.01)),
    ]
    folders = [_folder(stack, tmp_path, i) for i in range(FRESH_TRIALS)]
    for trial, (folder, (trigger, delay)) in enumerate(zip(folders, triggers, strict=True)):
        killed = _run_and_kill(stack, folder, ["--fresh", "--cycles", "100000"], trigger, delay)
        assert not any(line.startswith("cycle ") for line in killed.stderr), "killed too late"
        folder.session_kills += 1
        _settle(stack)
        orphans = _check(stack, folder, killed)
        reported = sum(line.startswith("session ") for line in killed.stderr)
        print(
            f"trial {trial + 1}: first run killed {killed.after} ({reported} session lines): "
            f"{_describe(stack, folder, orphans)}"
        )

        journal_run = folder.run_id  # set by _check when the dead run left a SESSION_INIT/PENDING line
        mode = ["--resume"] if trial % 2 and journal_run else []  # else auto: resumes what is there
        err = _run_clean(stack, folder, *mode, "--cycles", "3")
        if journal_run is not None:
            assert f"resuming run {journal_run}" in err, err
        else:
            assert "starting run" in err, err
        orphans = _check(stack, folder, None)
        print(f"  then {' '.join(mode) or 'auto'} --cycles 3: {_describe(stack, folder, orphans)}")

    # ---- 6 kills of --resume runs of the last folder, mid-run
    folder = folders[-1]
    nonces = meta_nonces(stack, folder.traders)
    for trial in range(MID_RUN_TRIALS):
        band = BANDS[trial % 2]  # the first is beyond the default band (10-120 ticks): every order moves
        before = len(_read_disk(folder, after_kill=True).lines)
        if trial % 2 == 0:  # while the first cycle moves the orders to the new band
            trigger, delay, first_trade = "resuming run", rng.uniform(0.0, 0.25), before
        else:  # later, once cycles are reported
            trigger, delay, first_trade = "cycle ", rng.uniform(0.0, 1.5), None
        killed = _run_and_kill(
            stack,
            folder,
            ["--resume", "--cycles", "100000"],
            trigger,
            delay,
            sets=band,
            first_trade_after=first_trade,
        )
        assert any(line.startswith(f"resuming run {folder.run_id}") for line in killed.stderr)
        _settle(stack)
        orphans = _check(stack, folder, killed)
        assert meta_nonces(stack, folder.traders) == nonces, "a resumed run opened a session"
        cycles = [line.split(":")[0] for line in killed.stderr if line.startswith("cycle ")]
        reached = cycles[-1] if cycles else "before cycle 1 was reported"
        trades = Counter(
            canonical_action(line.action) for line in _read_disk(folder, after_kill=True).lines[before:]
        )
        print(
            f"trial {FRESH_TRIALS + trial + 1}: --resume killed {killed.after} ({reached}, "
            f"{trades['CANCEL_ORDER']} cancels and {trades['PLACE_LIMIT']} placements journaled): "
            f"{_describe(stack, folder, orphans)}"
        )

    err = _run_clean(stack, folder, "--resume", "--cycles", "3")
    assert f"resuming run {folder.run_id}" in err, err
    _check(stack, folder, None)
    assert meta_nonces(stack, folder.traders) == nonces
    disk = _read_disk(folder, after_kill=False)
    assert disk.checkpoint is not None and disk.checkpoint.run.run_id == folder.run_id
    print(f"10 kill -9 trials on the devnet in {time.monotonic() - began:.1f} s")
