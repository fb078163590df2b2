"""The devnet's wallets CSV: anvil dev keys when few, `secrets` keys when many, 0600, never
overwritten, read back by the store's strict loader; no key is ever printed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ama_tui.devnet.node import ANVIL_DEV_KEYS
from ama_tui.devnet.wallets import (
    MAX_DEV_KEY_WALLETS,
    DevnetWalletsError,
    generate_wallets,
    prepare_wallets,
    write_wallets_csv,
)
from ama_tui.protocol.accounts import address_of
from ama_tui.store.wallets_csv import load_wallets_csv

pytestmark = pytest.mark.devnet


def test_few_wallets_are_anvil_dev_accounts_after_the_devnet_roles() -> None:
    wallets = generate_wallets(3)
    assert [w.key.reveal() for w in wallets] == list(ANVIL_DEV_KEYS[3:6])
    assert [w.nickname for w in wallets] == ["Dev001", "Dev002", "Dev003"]
    assert all(w.address == address_of(w.key) for w in wallets)
    assert len(generate_wallets(MAX_DEV_KEY_WALLETS)) == 7


def test_many_wallets_get_fresh_random_keys() -> None:
    wallets = generate_wallets(MAX_DEV_KEY_WALLETS + 1)
    keys = {w.key.reveal() for w in wallets}
    assert len(keys) == len(wallets) and not keys & set(ANVIL_DEV_KEYS)
    assert {w.key.reveal() for w in generate_wallets(MAX_DEV_KEY_WALLETS + 1)}.isdisjoint(keys)
    for bad in (0, -1, 10_001):
        with pytest.raises(DevnetWalletsError):
            generate_wallets(bad)


def test_the_csv_is_private_complete_and_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wallets.csv"
    wallets = generate_wallets(9)
    write_wallets_csv(path, wallets)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_wallets_csv(path)
    assert [(w.nickname, w.address) for w in loaded.wallets] == [(w.nickname, w.address) for w in wallets]
    assert loaded.warnings == ()
    with pytest.raises(DevnetWalletsError, match="already exists"):
        write_wallets_csv(path, wallets[:1])
    assert len(load_wallets_csv(path).wallets) == 9
    printed = capsys.readouterr()
    assert not any(w.key.reveal()[2:] in printed.out + printed.err for w in wallets)


def test_prepare_reads_an_existing_csv_or_creates_one(tmp_path: Path) -> None:
    created, was_created = prepare_wallets(tmp_path / "new.csv", 2)
    assert was_created and len(created.wallets) == 2
    again, was_created = prepare_wallets(tmp_path / "new.csv", None)
    assert not was_created and [w.address for w in again.wallets] == [w.address for w in created.wallets]
    first, _ = prepare_wallets(tmp_path / "new.csv", 1)
    assert len(first.wallets) == 1
    default, _ = prepare_wallets(tmp_path / "default.csv", None)
    assert len(default.wallets) == 5
    with pytest.raises(DevnetWalletsError, match="does not exist"):
        prepare_wallets(tmp_path / "missing" / "w.csv", 1)
