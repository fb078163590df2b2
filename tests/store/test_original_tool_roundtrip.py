"""The original tool's files, both ways (issue 12): its state resumed by us and ours by it.

- When the original tool resumes our state it rewrites `checkpoint.json` without our `packer`
  block; the user's packer settings come back from `packer.json`.
- Cancels and modifies are journaled under the original's names (`CANCEL_ORDER`, `MODIFY_ORDER`);
  our older `CANCEL` / `MODIFY` are still read.
- Numbers are written as JavaScript writes them, so a line or file it wrote re-saves byte for byte.
"""

from __future__ import annotations

import json
import stat
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from ama_tui.core.models import (
    ActionKind,
    ActionLogLine,
    MarketCheckpoint,
    PackerParams,
    canonical_action,
    is_cancel,
    is_modify,
)
from ama_tui.engine.run_setup import StartMode, prepare_run
from ama_tui.store import PACKER_FILE_NAME, MarketStore, StateFileError, StateStore
from ama_tui.store.journal import encode_line
from ama_tui.store.journal_reader import parse_line
from ama_tui.store.js_json import js_dumps
from ama_tui.store.state_files import dumps_state
from tests.conftest import TS_STATE_FIXTURE
from tests.engine.helpers import make_rig

CHAIN = 999
BOOK = "0x4e5d6f497fcf4070a8d87a5abb019f83e16c64bb"
FIXTURE_FOLDER = TS_STATE_FIXTURE / str(CHAIN) / BOOK
NOW = 1_771_017_400.0
USER_PACKER = PackerParams.model_validate(
    {"ordersPerSidePerWallet": 2, "maxWalletUtilization": 0.1, "minDistanceTicks": 20}
)


def _open(root: Path) -> MarketStore:
    return StateStore(root).market(CHAIN, BOOK).open()


def _original_tool_rewrites_the_checkpoint(path: Path) -> None:
    """What the original tool does when it resumes our state: it writes the checkpoint again from
    its own fields (`JSON.stringify(checkpoint, null, 2)`), and ours are gone."""
    document = json.loads(path.read_bytes())
    del document["packer"]
    path.write_text(js_dumps(document, indent=2))


# -- 1. packer settings survive the original tool's rewrite ---------------------------------------


def test_user_packer_settings_survive_the_original_tools_rewrite(ts_state_copy: Path) -> None:
    store = _open(ts_state_copy)
    try:
        original = store.load_checkpoint()
        assert original is not None and original.packer is None
        start = prepare_run(
            store, market=original.market, wallets=[], mode=StartMode.RESUME, now=NOW, packer=USER_PACKER
        )
        assert start.notes == ()  # nothing restored: the settings were given
        store.save_checkpoint(start.checkpoint)
    finally:
        store.close()
    saved = store.folder / PACKER_FILE_NAME
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_bytes())["packer"]["ordersPerSidePerWallet"] == 2

    _original_tool_rewrites_the_checkpoint(store.checkpoint_path)

    store = _open(ts_state_copy)
    try:
        assert json.loads(store.checkpoint_path.read_bytes()).get("packer") is None
        rewritten = store.load_checkpoint()  # what the TUI's resume screen and form show
        assert rewritten is not None and rewritten.packer_params == USER_PACKER
        assert store.restored_packer is not None and store.restored_packer.run_id == original.run.run_id
        resumed = prepare_run(store, market=original.market, wallets=[], mode=StartMode.RESUME, now=NOW + 60)
        assert resumed.resumed
        assert resumed.checkpoint.packer_params == USER_PACKER  # not the defaults (6 per side)
        assert resumed.checkpoint.run.run_id == original.run.run_id
        (note,) = resumed.notes
        assert "ordersPerSidePerWallet 2" in note and "maxWalletUtilization 0.1" in note
        assert PACKER_FILE_NAME in note
        last = store.tail(1).lines[-1]
        assert last.action == ActionKind.PARAMS_CHANGED
        assert last.params is not None and last.params["restoredFrom"] == PACKER_FILE_NAME
        assert last.params["before"] == {
            "ordersPerSidePerWallet": 6,
            "maxWalletUtilization": 0.2,
            "minDistanceTicks": 10,
        }
        assert last.params["after"] == {
            "ordersPerSidePerWallet": 2,
            "maxWalletUtilization": 0.1,
            "minDistanceTicks": 20,
        }
        assert last.run_id == original.run.run_id and last.ts == int((NOW + 60) * 1000)
        store.save_checkpoint(resumed.checkpoint)
        assert json.loads(store.checkpoint_path.read_bytes())["packer"] == USER_PACKER.to_json_dict()
    finally:
        store.close()


