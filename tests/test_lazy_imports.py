"""A fast start (issue 13): each command imports only what it needs. Checked in a fresh interpreter,
by the modules loaded, never by time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

NEVER_ON_THE_RUN_PATH = (
    "textual",
    "rich",
    "web3",
    "eth_account",
    "eth_keyfile",
    "py_ecc",
    "ama_tui.devnet",
    "ama_tui.kit",  # a packer run runs no strategy file: neither the kit nor the sandbox
    "ama_tui.engine.user_strategy",
    "ama_tui.sandbox.strategy",
    # the run's own keccak and ABI codec stand in for these (a fifth of the run's imports)
    "eth_utils",
    "eth_abi",
    "eth_typing",
    "eth_hash",
    "parsimonious",
    "duckdb",  # the report cache is kept by a child process, never in the run's
)
NEVER_IN_THE_DASHBOARD = (
    "web3",
    "eth_account",
    "eth_keyfile",
    "py_ecc",
    "ama_tui.devnet",
    "eth_utils",
    "eth_abi",
)


def _loaded_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return set(json.loads(completed.stdout.splitlines()[-1]))


def _offenders(loaded: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(name for name in loaded for top in forbidden if name == top or name.startswith(top + "."))


@pytest.mark.parametrize("venue", ["sim", "dexetra"])
def test_the_headless_run_imports_nothing_it_does_not_need(venue: str) -> None:
    loaded = _loaded_after(
        "from ama_tui.cli import parse_args\n"
        "parse_args(['run', '--market', 'ETH-USD'])\n"
        "import ama_tui.headless, ama_tui.wiring\n"
        f"import ama_tui.venues.{venue}\n"
        "from ama_tui.store import derive_wallets\n"
        "from ama_tui.engine.sessions import open_session\n"
        "derive_wallets(0, 2)\n"
    )
    assert "ama_tui.headless" in loaded
    # rich, pygments and click too: httpx would import its command-line client with them, were it
    # not for the live venue's stand-in (venues.dexetra.httpx_cli)
    assert _offenders(loaded, (*NEVER_ON_THE_RUN_PATH, "pygments", "click")) == []
    if venue == "dexetra":
        assert "httpx" in loaded


def test_httpx_works_without_its_command_line() -> None:
    loaded = _loaded_after(
        "import ama_tui.venues.dexetra, httpx\n"
        "assert httpx.Client and httpx.Limits(max_connections=1)\n"
        "try:\n    httpx.main()\nexcept SystemExit as exc:\n    assert 'not part of ama-tui' in str(exc)\n"
        "else:\n    raise AssertionError('the stand-in ran')\n"
    )
    assert "httpx" in loaded and not {"rich", "click"} & loaded


def test_the_dashboard_does_not_import_the_devnet_or_web3() -> None:
    loaded = _loaded_after(
        "from ama_tui.cli import parse_args\n"
        "parse_args([])\n"
        "import ama_tui.tui.app, ama_tui.tui.app_options\n"
    )
    assert "textual" in loaded
    assert _offenders(loaded, NEVER_IN_THE_DASHBOARD) == []


def test_the_devnet_parser_is_built_only_for_the_devnet() -> None:
    assert "ama_tui.devnet.command" not in _loaded_after(
        "import ama_tui.cli as c\nc.parse_args(['--venue', 'sim'])"
    )
    assert "ama_tui.devnet.command" in _loaded_after(
        "import ama_tui.cli as c\nc.parse_args(['devnet', '--wallets', '2'])"
    )


def test_the_report_reads_journals_without_the_stores_models(tmp_path: Path) -> None:
    """`ama-tui report` on a journal the cache has never seen is bound by its start-up and DuckDB's
    parse (issue 17: under 2 s): it loads no model of the checkpoint or the journal line
    (`core.models` and the store's writers take a tenth of a second to import), nor pydantic to
    read a market's label from its checkpoint (a fifth of the start-up)."""
    folder = tmp_path / "state" / "1" / "0x883ab90a60713ceb9337abb3ace03d6898c95589"
    folder.mkdir(parents=True)
    (folder / "actions.jsonl").write_text('{"ts":1,"action":"RUN_START","trader":"0x0"}\nnot json\n')
    (folder / "checkpoint.json").write_text('{"market": {"symbol": "ETH-USD"}}')  # its label, read raw
    loaded = _loaded_after(
        "import contextlib, io\n"
        "from ama_tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['report', '--state-dir', {str(tmp_path / 'state')!r}, '--no-cache']) == 0\n"
    )
    assert "duckdb" in loaded and "ama_tui.analytics.report" in loaded
    heavy = (
        "ama_tui.core.models",
        "ama_tui.store.market_store",
        "ama_tui.store.journal_reader",
        "textual",
        "pydantic",
    )
    assert _offenders(loaded, heavy) == []


def test_the_store_package_still_names_everything_it_did() -> None:
    import ama_tui.store as store

    for name in store.__all__:
        assert getattr(store, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        _ = store.Nothing
