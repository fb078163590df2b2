"""Reading a fleet file (TOML):

```toml
[fleet]
maxWalletUtilization = 0.5   # the most of each wallet's collateral all its markets use together
venue = "dexetra"            # sim | dexetra | auto
stateDir = "state"

[wallets]                    # wallet groups: name = CSV file (relative to the fleet file)
a = "wallets-a.csv"

[[markets]]
market = "ETH-USD"
wallets = "a"
weight = 2                   # its share of the group's budget (default 1)
strategy = "packer"          # optional
host = "box-1"               # optional: where to run it
set = { ordersPerSidePerWallet = 4 }
```
The CSVs are read for their addresses only (every problem named by file and line; no key is ever
printed)."""

from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ama_tui.fleet.plan import BPS, Fleet, FleetError, MarketEntry
from ama_tui.store import StoreError, load_wallets_csv

VENUES = ("auto", "sim", "dexetra")


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FleetError(f"{where} must be a number, got {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise FleetError(f"{where} must be a number, got {value!r}") from None


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    found = data.get(key, {})
    if not isinstance(found, dict):
        raise FleetError(f"{path}: [{key}] must be a table")
    return found


def read_fleet(path: Path) -> Fleet:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FleetError(f"no fleet file at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FleetError(f"cannot read the fleet file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise FleetError(f"{path} is not valid TOML: {exc}") from None
    head = _table(data, "fleet", path)
    utilization = _decimal(head.get("maxWalletUtilization", "0.5"), f"{path}: fleet.maxWalletUtilization")
    venue = str(head.get("venue", "auto"))
    if venue not in VENUES:
        raise FleetError(f"{path}: fleet.venue must be one of {', '.join(VENUES)}, got {venue!r}")
    groups_raw = _table(data, "wallets", path)
    if not groups_raw:
        raise FleetError(f"{path}: no [wallets] groups")
    groups: dict[str, str] = {}
    members: dict[str, frozenset[str]] = {}
    for name, csv in groups_raw.items():
        if not isinstance(csv, str):
            raise FleetError(f"{path}: wallets.{name} must be a CSV file path")
        csv_path = (path.parent / csv).resolve()
        try:
            loaded = load_wallets_csv(csv_path)
        except StoreError as exc:
            raise FleetError(f"wallet group {name!r}: {exc}") from None
        groups[name] = str(csv_path)
        members[name] = frozenset(entry.address.lower() for entry in loaded.wallets)
    markets_raw = data.get("markets", [])
    if not isinstance(markets_raw, list) or not markets_raw:
        raise FleetError(f"{path}: no [[markets]]")
    markets = []
    for number, raw in enumerate(markets_raw, start=1):
        where = f"{path}: markets #{number}"
        if not isinstance(raw, dict) or not isinstance(raw.get("market"), str):
            raise FleetError(f'{where} needs market = "SYMBOL"')
        sets = raw.get("set", {})
        if not isinstance(sets, dict):
            raise FleetError(f"{where}: set must be a table")
        markets.append(
            MarketEntry(
                market=raw["market"],
                wallets=str(raw.get("wallets", next(iter(groups)))),
                weight=_decimal(raw.get("weight", 1), f"{where}.weight"),
                strategy=str(raw.get("strategy", "packer")),
                host=str(raw.get("host", "")),
                sets={str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in sets.items()},
            )
        )
    return Fleet(
        utilization_bps=int(utilization * BPS),
        venue=venue,
        state_dir=str((path.parent / str(head.get("stateDir", "state"))).resolve()),
        groups=groups,
        members=members,
        markets=markets,
    )
