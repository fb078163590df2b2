"""The wallets CSV: `nickname,address,privateKey`, one trading wallet per row.

Unlike the original tool, which skipped bad rows silently, every bad row is an error naming its
line, and all of them are reported at once. Every row's format is checked, but only the rows a
run will use have their address derived from the key (libsecp256k1: about 0.1 ms a row, so a
10,000-row file loads in about a second even when every row is used). No message ever contains
a private key, nor any field that might be one: values are echoed only once they are known to
be an address or a nickname that does not look like a key.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ama_tui.core.keys import InvalidPrivateKey, PrivateKey
from ama_tui.protocol.accounts import (
    address_bytes_of,
    checksum,
    checksum_matches,
    checksum_of,
    is_hex_address,
)
from ama_tui.store.errors import StoreError

log = logging.getLogger(__name__)

WALLET_COLUMNS: Final = ("nickname", "address", "privateKey")
MAX_NICKNAME_LENGTH: Final = 64

_HEXISH = re.compile(r"^(0x)?[0-9a-fA-F]{8,}$")
_KEY_INSIDE = re.compile(r"[0-9a-fA-F]{64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class WalletEntry:
    nickname: str
    address: str
    """Checksummed."""
    key: PrivateKey = field(repr=False)


@dataclass(frozen=True)
class LoadedWallets:
    path: Path
    wallets: tuple[WalletEntry, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowError:
    line: int
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}"


class WalletsCsvError(StoreError):
    """Base of the wallets CSV errors. The file is never modified."""


class WalletsFileNotFound(WalletsCsvError):
    pass


class WalletsFileUnreadable(WalletsCsvError):
    pass


class WalletsFileEmpty(WalletsCsvError):
    pass


class InvalidWalletRows(WalletsCsvError):
    """One or more rows are invalid; `rows` lists every one of them."""

    def __init__(self, path: Path, rows: list[RowError]) -> None:
        self.path = path
        self.rows = tuple(rows)
        listing = "\n".join(f"  {row}" for row in self.rows)
        super().__init__(f"{path}: {len(self.rows)} invalid wallet row(s):\n{listing}")


class NotEnoughWallets(WalletsCsvError):
    pass


class _NumberedLines:
    """Feeds csv the lines that are not blank or `#` comments and remembers where a row began."""

    def __init__(self, text: str) -> None:
        self._lines = enumerate(io.StringIO(text, newline=""), start=1)
        self.row_start = 0

    def __iter__(self) -> Iterator[str]:
        for number, line in self._lines:
            content = line.strip()
            if not content or content.startswith("#"):
                continue
            if not self.row_start:
                self.row_start = number
            yield line

    def take_row_start(self) -> int:
        start, self.row_start = self.row_start, 0
        return start


def _rows(text: str, errors: list[RowError]) -> Iterator[tuple[int, list[str]]]:
    lines = _NumberedLines(text)
    reader = csv.reader(lines)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(RowError(lines.take_row_start(), f"not valid CSV ({exc})"))
            continue
        yield lines.take_row_start(), [cell.strip() for cell in row]


def _header_order(cells: list[str]) -> tuple[int, int, int] | None:
    lowered = [cell.lower() for cell in cells]
    wanted = [column.lower() for column in WALLET_COLUMNS]
    if sorted(lowered) != sorted(wanted):
        return None
    nickname, address, key = (lowered.index(column) for column in wanted)
    return nickname, address, key


def _looks_like_header(cells: list[str]) -> bool:
    return not any(_HEXISH.match(cell) for cell in cells)


def _nickname_problem(nickname: str) -> str | None:
    if not nickname:
        return "nickname is empty"
    if _KEY_INSIDE.search(nickname):
        return "nickname looks like a private key (are the columns in the right order?)"
    if _CONTROL.search(nickname):
        return "nickname contains control characters"
    if len(nickname) > MAX_NICKNAME_LENGTH:
        return f"nickname is longer than {MAX_NICKNAME_LENGTH} characters"
    return None


def _address_problem(address: str) -> str | None:
    if not address:
        return "address is empty"
    if not is_hex_address(address):
        return "address is not a 20-byte hex address"
    if not checksum_matches(address):
        return "address has a wrong EIP-55 checksum (mixed case that does not match)"
    return None


def _parse_row(cells: list[str], order: tuple[int, int, int]) -> tuple[WalletEntry | None, list[str]]:
    if len(cells) != len(WALLET_COLUMNS):
        expected = f"{len(WALLET_COLUMNS)} columns ({','.join(WALLET_COLUMNS)})"
        return None, [f"expected {expected}, found {len(cells)}"]
    nickname, address_text, key_text = (cells[index] for index in order)
    problems = [p for p in (_nickname_problem(nickname), _address_problem(address_text)) if p]
    key: PrivateKey | None = None
    if not key_text:
        problems.append("private key is empty")
    else:
        try:
            key = PrivateKey(key_text)
        except InvalidPrivateKey as exc:
            problems.append(f"private key is invalid: {exc}")
    if problems or key is None:
        return None, problems
    return WalletEntry(nickname, checksum(address_text), key), []


def _key_mismatch(entry: WalletEntry) -> str | None:
    """Whether the key controls the row's address: the slow check, made for selected rows only."""
    derived = address_bytes_of(entry.key)
    if derived != bytes.fromhex(entry.address[2:]):
        return (
            f"address {entry.address} does not match the private key (which controls {checksum_of(derived)})"
        )
    return None


