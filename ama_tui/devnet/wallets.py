"""Trading wallets for the devnet: read from a wallets CSV, or made fresh and written to one.

Fresh wallets are anvil's public dev accounts 3-9 when few are asked for (stable addresses from
one run to the next), else new keys from `secrets`. The CSV is created 0600 and never overwritten;
nothing here prints or logs a key.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ama_tui.core.keys import InvalidPrivateKey, PrivateKey
from ama_tui.devnet.node import ANVIL_DEV_KEYS, dev_key
from ama_tui.protocol.accounts import address_of
from ama_tui.store.wallets_csv import WALLET_COLUMNS, LoadedWallets, load_wallets_csv

DEFAULT_WALLET_COUNT: Final = 5
FIRST_WALLET_DEV_KEY: Final = 3
"""anvil dev accounts 0-2 are the deployer and the relayers; 3-9 may be trading wallets."""
MAX_DEV_KEY_WALLETS: Final = len(ANVIL_DEV_KEYS) - FIRST_WALLET_DEV_KEY
MAX_WALLETS: Final = 1_000


class DevnetWalletsError(ValueError):
    """The wallets could not be prepared (the message never contains a key)."""


@dataclass(frozen=True)
class NewWallet:
    nickname: str
    address: str
    key: PrivateKey


def _random_key() -> PrivateKey:
    while True:
        try:
            return PrivateKey(secrets.token_bytes(32).hex())
        except InvalidPrivateKey:  # out of the curve's range: astronomically rare, draw again
            continue


def generate_wallets(count: int) -> list[NewWallet]:
    """`count` wallets: anvil dev accounts 3.. when they suffice, else fresh random keys."""
    if not 1 <= count <= MAX_WALLETS:
        raise DevnetWalletsError(f"the number of wallets must be between 1 and {MAX_WALLETS}, got {count}")
    if count <= MAX_DEV_KEY_WALLETS:
        keys = [dev_key(FIRST_WALLET_DEV_KEY + i) for i in range(count)]
        prefix = "Dev"
    else:
        keys = [_random_key() for _ in range(count)]
        prefix = "Devnet"
    return [NewWallet(f"{prefix}{i + 1:03d}", address_of(key), key) for i, key in enumerate(keys)]


def write_wallets_csv(path: Path, wallets: Sequence[NewWallet]) -> None:
    """Create `path` (mode 0600, never overwriting) with a `nickname,address,privateKey` row each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(WALLET_COLUMNS)
    for wallet in wallets:
        writer.writerow((wallet.nickname, wallet.address, wallet.key.reveal()))
    data = buffer.getvalue().encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        raise DevnetWalletsError(f"{path} already exists; not overwriting it") from None
    except OSError as exc:
        raise DevnetWalletsError(f"cannot create {path}: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def prepare_wallets(csv_path: Path, count: int | None) -> tuple[LoadedWallets, bool]:
    """The devnet's trading wallets and whether the CSV was created now.

    An existing CSV is read (its first `count` wallets, all when None); a missing one is created
    with `count` (default 5) new wallets. Raises `WalletsCsvError` / `DevnetWalletsError`.
    """
    if csv_path.exists():
        return load_wallets_csv(csv_path, count=count), False
    if not csv_path.parent.is_dir():
        raise DevnetWalletsError(f"folder {csv_path.parent} does not exist (for the wallets CSV {csv_path})")
    write_wallets_csv(csv_path, generate_wallets(count or DEFAULT_WALLET_COUNT))
    return load_wallets_csv(csv_path), True