def test_a_running_packer_resumes_with_the_users_settings_after_the_original_tool(tmp_path: Path) -> None:
    first = make_rig(tmp_path, wallets=2, overrides={"ordersPerSidePerWallet": 2, "minDistanceTicks": 4})
    first.packer.run(threading.Event(), max_cycles=2)
    first.close()
    _original_tool_rewrites_the_checkpoint(first.store.checkpoint_path)

    second = make_rig(tmp_path, wallets=2, mode=StartMode.RESUME)
    try:
        packer = second.params.current().packer
        assert (packer.orders_per_side, packer.min_distance_ticks) == (2, 4)
        assert second.start.notes
    finally:
        second.close()


def test_the_tui_form_prefilled_from_the_checkpoint_keeps_them_and_says_so(ts_state_copy: Path) -> None:
    store = _open(ts_state_copy)
    try:
        original = store.load_checkpoint()
        assert original is not None
        start = prepare_run(
            store, market=original.market, wallets=[], mode=StartMode.RESUME, now=NOW, packer=USER_PACKER
        )
        store.save_checkpoint(start.checkpoint)
        _original_tool_rewrites_the_checkpoint(store.checkpoint_path)
        shown = store.load_checkpoint()  # the form is filled from this
        assert shown is not None
        form = shown.packer_params
        resumed = prepare_run(
            store, market=original.market, wallets=[], mode=StartMode.RESUME, now=NOW, packer=form
        )
        assert resumed.checkpoint.packer_params == USER_PACKER
        (note,) = resumed.notes
        assert "restored" in note and "replaced" not in note
        edited = PackerParams.model_validate({"ordersPerSidePerWallet": 4})
        # the checkpoint on disk still lacks them: a user who edits the form is told it
        other = prepare_run(
            store, market=original.market, wallets=[], mode=StartMode.RESUME, now=NOW, packer=edited
        )
        assert other.checkpoint.packer_params == edited
        (note,) = other.notes
        assert note.endswith("replaced by the settings given for this run")
    finally:
        store.close()


def test_the_checkpoints_own_packer_block_wins(ts_state_copy: Path) -> None:
    store = _open(ts_state_copy)
    try:
        original = store.load_checkpoint()
        assert original is not None
        start = prepare_run(
            store, market=original.market, wallets=[], mode=StartMode.RESUME, now=NOW, packer=USER_PACKER
        )
        store.save_checkpoint(start.checkpoint)
        other = PackerParams.model_validate({"ordersPerSidePerWallet": 3})
        store.save_checkpoint(start.checkpoint.model_copy(update={"packer": other}))
        again = prepare_run(store, market=original.market, wallets=[], mode=StartMode.RESUME, now=NOW)
        assert again.checkpoint.packer_params == other and again.notes == ()
        assert json.loads(store.packer_path.read_bytes())["packer"]["ordersPerSidePerWallet"] == 3
    finally:
        store.close()


def test_packer_file_is_rewritten_only_when_the_settings_change(ts_state_copy: Path) -> None:
    store = _open(ts_state_copy)
    try:
        original = store.load_checkpoint()
        assert original is not None
        start = prepare_run(
            store, market=original.market, wallets=[], mode=StartMode.RESUME, now=NOW, packer=USER_PACKER
        )
        store.save_checkpoint(start.checkpoint)
        inode = store.packer_path.stat().st_ino
        later = start.checkpoint.run.model_copy(update={"updated_at": "2026-02-14T00:00:00.000Z"})
        store.save_checkpoint(start.checkpoint.model_copy(update={"run": later}))
        assert store.packer_path.stat().st_ino == inode
    finally:
        store.close()
    reopened = _open(ts_state_copy)  # a new process: compares with what is on disk
    try:
        reopened.save_checkpoint(start.checkpoint)
        assert reopened.packer_path.stat().st_ino == inode
    finally:
        reopened.close()


def test_packer_file_of_another_market_is_not_used(ts_state_copy: Path) -> None:
    store = _open(ts_state_copy)
    try:
        document = {"chainId": CHAIN, "orderBook": "0x" + "1" * 40, "packer": USER_PACKER.to_json_dict()}
        store.packer_path.write_text(json.dumps(document))
        original = store.load_checkpoint()
        assert original is not None
        start = prepare_run(store, market=original.market, wallets=[], mode=StartMode.RESUME, now=NOW)
        assert start.checkpoint.packer_params == PackerParams() and start.notes == ()
    finally:
        store.close()


def test_a_damaged_packer_file_is_a_clear_error(ts_state_copy: Path) -> None:
    store = _open(ts_state_copy)
    try:
        original = store.load_checkpoint()
        assert original is not None
        store.packer_path.write_text('{"chainId": 999, "orderBook": "' + BOOK + '", "packer": {"ordersPer')
        with pytest.raises(StateFileError, match="delete it to resume with the default settings"):
            prepare_run(store, market=original.market, wallets=[], mode=StartMode.RESUME, now=NOW)
        store.packer_path.write_text(
            json.dumps({"chainId": CHAIN, "orderBook": BOOK, "packer": {"ordersPerSidePerWallet": 0}})
        )
        with pytest.raises(StateFileError, match=r"packer\.ordersPerSidePerWallet"):
            prepare_run(store, market=original.market, wallets=[], mode=StartMode.RESUME, now=NOW)
    finally:
        store.close()


