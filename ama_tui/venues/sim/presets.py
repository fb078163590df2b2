"""How the sim behaves: the strategy-VM lineage's presets, mapped onto a real order book and relay.

The lineage's toy had no book, so its columns are read as follows here:

- *fills* (immediate / delayed N ms / gradual / never) -> how the relay answers and how takers arrive:
  "delayed N ms" becomes a relay latency of about N ms per trade submission (a real sleep outside the
  lock on the wall clock; only recorded on the virtual clock); "gradual 0.3 per 500 ms" becomes small
  takers (a third of a liquidity level) arriving about every 500 ms, so resting orders fill in parts;
  "never" means no takers at all. Immediate execution gets frequent full-size takers.
- *limit fill probability* -> the taker arrival rate (takers per second per market).
- *slippage* -> how far past the reference price a taker will sweep (its `worst_price6`).
- *failure rate* -> the probability that a submission fails the way production fails (see
  `FAILURE_MIX`); *market orders can fail* (CHAOTIC) is covered by the same draw.
- *volatility* -> the reference price's relative move per second of sim time (uniform, scaled by the
  square root of the step). The lineage applied its figure per bar; CHAOTIC's 0.05 per bar is read as
  0.01 per second (about 0.05 over 25 s) so that prices stay meaningful over an hour.
- *cancel after 5000 ms* (CHAOTIC) -> liquidity providers pull and re-post their quotes every ~5 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class SimPreset:
    name: str
    relay_latency_s: float
    """Mean latency of one trade submission (drawn uniformly in [0.5x, 1.5x])."""
    failure_rate: float
    """Probability that a submission or session creation fails like production does."""
    volatility: float
    """Reference price: relative amplitude of the uniform move per second of sim time."""
    taker_rate: float
    """Takers per second per active market (0: none)."""
    taker_size: float
    """Taker size as a multiple of one liquidity level (each taker draws 0.2x..1.5x of it)."""
    taker_reach: float
    """How far past the reference (relative) a taker sweeps at most."""
    lp_refresh_s: float
    """How often, on average, a liquidity provider re-quotes its ladder."""


PRESETS: Final[dict[str, SimPreset]] = {
    preset.name: preset
    for preset in (
        SimPreset("PERFECT_EXECUTION", 0.0, 0.0, 0.0002, 2.0, 1.0, 0.003, 3.0),
        SimPreset("REALISTIC", 1.0, 0.02, 0.001, 0.7, 1.0, 0.005, 3.0),
        SimPreset("CHAOTIC", 2.0, 0.2, 0.01, 0.3, 3.0, 0.02, 5.0),
        SimPreset("GRADUAL_FILLS", 0.5, 0.05, 0.0005, 2.0, 0.3, 0.002, 3.0),
        SimPreset("NO_FILLS", 0.0, 0.0, 0.0005, 0.0, 0.0, 0.0, 3.0),
    )
}


def get_preset(name: str) -> SimPreset:
    """A preset by name (case-insensitive)."""
    key = name.strip().upper() if isinstance(name, str) else ""
    try:
        return PRESETS[key]
    except KeyError:
        raise ValueError(f"unknown sim preset {name!r}; expected one of {', '.join(PRESETS)}") from None


FAILURE_MIX: Final[tuple[tuple[str, float], ...]] = (
    ("rate_limited", 0.25),
    ("circuit_open", 0.15),
    ("replacement_fee", 0.20),
    ("server_error", 0.40),
)
"""When a submission fails, how: 429 with a retry-after; 503 (the relayer's circuit breaker is open);
500 "replacement fee too low" (the relayer's nonce collided); a plain 5xx / timeout. The first three
fail before the transaction is sent. A plain 5xx happens after it was sent: half of those trades
land anyway (`LANDED_SHARE`), which is why a client must look before retrying."""

LANDED_SHARE: Final = 0.5
