"""Bar files: the CSV and the ccxt-style JSON of the same bars are the same input; seconds or
milliseconds; every malformed file gets a message naming its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ama_tui.arena.bars import load_bars
from ama_tui.arena.spec import ArenaInputError

ROWS = [
    [1_700_000_000, 3000, 3010, 2990, 3005, 12],
    [1_700_000_060, 3005, 3012, 3001, 3002.5, 7],
    [1_700_000_120, 3002.5, 3004, 2980, 2985, 0],
]
HEADER = "timestamp,open,high,low,close,volume\n"


def write_csv(path: Path, rows: list[list[float]], header: str = HEADER) -> Path:
    path.write_text(header + "".join(",".join(str(v) for v in row) + "\n" for row in rows))
    return path


def write_json(path: Path, rows: list[list[float]], *, ms: bool = True) -> Path:
    shown = [[row[0] * 1000 if ms else row[0], *row[1:]] for row in rows]
    path.write_text("[\n" + ",\n".join(json.dumps(row) for row in shown) + "\n]\n")
    return path


def test_csv_and_ccxt_json_are_the_same_bars(tmp_path: Path) -> None:
    from_csv = load_bars(write_csv(tmp_path / "bars.csv", ROWS))
    from_json = load_bars(write_json(tmp_path / "bars.json", ROWS))
    assert from_csv.sha256() == from_json.sha256()
    assert from_csv.canonical_csv() == from_json.canonical_csv()
    assert from_csv.first_ts == 1_700_000_000 and from_csv.span_s == 120 and from_csv.step_s == 60
    assert from_csv.gaps == ()
    assert [row.line for row in from_json.rows] == [2, 3, 4]


def test_json_in_seconds_and_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bars.json"
    path.write_text(json.dumps(ROWS))
    assert load_bars(path).sha256() == load_bars(write_csv(tmp_path / "b.csv", ROWS)).sha256()


def test_gaps_are_reported_by_line(tmp_path: Path) -> None:
    rows = [*ROWS, [1_700_000_600, 2985, 2990, 2980, 2988, 1], [1_700_000_660, 2988, 2990, 2980, 2989, 1]]
    bars = load_bars(write_csv(tmp_path / "gappy.csv", rows))
    assert bars.gaps == ("--bars gappy.csv line 5: a gap of 480 s after line 4 (bars every 60 s)",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            HEADER + "1700000060,1,2,0.5,1,1\n1700000000,1,2,0.5,1,1\n",
            "line 3: timestamp 1700000000 is before line 2",
        ),
        (
            HEADER + "1700000000,1,2,0.5,1,1\n1700000000,1,2,0.5,1,1\n",
            "line 3: timestamp 1700000000 repeats line 2",
        ),
        ("time,o,h,l,c,v\n1,1,1,1,1,1\n", "line 1: the header must be timestamp,open,high,low,close,volume"),
        (HEADER + "1700000000,1,2,0.5,1\n", "line 2: expected 6 columns, got 5"),
        (HEADER + "1700000000,abc,2,0.5,1,1\n", "line 2: open is not a number: 'abc'"),
        (
            HEADER + "\n1700000000,1,2,0.5,1,1\n1700000060,1,0.9,0.5,1,1\n",
            "line 4: need low <= open, close <= high",
        ),
        (HEADER + "1700000000,0,2,0,1,1\n", "line 2: prices must be positive"),
        (HEADER + "1700000000,1,2,0.5,1,-3\n", "line 2: volume must not be negative"),
        (HEADER + "1700000000.5,1,2,0.5,1,1\n", "line 2: timestamp must be whole seconds or ms"),
        (HEADER, "no bars"),
        ("[[1700000000000, 1, 2, 0.5, 1, 1],\n [1700000060000, 1, 2]]", "line 2: expected [timestamp, open"),
        (
            "[[1700000000000, 1, 2, 0.5, 1, 1],\n [1700000060000, 1, 2, 0.5, 1, 1]\n",
            "expected , or ] after a bar",
        ),
        (
            "[[1700000000000, 1, 2, 0.5, 1, 1],\n [1700000060500, 1, 2, 0.5, 1, 1]]",
            "line 2: timestamp 1700000060500 ms",
        ),
        ('[[1700000000000, "x", 2, 0.5, 1, 1]]', "line 1: open is not a number"),
        ("[[1700000000000, 1, 2, 0.5, 1, 1],\n {oops}]", "line 2: not JSON"),
    ],
)
def test_malformed_bars_name_their_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(ArenaInputError, match=r"^--bars ") as caught:
        load_bars(path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ArenaInputError, match="no such file"):
        load_bars(tmp_path / "nope.csv")
