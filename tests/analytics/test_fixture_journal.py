"""The original tool's journal (tests/fixtures/ts-state, copied: never written in place): no FILL
lines, no order ids. Figures are checked against a plain reading of the same file."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from ama_tui.analytics.render_text import render_text
from ama_tui.analytics.report import build_report
from ama_tui.analytics.sources import find_journals

FIXTURE = Path(__file__).parent.parent / "fixtures" / "ts-state"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    copy = tmp_path / "ts-state"
    shutil.copytree(FIXTURE, copy)
    return copy


def _records(state: Path) -> list[dict]:
    (path,) = state.glob("*/*/actions.jsonl")
    return [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines() if text.strip()]


def test_figures_match_a_plain_reading(state: Path) -> None:
    records = _records(state)
    actions = Counter(r["action"] for r in records)
    sources = find_journals(state)
    report = build_report([s.path for s in sources])
    assert report.lines == len(records) == report.lines_read
    assert report.malformed == 0
    assert {c.key: c.count for c in report.actions} == dict(actions)
    assert report.orders.placements == actions["PLACE_LIMIT"] == 121
    assert report.orders.fills == 0
    assert report.orders.fill_rate == Decimal(0)
    assert report.orders.cancels == 0
    assert report.first_ms == min(r["ts"] for r in records)
    assert report.last_ms == max(r["ts"] for r in records)
    # errors: three ethers REPLACEMENT_UNDERPRICED answers and one "fetch failed", none of a wallet
    assert {(c.key, c.count) for c in report.errors_by_code} == {
        ("REPLACEMENT_UNDERPRICED", 3),
        ("fetch failed", 1),
    }
    assert [(c.key, c.count) for c in report.errors_by_wallet] == [("(no wallet)", 4)]
    assert [(c.key, c.count) for c in report.session_counts] == [("SESSION_INIT", 10)]
    wallets = [r.get("nickname") for r in records if r["action"] == "SESSION_INIT"]
    assert [e.wallet for e in report.sessions] == wallets
    (run,) = report.runs
    assert run.run_id == records[0]["runId"] and run.stop_reason is None


def test_what_the_journal_cannot_tell_is_said_not_failed(state: Path) -> None:
    report = build_report([s.path for s in find_journals(state)])
    assert report.lifetimes.orders == 0 and report.lifetimes.histogram == ()
    (market,) = report.markets
    assert market.fills == 0 and market.last_price is None
    (series,) = report.series
    assert series.position == () and series.total_pnl == () and series.resting_margin == ()
    assert any(note.startswith("no fills recorded") for note in report.notes)
    assert any("order id" in note for note in report.notes)
    text = render_text(report)
    assert "no fills recorded" in text
    assert "lifetimes unavailable" in text


def test_margin_of_the_original_tools_placements_is_read_exactly(state: Path) -> None:
    """Its placements carry `estMarginRequired` as a float: read from the JSON text, not a double."""
    import duckdb

    from ama_tui.analytics.load import load_journals
    from ama_tui.analytics.timespec import Window

    records = _records(state)
    expected = sum(
        (Decimal(str(r["params"]["estMarginRequired"])) for r in records if r["action"] == "PLACE_LIMIT"),
        Decimal(0),
    )
    con = duckdb.connect()
    load_journals([s.path for s in find_journals(state)], Window(), con)
    row = con.execute("SELECT sum(margin6) FROM journal WHERE action = 'PLACE_LIMIT'").fetchone()
    assert row is not None and Decimal(int(row[0])) / 10**6 == expected
