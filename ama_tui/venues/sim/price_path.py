"""The reference price each market's participants quote around: a seeded random walk, or a replay of
OHLCV bars.

The walk runs in log space so a price never reaches zero. MEAN reverts to the market's initial price
(half-life 10 minutes); UP and DOWN drift by 10 % an hour, without reversion. Each step moves by a
uniform `(2r - 1) * volatility * sqrt(dt)`, as the lineage's `price * (1 + (2r - 1) * vol)`.

A replay follows the bars' closes, linearly interpolated between consecutive bars, on the sim's own
time line (the first bar is the venue's start). It holds the last close after the last bar. The bars'
volumes scale how often takers arrive.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import math
import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Final

from ama_tui.core.units import MAX_PRICE6

MEAN_REVERSION_HALF_LIFE_S: Final = 600.0
TREND_PER_HOUR: Final = 0.10
_MAX_LOG_MOVE: Final = math.log(1_000.0)
"""The walk stays within 1/1000x .. 1000x of its start."""


class PriceMode(StrEnum):
    MEAN = "MEAN"
    UP = "UP"
    DOWN = "DOWN"


def parse_price_mode(value: str | PriceMode) -> PriceMode:
    try:
        return PriceMode(str(value).strip().upper())
    except ValueError:
        raise ValueError(f"unknown price mode {value!r}; expected MEAN, UP or DOWN") from None


class RandomWalk:
    """A reference price in log space around `start6`."""

    __slots__ = ("_log", "_mode", "_start6", "_volatility")

    def __init__(self, start6: int, mode: PriceMode, volatility: float) -> None:
        if start6 <= 0:
            raise ValueError("a random walk needs a positive start price")
        self._start6 = start6
        self._mode = mode
        self._volatility = volatility
        self._log = 0.0

    @property
    def price6(self) -> int:
        return min(max(1, round(self._start6 * math.exp(self._log))), MAX_PRICE6)

    @property
    def log_move(self) -> float:
        """Where the walk stands: the log of price over start (all of its state that moves)."""
        return self._log

    @log_move.setter
    def log_move(self, value: float) -> None:
        if not -_MAX_LOG_MOVE <= value <= _MAX_LOG_MOVE:
            raise ValueError(f"a walk moves within ±{_MAX_LOG_MOVE:.3f} in log space, got {value!r}")
        self._log = float(value)

    def step(self, rng: random.Random, dt: float) -> int:
        """Move by one step of `dt` seconds (one draw from `rng`); the new reference price6."""
        shock = (2.0 * rng.random() - 1.0) * self._volatility * math.sqrt(dt)
        if self._mode is PriceMode.MEAN:
            drift = -self._log * (math.log(2.0) / MEAN_REVERSION_HALF_LIFE_S) * dt
        elif self._mode is PriceMode.UP:
            drift = TREND_PER_HOUR / 3600.0 * dt
        else:
            drift = -TREND_PER_HOUR / 3600.0 * dt
        self._log = min(max(self._log + drift + shock, -_MAX_LOG_MOVE), _MAX_LOG_MOVE)
        return self.price6


class OhlcvError(ValueError):
    """A malformed OHLCV file; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Bar:
    timestamp: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


OHLCV_HEADER: Final = ("timestamp", "open", "high", "low", "close", "volume")


def _number(text: str, what: str, where: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise OhlcvError(f"{where}: {what} is not a number: {text.strip()!r}") from None
    if not value.is_finite():
        raise OhlcvError(f"{where}: {what} is not a finite number: {text.strip()!r}")
    return value


def load_ohlcv(path: Path) -> tuple[Bar, ...]:
    """Read `timestamp,open,high,low,close,volume` bars (header required, unix-second timestamps
    strictly increasing, positive prices with low <= open, close <= high, volume >= 0)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise OhlcvError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise OhlcvError(f"{path}: not UTF-8 text") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or tuple(cell.strip().lower() for cell in rows[0]) != OHLCV_HEADER:
        raise OhlcvError(f"{path} line 1: the header must be exactly {','.join(OHLCV_HEADER)}")
    bars: list[Bar] = []
    for line_no, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        where = f"{path} line {line_no}"
        if len(row) != len(OHLCV_HEADER):
            raise OhlcvError(f"{where}: expected {len(OHLCV_HEADER)} columns, got {len(row)}")
        stamp = _number(row[0], "timestamp", where)
        if stamp != stamp.to_integral_value() or stamp < 0:
            raise OhlcvError(f"{where}: timestamp must be whole unix seconds, got {row[0].strip()!r}")
        open_, high, low, close, volume = (
            _number(cell, name, where) for cell, name in zip(row[1:], OHLCV_HEADER[1:], strict=True)
        )
        if min(open_, high, low, close) <= 0:
            raise OhlcvError(f"{where}: prices must be positive")
        if not low <= min(open_, close) <= max(open_, close) <= high:
            raise OhlcvError(f"{where}: need low <= open, close <= high")
        if volume < 0:
            raise OhlcvError(f"{where}: volume must not be negative")
        bar = Bar(int(stamp), open_, high, low, close, volume)
        if bars and bar.timestamp <= bars[-1].timestamp:
            raise OhlcvError(f"{where}: timestamps must increase (after {bars[-1].timestamp})")
        bars.append(bar)
    if not bars:
        raise OhlcvError(f"{path}: no bars after the header")
    return tuple(bars)


class OhlcvReplay:
    """Closes over time, relative to the first bar, on the sim's time line."""

    __slots__ = ("_closes", "_offsets", "_volume_factors")

    def __init__(self, bars: tuple[Bar, ...]) -> None:
        first = bars[0]
        self._offsets = [float(bar.timestamp - first.timestamp) for bar in bars]
        self._closes = [float(bar.close / first.close) for bar in bars]
        mean_volume = sum((bar.volume for bar in bars), Decimal(0)) / len(bars)
        self._volume_factors = [
            min(5.0, float(bar.volume / mean_volume)) if mean_volume > 0 else 1.0 for bar in bars
        ]

    def fingerprint(self) -> str:
        """sha256 over what the replay follows: two replays with the same fingerprint move alike."""
        text = repr((self._offsets, self._closes, self._volume_factors))
        return hashlib.sha256(text.encode()).hexdigest()

    def ratio_at(self, offset_s: float) -> float:
        """Close at `offset_s` seconds after the start, as a multiple of the first close."""
        index = bisect.bisect_right(self._offsets, offset_s) - 1
        if index < 0:
            return self._closes[0]
        if index >= len(self._offsets) - 1:
            return self._closes[-1]
        t0, t1 = self._offsets[index], self._offsets[index + 1]
        c0, c1 = self._closes[index], self._closes[index + 1]
        return c0 + (c1 - c0) * (offset_s - t0) / (t1 - t0)

    def volume_factor_at(self, offset_s: float) -> float:
        """The current bar's volume over the mean bar volume (capped at 5): scales taker arrivals."""
        index = min(max(bisect.bisect_right(self._offsets, offset_s) - 1, 0), len(self._offsets) - 1)
        return self._volume_factors[index]
