"""What one arena run is: its inputs, checked and normalised, and the folder it writes.

A `RunSpec` is everything that decides a run's result. Two equal specs give byte-identical
`result.json` files; `inputs()` is what the result records and what `compare` checks before it
skips a finished run."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

PRESET_NAMES: Final = ("PERFECT_EXECUTION", "REALISTIC", "CHAOTIC", "GRADUAL_FILLS", "NO_FILLS")
MAX_SEEDS: Final = 10_000
MAX_WALLETS: Final = 1_000
MAX_DURATION_S: Final = 30 * 86_400.0
MAX_FEE_BPS: Final = 1_000


class ArenaInputError(ValueError):
    """Bad input: the message is one line a user can act on (the command exits with code 2)."""


@dataclass(frozen=True, slots=True)
class RunSpec:
    strategy: str
    """A built-in's name, an example's name, or a strategy file's path."""
    market: str = "ETH-USD"
    preset: str = "REALISTIC"
    seed: int = 0
    wallets: int = 4
    duration_s: float = 600.0
    overrides: tuple[tuple[str, str], ...] = ()
    """`--set` assignments, sorted by name."""
    bars: Path | None = None
    maker_fee_bps: int = 0
    taker_fee_bps: int = 0

    def strategy_file(self) -> Path | None:
        """The strategy's file when it is one (a `.py` path), else None."""
        name = self.strategy.removeprefix("file:")
        return Path(name).expanduser() if name.endswith(".py") or self.strategy.startswith("file:") else None

    def inputs(self, *, bars_sha256: str | None = None, strategy_sha256: str | None = None) -> dict[str, Any]:
        """The inputs as result.json records them: no folder paths (a run's result does not depend
        on where it is written); a strategy file by name and content hash; bars by the hash of the
        bars read (the same bars as CSV or as JSON are the same input)."""
        file = self.strategy_file()
        return {
            "strategy": file.name if file is not None else self.strategy,
            "strategyFileSha256": strategy_sha256,
            "market": self.market,
            "preset": self.preset,
            "seed": self.seed,
            "wallets": self.wallets,
            "durationS": _plain_number(self.duration_s),
            "set": {name: value for name, value in self.overrides},
            "barsSha256": bars_sha256,
            "makerFeeBps": self.maker_fee_bps,
            "takerFeeBps": self.taker_fee_bps,
        }

    def folder_name(self) -> str:
        """`<preset>-seed<N>`: a run's folder inside its strategy's results folder."""
        return f"{self.preset}-seed{self.seed}"


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def strategy_slug(strategy: str) -> str:
    """A folder-safe name for a strategy: a built-in's name, or a file's stem and a short hash of
    its path (two files with the same name stay apart)."""
    name = strategy.removeprefix("file:")
    if name.endswith(".py") or strategy.startswith("file:"):
        path = Path(name).expanduser()
        digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:6]
        return f"{_safe(path.stem)}-{digest}"
    return _safe(name)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text.strip()) or "strategy"


def parse_seeds(text: str) -> tuple[int, ...]:
    """`7`, `1-20`, `1,3,5-8`: distinct seeds in the order given."""
    seeds: list[int] = []
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            raise ArenaInputError(f"--seeds {text!r}: an empty item (expected e.g. 1-20 or 1,3,5)")
        low, dash, high = part.partition("-")
        try:
            first = int(low)
            last = int(high) if dash else first
        except ValueError:
            raise ArenaInputError(f"--seeds {text!r}: {part!r} is not a seed or a range like 1-20") from None
        if first < 0 or last < first:
            raise ArenaInputError(f"--seeds {text!r}: {part!r} is not a range of seeds >= 0 going up")
        if last - first + 1 + len(seeds) > MAX_SEEDS:
            raise ArenaInputError(f"--seeds {text!r}: more than {MAX_SEEDS} seeds")
        seeds.extend(s for s in range(first, last + 1) if s not in seeds)
    return tuple(seeds)


def parse_preset(text: str) -> str:
    name = str(text).strip().upper()
    if name not in PRESET_NAMES:
        raise ArenaInputError(f"unknown preset {text!r}; expected one of {', '.join(PRESET_NAMES)}")
    return name


def parse_presets(text: str) -> tuple[str, ...]:
    names: list[str] = []
    for part in str(text).split(","):
        name = parse_preset(part)
        if name not in names:
            names.append(name)
    return tuple(names)


def parse_overrides(items: list[str] | tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """`--set name=value` items, sorted by name (a later one of the same name wins)."""
    changes: dict[str, str] = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        if not sep or not name.strip():
            raise ArenaInputError(f"--set {item!r}: expected name=value")
        changes[name.strip()] = value.strip()
    return tuple(sorted(changes.items()))


def check_numbers(*, wallets: int, duration_s: float | None, maker_fee_bps: int, taker_fee_bps: int) -> None:
    if not 1 <= wallets <= MAX_WALLETS:
        raise ArenaInputError(f"--wallets must be between 1 and {MAX_WALLETS} (got {wallets})")
    if duration_s is not None and not 0 < duration_s <= MAX_DURATION_S:
        raise ArenaInputError(
            f"--duration must be a positive number of simulated seconds, at most {MAX_DURATION_S:.0f} "
            f"(got {duration_s})"
        )
    for option, bps in (("--maker-fee-bps", maker_fee_bps), ("--taker-fee-bps", taker_fee_bps)):
        if not -MAX_FEE_BPS <= bps <= MAX_FEE_BPS:
            raise ArenaInputError(f"{option} must be between -{MAX_FEE_BPS} and {MAX_FEE_BPS} (got {bps})")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
