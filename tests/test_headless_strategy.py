"""`ama-tui run --strategy NAME`: a built-in strategy runs headless, its parameters take `--set`,
the checkpoint records it, a resume keeps it, and every mistake gets a one-line answer."""

from __future__ import annotations

import json
from pathlib import Path

from ama_tui.core.models import MarketCheckpoint

from .cli_helpers import ama

RUN = (
    "run",
    "--market",
    "ETH-USD",
    "--venue",
    "sim",
    "--virtual-time",
    "--wallets",
    "3",
    "--state-dir",
    "st",
)


def _checkpoint(state: Path) -> MarketCheckpoint:
    (path,) = state.rglob("checkpoint.json")
    return MarketCheckpoint.model_validate_json(path.read_text())


def test_a_built_in_strategy_runs_and_a_resume_keeps_it(tmp_path: Path) -> None:
    first = ama(
        *RUN, "--cycles", "4", "--strategy", "skewed-packer", "--set", "maxPosition=0.5", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    assert "strategy: skewed-packer" in first.stderr
    assert json.loads(first.stdout.strip().splitlines()[-1])["placed"] > 0
    record = _checkpoint(tmp_path / "st").strategy
    assert record is not None and record.name == "skewed-packer"
    assert record.params["maxPosition"] == "0.5"

    again = ama(*RUN, "--cycles", "2", "--resume", "--set", "skewTicksPerUnit=7", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "strategy: skewed-packer" in again.stderr
    record = _checkpoint(tmp_path / "st").strategy
    assert (
        record is not None
        and record.params["maxPosition"] == "0.5"
        and record.params["skewTicksPerUnit"] == 7
    )


def test_the_packer_writes_the_checkpoint_as_the_original_tool_does(tmp_path: Path) -> None:
    result = ama(*RUN, "--cycles", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (path,) = (tmp_path / "st").rglob("checkpoint.json")
    assert "strategy" not in json.loads(path.read_text())


def test_mistakes_get_one_line_and_change_nothing(tmp_path: Path) -> None:
    unknown = ama(*RUN, "--cycles", "1", "--strategy", "moon-shot", cwd=tmp_path)
    assert unknown.returncode == 2
    known = "(built-ins: packer, rebalancer, skewed-packer, taker-flow)"
    assert f"no built-in strategy 'moon-shot' {known}" in unknown.stderr
    assert "Traceback" not in unknown.stderr

    bad = ama(*RUN, "--cycles", "1", "--strategy", "skewed-packer", "--set", "maxPosition=-1", cwd=tmp_path)
    assert bad.returncode == 2 and "maxPosition" in bad.stderr and "Traceback" not in bad.stderr

    foreign = ama(*RUN, "--cycles", "1", "--set", "maxPosition=1", cwd=tmp_path)
    assert foreign.returncode == 2 and "unknown parameter" in foreign.stderr

    packed = ama(*RUN, "--cycles", "1", cwd=tmp_path)
    assert packed.returncode == 0, packed.stderr
    before = (next((tmp_path / "st").rglob("checkpoint.json"))).read_text()
    switched = ama(*RUN, "--cycles", "1", "--resume", "--strategy", "skewed-packer", cwd=tmp_path)
    assert switched.returncode == 2
    assert "uses the strategy 'packer', not 'skewed-packer'" in switched.stderr
    assert (next((tmp_path / "st").rglob("checkpoint.json"))).read_text() == before


def test_the_ema_cross_example_runs_sandboxed_from_its_short_name(tmp_path: Path) -> None:
    result = ama(
        *RUN,
        "--cycles",
        "60",
        "--strategy",
        "ema-cross",
        "--set",
        "fast=2",
        "--set",
        "slow=5",
        "--set",
        "size=0.01",
        "--preset",
        "CHAOTIC",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "strategy: file:" in result.stderr and "ema_cross.py" in result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["placed"] > 0, "its crosses traded"
    record = _checkpoint(tmp_path / "st").strategy
    assert record is not None and record.name.endswith("ema_cross.py")
    assert record.params["slow"] == "5"


def test_a_strategy_file_that_fails_exits_6_with_its_reason(tmp_path: Path) -> None:
    source = "from ama_tui.kit import Trading\n\nclass Bad(Trading):\n    def analyze(self, data):\n"
    (tmp_path / "bad.py").write_text(source + "        1 / 0\n")
    result = ama(*RUN, "--cycles", "5", "--strategy", "bad.py", cwd=tmp_path)
    assert result.returncode == 6, result.stderr
    assert "strategy stopped" in result.stderr and "ZeroDivisionError" in result.stderr
    assert "Traceback" not in result.stderr
    missing = ama(*RUN, "--cycles", "1", "--fresh", "--strategy", "nowhere.py", cwd=tmp_path)
    assert missing.returncode == 2 and "no strategy file at" in missing.stderr
