"""One arena run end to end on the embedded exchange: the same inputs give byte-identical
result.json; the reports say what the journal and the exchange say."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ama_tui.arena.runner import run_one
from ama_tui.arena.spec import RunSpec
from tests.arena.test_bars import ROWS, write_csv, write_json

SPEC = RunSpec("skewed-packer", preset="CHAOTIC", seed=2, wallets=2, duration_s=90)


def test_the_same_inputs_give_the_same_result_byte_for_byte(tmp_path: Path) -> None:
    first = run_one(SPEC, tmp_path / "first")
    second = run_one(SPEC, tmp_path / "elsewhere" / "second")
    assert (first.folder / "result.json").read_bytes() == (second.folder / "result.json").read_bytes()
    assert (first.folder / "fills.csv").read_bytes() == (second.folder / "fills.csv").read_bytes()
    other_seed = run_one(
        RunSpec("skewed-packer", preset="CHAOTIC", seed=3, wallets=2, duration_s=90), tmp_path / "3"
    )
    assert other_seed.result["figures"] != first.result["figures"]


def test_the_reports_of_a_maker_run(tmp_path: Path) -> None:
    outcome = run_one(
        RunSpec("packer", preset="REALISTIC", seed=1, wallets=2, duration_s=120), tmp_path / "run"
    )
    folder = outcome.folder
    result = json.loads((folder / "result.json").read_text())
    assert result == outcome.result
    for name in ("report.md", "fills.csv", "trades.csv", "actions.jsonl", "equity.png", "position.png",
                 "fills.png", "lifetimes.png"):  # fmt: skip
        assert (folder / name).is_file(), name
        assert name in result["files"]
    assert not (folder / "state.tmp").exists(), "the run's state folder is temporary"
    assert (folder / "equity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    figures = result["figures"]
    assert result["inputs"]["strategy"] == "packer" and result["seed"] == 1
    assert result["versions"]["amaTui"] and result["run"]["stopReason"] == "duration reached"
    assert result["run"]["simulatedS"] == 120
    assert figures["safety"] == {"takerFills": 0, "capBreaches": 0, "selfMatches": 0}, "maker-only"
    assert figures["fills"]["taker"] == 0 and figures["fills"]["count"] > 0
    run = result["run"]
    assert figures["fills"]["count"] == run["fills"] + run["unjournaledFills"], "every fill is in the ledger"
    assert result["run"]["positionsMatchExchange"] is True

    fills = list(csv.DictReader((folder / "fills.csv").open()))
    trades = list(csv.DictReader((folder / "trades.csv").open()))
    assert len(fills) == figures["fills"]["count"] and len(trades) == figures["trades"]["count"]
    assert {row["liquidity"] for row in fills} == {"maker"}
    from decimal import Decimal

    assert sum(Decimal(t["pnl"]) for t in trades) == Decimal(figures["pnl"]["realized"])
    pnl = figures["pnl"]
    assert Decimal(pnl["realized"]) + Decimal(pnl["unrealized"]) - Decimal(pnl["fees"]) == Decimal(
        pnl["total"]
    )

    report = (folder / "report.md").read_text()
    assert f"| PnL (USDC) | **{pnl['total']}** |" in report
    assert "| cap breaches | 0 |" in report and "![Equity and drawdown](equity.png)" in report


def test_replayed_csv_and_json_bars_give_the_same_result(tmp_path: Path) -> None:
    csv_bars = write_csv(tmp_path / "bars.csv", ROWS)
    json_bars = write_json(tmp_path / "bars.json", ROWS)
    one = run_one(RunSpec("packer", seed=4, wallets=2, duration_s=0, bars=csv_bars), tmp_path / "csv")
    two = run_one(RunSpec("packer", seed=4, wallets=2, duration_s=0, bars=json_bars), tmp_path / "json")
    assert (one.folder / "result.json").read_bytes() == (two.folder / "result.json").read_bytes()
    assert one.result["inputs"]["durationS"] == 120, "no duration given: the bars' span"
    assert one.result["run"]["start"] == "2023-11-14T22:13:20.000Z", "the clock starts at the first bar"
    assert one.result["bars"] == {"rows": 3, "stepS": 60, "gaps": 0}


def test_a_taker_strategy_counts_its_taker_fills(tmp_path: Path) -> None:
    spec = RunSpec(
        "taker-flow",
        preset="REALISTIC",
        seed=5,
        wallets=4,
        duration_s=300,
        overrides=(("takeSize", "0.02"), ("takerShare", "0.25"), ("takerVolumePerMinute", "2")),
    )
    result = run_one(spec, tmp_path / "taker").result
    figures = result["figures"]
    assert result["run"]["positionsMatchExchange"] is True, "takes are journaled as fills too"
    assert figures["safety"]["takerFills"] > 0 and figures["fills"]["taker"] > 0
    assert figures["safety"]["capBreaches"] == 0


def test_a_sandboxed_strategy_file_is_deterministic_too(tmp_path: Path) -> None:
    """The ema-cross example runs as any user's file would (its own confined process)."""
    from ama_tui.strategies.examples import EXAMPLES

    mine = tmp_path / "my_ema.py"
    mine.write_bytes((EXAMPLES / "ema_cross.py").read_bytes())
    spec = RunSpec(str(mine), preset="REALISTIC", seed=1, wallets=2, duration_s=90)
    one = run_one(spec, tmp_path / "one")
    two = run_one(spec, tmp_path / "two")
    assert (one.folder / "result.json").read_bytes() == (two.folder / "result.json").read_bytes()
    inputs = one.result["inputs"]
    assert inputs["strategy"] == "my_ema.py" and len(inputs["strategyFileSha256"]) == 64
    assert one.result["run"]["strategyStopped"] is False