def _identities(entry: WalletEntry) -> dict[str, str]:
    """What two rows may not share, by how a duplicate is named: label -> identity."""
    return {
        f"address {entry.address}": f"address:{entry.address.lower()}",
        f"nickname {entry.nickname!r}": f"nickname:{entry.nickname.casefold()}",
    }


def _decode_utf8(data: bytes) -> str | int:
    """The text, or the offset of the first byte that is not UTF-8.

    The caller raises outside this `except`: a UnicodeDecodeError holds the whole file (keys
    included) and would otherwise ride along as the new error's `__context__`.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return exc.start


def _read_text(path: Path) -> tuple[str, int]:
    try:
        with open(path, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise WalletsFileUnreadable(f"{path} is not a regular file")
            data = handle.read()
    except FileNotFoundError:
        raise WalletsFileNotFound(f"wallets file {path} does not exist") from None
    except IsADirectoryError:
        raise WalletsFileUnreadable(f"{path} is a folder, not a wallets CSV file") from None
    except OSError as exc:
        raise WalletsFileUnreadable(f"cannot read wallets file {path}: {exc.strerror or exc}") from None
    decoded = _decode_utf8(data)
    if isinstance(decoded, int):
        line = data[:decoded].count(b"\n") + 1
        raise WalletsFileUnreadable(f"wallets file {path} is not UTF-8 text (line {line})")
    return decoded, mode


def _permission_warning(path: Path, mode: int) -> str | None:
    if mode & 0o077 == 0:
        return None
    return (
        f"{path} holds private keys but other users can access it (mode {stat.S_IMODE(mode):04o}); "
        f"run: chmod 600 {path}"
    )


def load_wallets_csv(path: Path | str, *, count: int | None = None) -> LoadedWallets:
    """Read and check every row; keep the first `count` wallets (all when None).

    Every row's format is checked (and duplicates found); whether the key controls the address
    is checked only for the first `count` well-formed, distinct rows, the ones returned.

    Raises a `WalletsCsvError` subclass: file missing, unreadable or empty, invalid rows (all
    listed, by line number), or fewer wallets than `count`.
    """
    if count is not None and count < 1:
        raise ValueError(f"the number of wallets must be at least 1, got {count}")
    path = Path(path)
    text, mode = _read_text(path)
    warnings = [warning] if (warning := _permission_warning(path, mode)) else []
    for message in warnings:
        log.warning("%s", message)

    errors: list[RowError] = []
    wallets: list[WalletEntry] = []  # the selected rows, whose keys were checked
    valid_rows = 0
    selected_rows = 0  # rows whose key was checked: at most `count`
    first_line_of: dict[str, int] = {}  # "address:..." / "nickname:..." -> line
    order = (0, 1, 2)
    for position, (line, cells) in enumerate(_rows(text, errors)):
        if position == 0:
            header = _header_order(cells)
            if header is not None:
                order = header
                continue
            if _looks_like_header(cells):
                errors.append(
                    RowError(
                        line,
                        "neither a wallet row nor a header with the columns "
                        f"{', '.join(WALLET_COLUMNS)} (any order, any case)",
                    )
                )
                continue
        entry, problems = _parse_row(cells, order)
        if entry is None:
            errors.append(RowError(line, "; ".join(problems)))
            continue
        identities = _identities(entry)
        duplicates = [
            f"{label} already used on line {first_line_of[identity]}"
            for label, identity in identities.items()
            if identity in first_line_of
        ]
        # As before, a row whose key is checked reports a mismatch in preference to a duplicate,
        # and a mismatched row claims neither its address nor its nickname.
        selected = count is None or (not duplicates and selected_rows < count)
        if selected:
            selected_rows += 1
            mismatch = _key_mismatch(entry)
            if mismatch is not None:
                errors.append(RowError(line, mismatch))
                continue
        if duplicates:
            errors.append(RowError(line, "; ".join(duplicates)))
            continue
        first_line_of.update({identity: line for identity in identities.values()})
        valid_rows += 1
        if selected:
            wallets.append(entry)

    if errors:
        errors.sort(key=lambda error: error.line)
        raise InvalidWalletRows(path, errors)
    if not valid_rows:
        raise WalletsFileEmpty(f"wallets file {path} has no wallet rows")
    if count is not None and count > valid_rows:
        raise NotEnoughWallets(f"{count} wallets were asked for but {path} has only {valid_rows}")
    return LoadedWallets(path, tuple(wallets), tuple(warnings))
