"""Parquet export: one row per journal line, nothing dropped, checked by count and checksums."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb

from ama_tui.analytics.export_lines import EXPORT_COLUMNS
from ama_tui.analytics.export_parquet import export_parquet
from ama_tui.cli import main
from tests.analytics.journal_builder import E18, fill, line, place, write_journal

FIXTURE = Path(__file__).parent.parent / "fixtures" / "ts-state"


def _journal(tmp_path: Path) -> Path:
    lines = [
        place(0, 1, True, 100_000_000, E18, 1_000_000),
        "not json at all",
        fill(1000, 1, True, 100_000_000, E18, maker=True),
        line(2000, "SKIP", params={"reason": "TOP_MOVED", "message": "naïve ünïcode ✓"}),
        line(
            2000, "SKIP", params={"reason": "TOP_MOVED", "message": "naïve ünïcode ✓"}
        ),  # the same line twice
        '{"ts":1,"runId":"r","chainId":1,"orderBook":"0x1","action":"X","extra":{"kept":[1,2]}}',
    ]
    return write_journal(tmp_path / "state", lines)


def test_round_trip_count_and_checksums(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "state")
    path = _journal(tmp_path)
    (ts_path,) = (tmp_path / "state" / "999").glob("*/actions.jsonl")
    out = tmp_path / "export" / "journal.parquet"
    staged = export_parquet([ts_path, path], out)
    source_lines = [
        (str(p), text) for p in (ts_path, path) for text in p.read_text(encoding="utf-8").splitlines() if text
    ]
    assert staged.rows == len(source_lines) == 135 + 6
    assert staged.malformed == 1
    con = duckdb.connect()
    rows = con.execute(
        "SELECT source, line, lineHash, sha256(line), occurrence, malformed FROM read_parquet(?) ",
        [str(out)],
    ).fetchall()
    assert len(rows) == len(source_lines)
    assert [(r[0], r[1]) for r in rows] == source_lines  # every line, in order, text unchanged
    for _, text, stored, recomputed, _, _ in rows:
        assert stored == recomputed == hashlib.sha256(text.encode("utf-8")).hexdigest()
    # the whole file, rebuilt from the rows, has the same checksum as the journal
    rebuilt = "".join(r[1] + "\n" for r in rows if r[0] == str(path)).encode("utf-8")
    assert hashlib.sha256(rebuilt).hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [r[4] for r in rows if r[0] == str(path)] == [1, 1, 1, 1, 2, 1]
    assert [r[5] for r in rows if r[0] == str(path)] == [False, True, False, False, False, False]
    assert not list(out.parent.glob("*.partial"))


def test_columns_and_parsed_fields(tmp_path: Path) -> None:
    path = _journal(tmp_path)
    out = tmp_path / "j.parquet"
    export_parquet([path], out)
    con = duckdb.connect()
    names = [d[0] for d in con.execute("SELECT * FROM read_parquet(?) LIMIT 0", [str(out)]).description]
    assert tuple(names) == EXPORT_COLUMNS
    first = con.execute(
        "SELECT ts, runId, chainId, action, params, txHash FROM read_parquet(?) WHERE lineNo = 1", [str(out)]
    ).fetchone()
    record = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first is not None
    assert first[:4] == (record["ts"], record["runId"], record["chainId"], "PLACE_LIMIT")
    assert json.loads(first[4]) == record["params"] and first[5] == record["txHash"]
    bad = con.execute("SELECT ts, action, line FROM read_parquet(?) WHERE malformed", [str(out)]).fetchall()
    assert bad == [(None, None, "not json at all")]


def test_export_command(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _journal(tmp_path)
    out = tmp_path / "out.parquet"
    assert main(["export", "--state-dir", str(tmp_path / "state"), "--to", "parquet", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed == f"6 lines from 1 journal(s) to {out} (1 malformed, kept and flagged)\n"
    assert duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [str(out)]).fetchone() == (6,)
