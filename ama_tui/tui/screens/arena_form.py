"""The Arena screen's form read into a comparison: what `arena compare` would be asked, checked by
the arena's own parsers, with every problem said at once in the form's words (not the flags')."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ama_tui.arena.compare import RunOptions
from ama_tui.arena.spec import ArenaInputError, parse_presets, parse_seeds

RESULTS: Final = Path("results")
"""Where `arena compare` writes by default: the screen writes there too, so one skips the other's
finished runs."""
FLAG_NAMES: Final = (("--seeds", "Seeds"), ("--wallets", "Wallets"), ("--duration", "Duration"))


class FormError(ValueError):
    """Every problem of the form, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class ArenaRequest:
    strategies: tuple[str, ...]
    presets: tuple[str, ...]
    seeds: tuple[int, ...]
    options: RunOptions
    folder: Path

    @property
    def runs(self) -> int:
        return len(self.strategies) * len(self.presets) * len(self.seeds)


def _in_form_words(exc: ArenaInputError) -> str:
    text = str(exc)
    for flag, name in FLAG_NAMES:
        text = text.replace(flag, name)
    return text


def _number(text: str, name: str, problems: list[str], *, whole: bool) -> float | None:
    try:
        return int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        problems.append(f"{name} {text.strip()!r}: not {kind}" if text.strip() else f"{name}: empty")
        return None


def read_form(
    *,
    strategies: Sequence[str],
    presets: Sequence[str],
    seeds: str,
    duration_s: str,
    wallets: str,
    market: str,
    results_dir: Path = RESULTS,
) -> ArenaRequest:
    """The comparison the form asks for; raises FormError naming every problem."""
    problems: list[str] = []
    if not strategies:
        problems.append("Strategies: choose at least one (space or click marks a strategy)")
    if not presets:
        problems.append("Presets: choose at least one")
    chosen_seeds: tuple[int, ...] = ()
    try:
        chosen_seeds = parse_seeds(seeds)
    except ArenaInputError as exc:
        problems.append(_in_form_words(exc))
    duration = _number(duration_s, "Duration", problems, whole=False)
    count = _number(wallets, "Wallets", problems, whole=True)
    symbol = market.strip()
    if not symbol:
        problems.append("Market: empty (the embedded exchange's symbol, e.g. ETH-USD)")
    options = RunOptions(market=symbol, wallets=int(count) if count is not None else 1, duration_s=duration)
    if duration is not None and count is not None:
        try:
            options.spec("check", "REALISTIC")
        except ArenaInputError as exc:
            problems.append(_in_form_words(exc))
    if problems:
        raise FormError(problems)
    return ArenaRequest(
        strategies=tuple(strategies),
        presets=parse_presets(",".join(presets)),
        seeds=chosen_seeds,
        options=options,
        folder=results_dir / f"compare-{symbol}",
    )
