from __future__ import annotations

import json
import stat
from collections import Counter
from pathlib import Path

import pytest

from ama_tui.core.models import ActionLogLine, MarketCheckpoint, WalletCheckpoint
from ama_tui.store import NotLockedError, StateFileError, StateStore
from ama_tui.store.journal import encode_line

CHAIN = 999
ORDER_BOOK = "0x4e5D6F497fCf4070A8d87A5Abb019f83E16c64bb"
FOLDER = ORDER_BOOK.lower()
OTHER_BOOK = "0x00000000000000000000000000000000000000aA"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def fixture_market(root: Path) -> Path:
    return root / str(CHAIN) / FOLDER


def test_fixture_is_listed_as_resumable(ts_state_copy: Path) -> None:
    (ts_state_copy / "999" / ("0x" + "1" * 40)).mkdir()  # a market folder without checkpoint
    (ts_state_copy / "notes").mkdir()
    markets = StateStore(ts_state_copy).list_markets()
    assert [(m.chain_id, m.order_book) for m in markets] == [(CHAIN, FOLDER)]
    assert markets[0].folder == fixture_market(ts_state_copy)
    assert StateStore(ts_state_copy / "missing").list_markets() == []


def test_fixture_round_trips_without_losing_or_renaming_anything(ts_state_copy: Path) -> None:
    folder = fixture_market(ts_state_copy)
    checkpoint_before = (folder / "checkpoint.json").read_bytes()
    wallet_files = sorted((folder / "wallets").iterdir())
    wallets_before = {path.name: path.read_bytes() for path in wallet_files}
    assert len(wallet_files) == 10

    with StateStore(ts_state_copy).open_market(CHAIN, ORDER_BOOK) as market:
        checkpoint = market.load_checkpoint()
        assert checkpoint is not None
        assert checkpoint.to_json_dict() == json.loads(checkpoint_before)
        market.save_checkpoint(checkpoint)

        wallets = market.load_wallets()
        assert len(wallets) == 10
        for address, wallet in wallets.items():
            market.save_wallet(address, wallet)

    checkpoint_after = (folder / "checkpoint.json").read_bytes()
    assert json.loads(checkpoint_after) == json.loads(checkpoint_before)
    assert checkpoint_after == checkpoint_before  # even the formatting is the original's
    assert mode_of(folder / "checkpoint.json") == 0o600
    for path in wallet_files:
        assert json.loads(path.read_bytes()) == json.loads(wallets_before[path.name])
        assert path.read_bytes() == wallets_before[path.name]
        assert mode_of(path) == 0o600
    assert sorted(p.name for p in (folder / "wallets").iterdir()) == sorted(wallets_before)


def test_fixture_journal_parses_and_reserialises_identically(ts_state_copy: Path) -> None:
    journal = fixture_market(ts_state_copy) / "actions.jsonl"
    raw_lines = journal.read_bytes().splitlines(keepends=True)
    market = StateStore(ts_state_copy).market(CHAIN, ORDER_BOOK)
    lines = list(market.iter_journal())
    assert len(lines) == len(raw_lines) == 135
    assert Counter(line.action for line in lines) == {"PLACE_LIMIT": 121, "SESSION_INIT": 10, "ERROR": 4}
    for line, raw in zip(lines, raw_lines, strict=True):
        assert line.to_json_dict() == json.loads(raw)
        assert encode_line(line) == raw

    tail = market.tail(5)
    assert [line.ts for line in tail.lines] == [line.ts for line in lines[-5:]]
    assert market.tail(500).lines == tuple(lines)


def test_last_action_times_rebuilt_from_the_journal_match_the_checkpoint(ts_state_copy: Path) -> None:
    market = StateStore(ts_state_copy).market(CHAIN, ORDER_BOOK)
    last_action: dict[str, int] = {}
    for line in market.iter_journal():
        if line.trader != "unknown":
            last_action[line.trader.lower()] = max(line.ts, last_action.get(line.trader.lower(), 0))
    checkpoint = market.load_checkpoint()
    assert checkpoint is not None
    assert last_action.keys() == checkpoint.wallets.keys()
    for address, wallet in checkpoint.wallets.items():
        assert wallet.last_action_at is not None
        # the original stamped lastActionAt with a second Date.now() just after journaling
        assert 0 <= wallet.last_action_at - last_action[address] < 50


def test_appending_to_the_fixture_journal(ts_state_copy: Path) -> None:
    with StateStore(ts_state_copy).open_market(CHAIN, ORDER_BOOK) as market:
        last = market.tail(1).lines[0]
        extra = last.model_copy(update={"ts": last.ts + 1, "action": "RUN_STOP", "params": None})
        market.append(extra)
        market.append_many([extra.model_copy(update={"ts": last.ts + 2})])
        assert [line.ts for line in market.tail(3).lines] == [last.ts, last.ts + 1, last.ts + 2]
    assert len(list(market.iter_journal())) == 137


def journal_line(order_book: str, action: str) -> ActionLogLine:
    return ActionLogLine.model_validate(
        {"ts": 1, "runId": "r", "chainId": CHAIN, "orderBook": order_book, "action": action}
    )


def make_checkpoint(order_book: str = ORDER_BOOK) -> MarketCheckpoint:
    return MarketCheckpoint.model_validate(
        {
            "chainId": CHAIN,
            "orderBook": order_book,
            "market": {
                "symbol": "TEST",
                "market_address": order_book,
                "market_id_bytes32": "0x" + "ab" * 32,
                "chain_id": CHAIN,
                "tick_size": 0.01,
            },
            "run": {"runId": "r", "startedAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"},
            "config": {},
        }
    )


