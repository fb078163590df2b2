"""Replay mode: the reference follows a CSV of OHLCV bars; malformed files fail naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ama_tui.venues.sim import SimVenue
from ama_tui.venues.sim.price_path import OhlcvError, load_ohlcv

HEADER = "timestamp,open,high,low,close,volume\n"


def _csv(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "bars.csv"
    path.write_text(header + body)
    return path


def test_reference_follows_the_closes(tmp_path: Path) -> None:
    path = _csv(tmp_path, "1000,3.0,3.1,2.9,3.0,10\n1060,3.0,3.4,3.0,3.3,20\n1120,3.3,3.3,2.6,2.7,5\n")
    venue = SimVenue(1, "PERFECT_EXECUTION", "virtual", ohlcv_csv=path, ohlcv_symbol="HENRY-HUB-PRICE")
    henry = venue.market_info("HENRY-HUB-PRICE").order_book
    assert venue.reference_price6(henry) == 3_000_000
    venue.advance(30)
    assert venue.reference_price6(henry) == 3_150_000
    venue.advance(30)
    assert venue.reference_price6(henry) == 3_300_000
    venue.advance(60)
    assert venue.reference_price6(henry) == 2_700_000
    venue.advance(600)
    assert venue.reference_price6(henry) == 2_700_000, "holds the last close"
    top = venue.book(henry).top
    assert top.best_bid6 < 2_700_000 < top.best_ask6


def test_without_a_symbol_every_market_follows_relative_moves(tmp_path: Path) -> None:
    path = _csv(tmp_path, "0,100,100,100,100,1\n60,110,110,110,110,1\n")
    venue = SimVenue(1, "PERFECT_EXECUTION", "virtual", ohlcv_csv=path, participants=False)
    eth = venue.market_info("ETH-USD").order_book
    venue.advance(60)
    assert venue.reference_price6(eth) == 3_300_000_000


@pytest.mark.parametrize(
    ("body", "header", "needle"),
    [
        ("", "time,open,high,low,close,volume\n", "line 1"),
        ("", HEADER, "no bars"),
        ("1,2,3\n", HEADER, "line 2"),
        ("1,1,1,1,1,1\nx,1,1,1,1,1\n", HEADER, "line 3"),
        ("1,1,1,1,1,1\n1,1,1,1,1,1\n", HEADER, "line 3"),
        ("1,1,0.5,0.9,1,1\n", HEADER, "line 2"),
        ("1,-1,1,-1,1,1\n", HEADER, "line 2"),
        ("1,1,1,1,1,-3\n", HEADER, "line 2"),
        ("1.5,1,1,1,1,1\n", HEADER, "line 2"),
        ("1,1,1,1,nan,1\n", HEADER, "line 2"),
    ],
)
def test_malformed_files_name_the_line(tmp_path: Path, body: str, header: str, needle: str) -> None:
    path = _csv(tmp_path, body, header)
    with pytest.raises(OhlcvError, match=needle):
        load_ohlcv(path)
    with pytest.raises(OhlcvError):
        SimVenue(1, "PERFECT_EXECUTION", "virtual", ohlcv_csv=path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(OhlcvError, match="cannot read"):
        load_ohlcv(tmp_path / "absent.csv")


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    bars = load_ohlcv(_csv(tmp_path, "\n1,1,1,1,1,1\n\n2,1,2,1,2,0\n"))
    assert [bar.timestamp for bar in bars] == [1, 2]
