"""--since / --until and which journals are read."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ama_tui.analytics.report import build_report
from ama_tui.analytics.sources import SourceError, find_journals
from ama_tui.analytics.timespec import TimeSpecError, Window, parse_time, parse_window
from tests.analytics.journal_builder import BOOK, E18, T0, cancel, fill, place, write_journal

NOW = 1_767_229_200_000  # 2026-01-01 01:00:00 UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01", T0),
        ("2026-01-01T00:30", T0 + 1_800_000),
        ("2026-01-01T00:30:00Z", T0 + 1_800_000),
        ("2026-01-01T02:30:00+02:00", T0 + 1_800_000),
        ("1767225600", T0),
        ("1767225600000", T0),
        ("30m", NOW - 1_800_000),
        ("1h", NOW - 3_600_000),
        ("2d", NOW - 2 * 86_400_000),
    ],
)
def test_time_forms(text: str, expected: int) -> None:
    assert parse_time(text, NOW) == expected
    assert datetime.fromtimestamp(T0 / 1000, UTC).isoformat() == "2026-01-01T00:00:00+00:00"


@pytest.mark.parametrize("text", ["yesterday", "", "12x", "2026-13-01", "-5m"])
def test_unreadable_times_name_the_option(text: str) -> None:
    with pytest.raises(TimeSpecError, match=r"^--since: "):
        parse_window(text, None, NOW)


def test_since_after_until_is_refused() -> None:
    with pytest.raises(TimeSpecError, match="after --until"):
        parse_window("2026-01-02", "2026-01-01", NOW)


def test_the_window_keeps_only_its_lines(tmp_path: Path) -> None:
    lines = [
        place(0, 1, True, 100_000_000, E18, 1_000_000),
        place(10_000, 2, True, 100_000_000, E18, 1_000_000),
        fill(20_000, 2, True, 100_000_000, E18, maker=True),
        cancel(30_000, 1),
        place(40_000, 3, True, 100_000_000, E18, 1_000_000),
    ]
    path = write_journal(tmp_path / "state", lines)
    report = build_report([path], Window(T0 + 10_000, T0 + 30_000))
    assert report.lines == 3
    assert (report.orders.placements, report.orders.fills, report.orders.cancels) == (1, 1, 1)
    # #1 was placed before the window: its cancel has no placement to end
    assert (report.lifetimes.orders, report.lifetimes.filled, report.lifetimes.cancelled) == (1, 1, 0)
    assert report.lifetimes.max_ms == 10_000
    assert report.markets[0].position == Decimal(1)
    assert report.notes[-1].startswith("only the lines inside the window count")


def test_a_whole_state_folder_or_one_market(tmp_path: Path) -> None:
    state = tmp_path / "state"
    other = "0x" + "12" * 20
    write_journal(state, [place(0, 1, True, 1_000_000, E18, 1)], symbol="ETH-USD")
    write_journal(state, [place(0, 1, True, 1_000_000, E18, 1, book=other)] * 2, book=other, chain=999)
    assert len(find_journals(state)) == 2
    (eth,) = find_journals(state, "eth-usd")
    assert eth.symbol == "ETH-USD" and eth.order_book == BOOK.lower()
    (by_address,) = find_journals(state, other.upper().replace("0X", "0x"))
    assert by_address.chain_id == 999
    report = build_report([s.path for s in find_journals(state)], labels={eth.order_book: "ETH-USD"})
    assert [(m.label, m.placements) for m in report.markets] == [(other, 2), ("ETH-USD", 1)]


@pytest.mark.parametrize(
    ("make", "market", "message"),
    [
        (lambda root: root / "missing", None, "does not exist"),
        (lambda root: root, None, "no journal"),
        (lambda root: (root / "file").touch() or root / "file", None, "is not a folder"),
    ],
)
def test_source_errors(tmp_path: Path, make, market, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SourceError, match=message):
        find_journals(make(tmp_path), market)


def test_an_unknown_market_lists_the_known_ones(tmp_path: Path) -> None:
    write_journal(tmp_path, [place(0, 1, True, 1, 1, 1)], symbol="ETH-USD")
    with pytest.raises(SourceError, match=r"no journal for market 'BTC-USD' .*\(found: ETH-USD\)"):
        find_journals(tmp_path, "BTC-USD")