def test_a_new_market_folder_is_private(tmp_path: Path) -> None:
    root = tmp_path / "state"
    with StateStore(root).open_market(CHAIN, ORDER_BOOK) as market:
        assert market.load_checkpoint() is None
        assert market.load_wallets() == {}
        market.save_checkpoint(make_checkpoint())
        market.save_wallet(ORDER_BOOK, WalletCheckpoint(nickname="Bob"))
        market.append(journal_line(ORDER_BOOK, "RUN_START"))
    folder = fixture_market(root)
    for path in (root, root / "999", folder, folder / "wallets"):
        assert mode_of(path) == 0o700, path
    for path in (folder / "checkpoint.json", folder / "actions.jsonl", folder / "wallets" / f"{FOLDER}.json"):
        assert mode_of(path) == 0o600, path
    assert StateStore(root).market(CHAIN, ORDER_BOOK).load_checkpoint() == make_checkpoint()
    assert [m.order_book for m in StateStore(root).list_markets()] == [FOLDER]


def test_writes_need_the_folder_open(tmp_path: Path) -> None:
    market = StateStore(tmp_path).market(CHAIN, ORDER_BOOK)
    with pytest.raises(NotLockedError, match="open"):
        market.save_checkpoint(make_checkpoint())
    with pytest.raises(NotLockedError):
        market.append(journal_line(ORDER_BOOK, "X"))
    with pytest.raises(NotLockedError):
        market.save_wallet(ORDER_BOOK, WalletCheckpoint(nickname="Bob"))


def test_data_for_another_market_is_refused(tmp_path: Path) -> None:
    with StateStore(tmp_path).open_market(CHAIN, ORDER_BOOK) as market:
        with pytest.raises(ValueError, match="not this folder's market"):
            market.save_checkpoint(make_checkpoint(OTHER_BOOK))
        line = journal_line(OTHER_BOOK, "X")
        with pytest.raises(ValueError, match="not this folder's market"):
            market.append_many([line])
        assert market.journal_path.read_bytes() == b""
        assert not market.checkpoint_path.exists()


def test_bad_market_identity_is_rejected(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    with pytest.raises(ValueError):
        store.market(0, ORDER_BOOK)
    with pytest.raises(ValueError):
        store.market(CHAIN, "../../etc")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"version": 1, "chainId": 999,', r"not valid JSON \(line 1, column"),
        (b"", "not valid JSON"),
        (b"[1, 2]", "must hold a JSON object"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"chainId": 999}', "invalid: orderBook: Field required"),
    ],
)
def test_a_broken_checkpoint_is_a_clear_error_and_stays_untouched(
    ts_state_copy: Path, content: bytes, expected: str
) -> None:
    path = fixture_market(ts_state_copy) / "checkpoint.json"
    path.write_bytes(content)
    market = StateStore(ts_state_copy).market(CHAIN, ORDER_BOOK)
    with pytest.raises(StateFileError, match=expected) as raised:
        market.load_checkpoint()
    assert raised.value.path == path
    assert str(path) in str(raised.value)
    assert path.read_bytes() == content


def test_a_checkpoint_failing_validation_names_the_field(ts_state_copy: Path) -> None:
    path = fixture_market(ts_state_copy) / "checkpoint.json"
    document = json.loads(path.read_bytes())
    document["market"]["tick_size"] = -1
    document["config"]["minDelayMs"] = "soon"
    content = json.dumps(document).encode()
    path.write_bytes(content)
    with pytest.raises(StateFileError) as raised:
        StateStore(ts_state_copy).market(CHAIN, ORDER_BOOK).load_checkpoint()
    message = str(raised.value)
    assert "checkpoint.json" in message
    assert "market.tick_size" in message and "config.minDelayMs" in message
    assert path.read_bytes() == content


def test_a_checkpoint_of_another_market_is_refused(ts_state_copy: Path) -> None:
    moved = ts_state_copy / "999" / OTHER_BOOK.lower()
    fixture_market(ts_state_copy).rename(moved)
    market = StateStore(ts_state_copy).market(CHAIN, OTHER_BOOK)
    with pytest.raises(StateFileError, match=r"checkpoint is for chain 999 / 0x4e5D6F.*but lies in"):
        market.load_checkpoint()


def test_a_broken_wallet_file_names_the_file(ts_state_copy: Path) -> None:
    wallets = fixture_market(ts_state_copy) / "wallets"
    broken = sorted(wallets.iterdir())[3]
    broken.write_text('{"role": "MAKER"}')
    (wallets / "README.txt").write_text("ignored")
    with pytest.raises(StateFileError, match=f"{broken.name}.*nickname: Field required"):
        StateStore(ts_state_copy).market(CHAIN, ORDER_BOOK).load_wallets()
    assert broken.read_text() == '{"role": "MAKER"}'


def test_open_removes_stale_temp_files_and_repairs_the_journal(ts_state_copy: Path) -> None:
    folder = fixture_market(ts_state_copy)
    stale = folder / ".checkpoint.json.12345.deadbeef.tmp"
    stale.write_text("{half")
    wallet_stale = folder / "wallets" / f".{FOLDER}.json.12345.deadbeef.tmp"
    wallet_stale.write_text("{half")
    with open(folder / "actions.jsonl", "ab") as handle:
        handle.write(b'{"ts":177101')
    with StateStore(ts_state_copy).open_market(CHAIN, ORDER_BOOK) as market:
        assert not stale.exists() and not wallet_stale.exists()
        assert len(market.tail(1000).lines) == 135
        assert market.tail(1000).report.skipped == 0