# -- 2. the original's action names, both spellings read -----------------------------------------


def test_cancels_and_modifies_have_the_original_tools_names() -> None:
    assert ActionKind.CANCEL_ORDER == "CANCEL_ORDER" and ActionKind.MODIFY_ORDER == "MODIFY_ORDER"
    assert is_cancel("CANCEL_ORDER") and is_cancel("CANCEL") and not is_cancel("PLACE_LIMIT")
    assert is_modify("MODIFY_ORDER") and is_modify("MODIFY") and not is_modify("CANCEL_ORDER")
    assert canonical_action("CANCEL") == canonical_action("CANCEL_ORDER") == ActionKind.CANCEL_ORDER
    assert canonical_action("MODIFY") == ActionKind.MODIFY_ORDER
    assert canonical_action("FUTURE_ACTION") == "FUTURE_ACTION"
    assert "CANCEL" not in {kind.value for kind in ActionKind}


def test_our_cancels_are_journaled_as_cancel_order(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, preset="NO_FILLS", wallets=2)
    try:
        rig.packer.ensure_sessions()
        rig.packer.cycle()
        assert rig.packer.cancel_all() > 0
        actions = [line.action for line in rig.store.iter_journal()]
        assert "CANCEL_ORDER" in actions and "CANCEL" not in actions
        assert b'"action":"CANCEL_ORDER"' in rig.store.journal_path.read_bytes()
    finally:
        rig.close()


# -- 3. numbers as JavaScript writes them ---------------------------------------------------------


def test_every_fixture_file_re_saves_byte_for_byte() -> None:
    raw_lines = (FIXTURE_FOLDER / "actions.jsonl").read_bytes().splitlines(keepends=True)
    assert len(raw_lines) == 135
    for raw in raw_lines:
        line = parse_line(raw)
        assert line is not None and encode_line(line) == raw
    checkpoint = MarketCheckpoint.model_validate_json((FIXTURE_FOLDER / "checkpoint.json").read_bytes())
    assert dumps_state(checkpoint.to_json_dict()) == (FIXTURE_FOLDER / "checkpoint.json").read_bytes()
    for path in (FIXTURE_FOLDER / "wallets").iterdir():
        assert dumps_state(json.loads(path.read_bytes())) == path.read_bytes()


SMALL_AND_LARGE = [
    ("0.000013947236317444", "1.3947236317444e-05"),
    ("0.000001", "1e-06"),
    ("1e-7", "1e-07"),
    ("2.5e-8", "2.5e-08"),
    ("1.5e+21", "1.5e+21"),
    ("123456789012345680000", None),
]


@pytest.mark.parametrize(("js_text", "python_text"), SMALL_AND_LARGE)
def test_lines_with_small_and_large_numbers_re_save_byte_for_byte(
    js_text: str, python_text: str | None
) -> None:
    """A line of the fixture with its price and amount as the original writes such numbers."""
    template = (FIXTURE_FOLDER / "actions.jsonl").read_bytes().splitlines(keepends=True)
    raw = next(line for line in template if b'"price":' in line and b'"amount":' in line)
    document = json.loads(raw)
    document["params"]["price"] = "PRICE"
    document["params"]["amount"] = "AMOUNT"
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    text = text.replace('"PRICE"', js_text).replace('"AMOUNT"', js_text)
    original = text.encode() + b"\n"
    line = parse_line(original)
    assert line is not None
    assert encode_line(line) == original
    if python_text is not None:  # what Python's json module would have written instead
        assert python_text.encode() in json.dumps(json.loads(original)).encode()


def test_our_own_numbers_are_written_as_javascript_writes_them(ts_state_copy: Path) -> None:
    store = _open(ts_state_copy)
    try:
        line = ActionLogLine(
            ts=1,
            run_id="r",
            chain_id=CHAIN,
            order_book=BOOK,
            action=ActionKind.FILL,
            params={
                "price": float(Decimal("0.000013947236317444")),
                "amount": 1e-7,
                "big": 1.5e21,
                "n": 100.0,
            },
        )
        store.append(line)
        written = store.journal_path.read_bytes().splitlines()[-1]
        assert b'"price":0.000013947236317444,"amount":1e-7,"big":1.5e+21,"n":100}' in written
        checkpoint = store.load_checkpoint()
        assert checkpoint is not None
        tiny = checkpoint.config.model_copy(update={"size_min": Decimal("0.0000005")})
        store.save_checkpoint(checkpoint.model_copy(update={"config": tiny}))
        assert '"sizeMin": 5e-7,' in store.checkpoint_path.read_text()
    finally:
        store.close()
