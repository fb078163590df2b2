"""Historical OHLCV bars for a replay: a CSV with the header `timestamp,open,high,low,close,volume`,
or the JSON array of arrays exchange libraries such as ccxt return (`[[ts, o, h, l, c, v], ...]`).
Timestamps in seconds or milliseconds (told apart by size). Every problem names its line.

Rows out of order or repeated are errors (a replay must not guess which is right); gaps (a step
longer than one and a half of the usual one) are reported and replayed as given: the sim
interpolates the close across them."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

from ama_tui.arena.spec import ArenaInputError

HEADER: Final = ("timestamp", "open", "high", "low", "close", "volume")
MS_THRESHOLD: Final = 100_000_000_000
"""A timestamp above this is in milliseconds (as seconds it would be the year 5138)."""
GAP_FACTOR: Final = Decimal("1.5")


@dataclass(frozen=True, slots=True)
class BarRow:
    line: int
    timestamp: int
    """Unix seconds."""
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class Bars:
    rows: tuple[BarRow, ...]
    gaps: tuple[str, ...]
    """One line per gap, naming the line after it."""
    step_s: int
    """The usual step between bars."""

    @property
    def first_ts(self) -> int:
        return self.rows[0].timestamp

    @property
    def span_s(self) -> int:
        return self.rows[-1].timestamp - self.rows[0].timestamp

    def canonical_csv(self) -> str:
        """The bars as the embedded exchange reads them (seconds, plain decimals)."""
        lines = [",".join(HEADER)]
        lines += [
            f"{r.timestamp},{_plain(r.open)},{_plain(r.high)},{_plain(r.low)},{_plain(r.close)},{_plain(r.volume)}"
            for r in self.rows
        ]
        return "\n".join(lines) + "\n"

    def sha256(self) -> str:
        """The same bars give the same hash whatever file format they came in."""
        return hashlib.sha256(self.canonical_csv().encode()).hexdigest()


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def load_bars(path: Path) -> Bars:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ArenaInputError(f"--bars {path}: no such file") from None
    except OSError as exc:
        raise ArenaInputError(f"--bars {path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise ArenaInputError(f"--bars {path}: not UTF-8 text") from None
    raw = _json_rows(path, text) if text.lstrip().startswith("[") else _csv_rows(path, text)
    if not raw:
        raise ArenaInputError(f"--bars {path}: no bars")
    in_ms = max(_timestamp(path, line, cells[0]) for line, cells in raw) > MS_THRESHOLD
    rows = [_row(path, line, cells, in_ms) for line, cells in raw]
    for before, after in pairwise(rows):
        if after.timestamp <= before.timestamp:
            what = "repeats" if after.timestamp == before.timestamp else "is before"
            raise ArenaInputError(
                f"--bars {path} line {after.line}: timestamp {after.timestamp} {what} line "
                f"{before.line}'s {before.timestamp} (bars must be sorted, oldest first)"
            )
    steps = [b.timestamp - a.timestamp for a, b in pairwise(rows)]
    step = Counter(steps).most_common(1)[0][0] if steps else 0
    gaps = tuple(
        f"--bars {path.name} line {b.line}: a gap of {b.timestamp - a.timestamp} s after line {a.line} "
        f"(bars every {step} s)"
        for a, b in pairwise(rows)
        if step and b.timestamp - a.timestamp > GAP_FACTOR * step
    )
    return Bars(tuple(rows), gaps, step)


def _csv_rows(path: Path, text: str) -> list[tuple[int, list[Any]]]:
    lines = text.splitlines()
    header = next(csv.reader(lines[:1]), [])
    if tuple(cell.strip().lower() for cell in header) != HEADER:
        raise ArenaInputError(f"--bars {path} line 1: the header must be {','.join(HEADER)}")
    rows: list[tuple[int, list[Any]]] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = next(csv.reader([line]))
        if len(cells) != len(HEADER):
            raise ArenaInputError(f"--bars {path} line {number}: expected 6 columns, got {len(cells)}")
        rows.append((number, [cell.strip() for cell in cells]))
    return rows


def _json_rows(path: Path, text: str) -> list[tuple[int, list[Any]]]:
    """Each inner array with the line it starts on (read one element at a time)."""
    decoder = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal)
    start = text.index("[") + 1
    position = start
    rows: list[tuple[int, list[Any]]] = []

    def skip(at: int) -> int:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        return at

    def line_at(at: int) -> int:
        return text.count("\n", 0, at) + 1

    position = skip(position)
    if position < len(text) and text[position] == "]":
        return rows
    while True:
        position = skip(position)
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise ArenaInputError(f"--bars {path} line {exc.lineno}: not JSON ({exc.msg})") from None
        line = line_at(position)
        if not isinstance(value, list) or len(value) < len(HEADER):
            raise ArenaInputError(
                f"--bars {path} line {line}: expected [timestamp, open, high, low, close, volume]"
            )
        rows.append((line, list(value[: len(HEADER)])))
        position = skip(end)
        if position < len(text) and text[position] == ",":
            position += 1
            continue
        if position < len(text) and text[position] == "]":
            if text[position + 1 :].strip():
                raise ArenaInputError(f"--bars {path} line {line_at(position + 1)}: text after the bars")
            return rows
        raise ArenaInputError(f"--bars {path} line {line_at(position)}: expected , or ] after a bar")


def _decimal(path: Path, line: int, value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ArenaInputError(f"--bars {path} line {line}: {what} is not a number: {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ArenaInputError(f"--bars {path} line {line}: {what} is not a number: {value!r}") from None
    if not number.is_finite():
        raise ArenaInputError(f"--bars {path} line {line}: {what} is not a finite number: {value!r}")
    return number


def _timestamp(path: Path, line: int, value: Any) -> Decimal:
    stamp = _decimal(path, line, value, "timestamp")
    if stamp < 0 or stamp != stamp.to_integral_value():
        raise ArenaInputError(
            f"--bars {path} line {line}: timestamp must be whole seconds or ms, got {value}"
        )
    return stamp


def _row(path: Path, line: int, cells: list[Any], in_ms: bool) -> BarRow:
    stamp = _timestamp(path, line, cells[0])
    if in_ms:
        if stamp % 1000:
            raise ArenaInputError(f"--bars {path} line {line}: timestamp {stamp} ms is not a whole second")
        stamp //= 1000
    open_, high, low, close, volume = (
        _decimal(path, line, cell, name) for cell, name in zip(cells[1:], HEADER[1:], strict=True)
    )
    if min(open_, high, low, close) <= 0:
        raise ArenaInputError(f"--bars {path} line {line}: prices must be positive")
    if not low <= min(open_, close) <= max(open_, close) <= high:
        raise ArenaInputError(f"--bars {path} line {line}: need low <= open, close <= high")
    if volume < 0:
        raise ArenaInputError(f"--bars {path} line {line}: volume must not be negative")
    return BarRow(line, int(stamp), open_, high, low, close, volume)
