"""Splitting a fleet into processes, each one market, with budgets that cannot over-allocate.

A wallet's cap is `maxWalletUtilization` of its collateral that positions do not hold (free plus
what its own orders reserve). One process per market, each with its own `maxWalletUtilization`:
a process's cap is `u_i x (free + reserved_i)`, and `free` already excludes what the wallet's
other markets reserve, so the wallet's orders across all of them reserve at most `sum(u_i) x`
its collateral outside positions. Keeping `sum(u_i)` over the markets each wallet quotes at or under
the fleet's `maxWalletUtilization` is therefore enough: no coordination at run time.

Each market gets `U x weight / (sum of the weights of the markets sharing any of its wallets)`,
floored to a basis point and taken as the smallest over its wallets, so every wallet's sum stays
under `U` whatever groups overlap. Pure: the fleet file is parsed elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

BPS = 10_000
MIN_UTILIZATION_BPS = 200
"""The packer's smallest `maxWalletUtilization` (0.02)."""
MAX_UTILIZATION_BPS = 9_000


class FleetError(ValueError):
    """A fleet file that cannot be planned: the message says what and where."""


@dataclass(frozen=True, slots=True)
class MarketEntry:
    market: str
    wallets: str
    """The wallet group (a CSV) this market's process trades with."""
    weight: Decimal = Decimal(1)
    strategy: str = "packer"
    host: str = ""
    sets: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Fleet:
    utilization_bps: int
    venue: str
    state_dir: str
    groups: Mapping[str, str]
    """Group name -> wallets CSV path."""
    members: Mapping[str, frozenset[str]]
    """Group name -> the lower-case addresses in it (read from the CSV; never the keys)."""
    markets: Sequence[MarketEntry]


@dataclass(frozen=True, slots=True)
class Process:
    name: str
    market: str
    group: str
    csv: str
    utilization_bps: int
    strategy: str
    host: str
    venue: str
    state_dir: str
    sets: Mapping[str, str]

    def arguments(self) -> list[str]:
        """`ama-tui` arguments of this process (the wallets file path, never a key)."""
        args = ["run", "--market", self.market, "--venue", self.venue, "--csv", self.csv]
        args += ["--state-dir", self.state_dir, "--strategy", self.strategy]
        args += ["--set", f"maxWalletUtilization={Decimal(self.utilization_bps) / BPS}"]
        for name, value in sorted(self.sets.items()):
            args += ["--set", f"{name}={value}"]
        return args


def _slug(text: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return "-".join(part for part in cleaned.split("-") if part) or "market"


def plan_fleet(fleet: Fleet) -> list[Process]:
    """One process per market entry; raises FleetError for a fleet that cannot be split."""
    if not MIN_UTILIZATION_BPS <= fleet.utilization_bps <= MAX_UTILIZATION_BPS:
        raise FleetError("maxWalletUtilization must be between 0.02 and 0.9")
    seen: set[tuple[str, str]] = set()
    for entry in fleet.markets:
        if entry.wallets not in fleet.groups:
            raise FleetError(f"market {entry.market}: no wallet group {entry.wallets!r}")
        if entry.weight <= 0:
            raise FleetError(f"market {entry.market}: weight must be positive, got {entry.weight}")
        if "maxWalletUtilization" in entry.sets:
            raise FleetError(
                f"market {entry.market}: maxWalletUtilization is the plan's to set, not a market's"
            )
        key = (entry.market.lower(), entry.wallets)
        if key in seen:
            raise FleetError(f"market {entry.market} is listed twice for wallet group {entry.wallets!r}")
        seen.add(key)
    # per address: the total weight of the markets whose group holds it
    load: dict[str, Decimal] = {}
    for entry in fleet.markets:
        for address in fleet.members[entry.wallets]:
            load[address] = load.get(address, Decimal(0)) + entry.weight
    processes: list[Process] = []
    names: dict[str, int] = {}
    for entry in fleet.markets:
        addresses = fleet.members[entry.wallets]
        if not addresses:
            raise FleetError(f"wallet group {entry.wallets!r} has no wallets")
        share = min(int(fleet.utilization_bps * entry.weight / load[address]) for address in addresses)
        if share < MIN_UTILIZATION_BPS:
            raise FleetError(
                f"market {entry.market}: its share of the wallets' {fleet.utilization_bps / 100:g} % is "
                f"{share / 100:g} %, under the 2 % a run needs (fewer markets per wallet, or larger weights)"
            )
        base = f"{_slug(entry.market)}-{_slug(entry.wallets)}"
        names[base] = names.get(base, 0) + 1
        name = base if names[base] == 1 else f"{base}-{names[base]}"
        processes.append(
            Process(
                name=name,
                market=entry.market,
                group=entry.wallets,
                csv=fleet.groups[entry.wallets],
                utilization_bps=share,
                strategy=entry.strategy,
                host=entry.host,
                venue=fleet.venue,
                state_dir=fleet.state_dir,
                sets=dict(entry.sets),
            )
        )
    return processes


def allocated_bps(fleet: Fleet, processes: Sequence[Process]) -> dict[str, int]:
    """Per wallet address, the utilization all its processes add up to."""
    total: dict[str, int] = {}
    for process in processes:
        for address in fleet.members[process.group]:
            total[address] = total.get(address, 0) + process.utilization_bps
    return total
