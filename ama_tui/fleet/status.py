"""`ama-tui fleet status`: one table of every market in the state folders it is given.

Read-only and lock-free: whether a run is going is read from the market lock's PID (a live process
on this host: running; a PID of another host's process cannot be checked and is shown as is)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ama_tui.store import StateStore, StoreError
from ama_tui.store.lock import LOCK_FILE_NAME as LOCK_FILE


@dataclass(frozen=True, slots=True)
class MarketStatus:
    state_dir: str
    symbol: str
    run_id: str
    strategy: str
    wallets: int
    running: str
    """"yes (pid N)", "no", or "pid N?" when it cannot be checked."""
    last_action: str
    updated: str


def _running(folder: Path) -> str:
    try:
        text = (folder / LOCK_FILE).read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return "no"
    if not text.isdigit():
        return "no"
    pid = int(text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "no (stale pid)"
    except PermissionError:
        return f"pid {pid}?"
    return f"yes (pid {pid})"


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def fleet_status(state_dirs: Sequence[Path]) -> tuple[list[MarketStatus], list[str]]:
    """Every market found, and a line per folder or market that could not be read."""
    found: list[MarketStatus] = []
    problems: list[str] = []
    for root in state_dirs:
        store = StateStore(root)
        try:
            markets = store.list_markets()
        except StoreError as exc:
            problems.append(f"{root}: {exc}")
            continue
        if not markets and not root.is_dir():
            problems.append(f"{root}: no such folder")
        for stored in markets:
            market = store.market(stored.chain_id, stored.order_book)
            try:
                checkpoint = market.load_checkpoint()
                tail = market.tail(1).lines
            except StoreError as exc:
                problems.append(f"{stored.folder}: {exc}")
                continue
            if checkpoint is None:
                continue
            last = tail[-1] if tail else None
            found.append(
                MarketStatus(
                    state_dir=str(root),
                    symbol=checkpoint.market.symbol,
                    run_id=checkpoint.run.run_id[:8],
                    strategy=checkpoint.strategy.name if checkpoint.strategy else "packer",
                    wallets=len(checkpoint.wallets),
                    running=_running(stored.folder),
                    last_action=f"{last.action} at {_when(last.ts)}" if last else "-",
                    updated=checkpoint.run.updated_at,
                )
            )
    return found, problems


COLUMNS = ("market", "running", "strategy", "wallets", "run", "last action", "updated", "state folder")


def status_table(rows: Sequence[MarketStatus]) -> str:
    cells = [
        (
            r.symbol,
            r.running,
            r.strategy.rsplit("/", 1)[-1],
            str(r.wallets),
            r.run_id,
            r.last_action,
            r.updated,
            r.state_dir,
        )
        for r in rows
    ]
    widths = [max(len(column), *(len(row[i]) for row in cells)) for i, column in enumerate(COLUMNS)]
    lines = ["  ".join(column.ljust(width) for column, width in zip(COLUMNS, widths, strict=True))]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)
