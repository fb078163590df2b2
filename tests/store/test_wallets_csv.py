from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from ama_tui.core.keys import PrivateKey
from ama_tui.protocol.accounts import address_of
from ama_tui.store import (
    InvalidWalletRows,
    NotEnoughWallets,
    WalletEntry,
    WalletsFileEmpty,
    WalletsFileNotFound,
    WalletsFileUnreadable,
    derive_wallets,
    load_wallets_csv,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FLEET = derive_wallets("wallets-csv-tests", 4)
HEADER = "nickname,address,privateKey\n"


def row(entry: WalletEntry, nickname: str | None = None) -> str:
    return f"{nickname or entry.nickname},{entry.address},{entry.key.reveal()}\n"


def write_csv(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "wallets.csv"
    path.write_text(text, newline="")
    path.chmod(mode)
    return path


def key_forms(key: PrivateKey) -> list[str]:
    bare = key.reveal().removeprefix("0x")
    return [bare, bare.upper(), bare[:40], bare[-40:]]


def assert_no_key_in(text: str, *keys: PrivateKey) -> None:
    # Written so that a failure prints neither the key nor the text that leaked it.
    leaked = any(form in text for key in keys for form in key_forms(key))
    assert not leaked, "a private key (or part of one) appears in the text"


def assert_not_chained(error: BaseException) -> None:
    chained = error.__cause__ is not None or error.__context__ is not None
    assert not chained, "the error carries another exception that may hold file content"


def test_the_example_file_loads(tmp_path: Path) -> None:
    example = PROJECT_ROOT / "wallets.example.csv"
    copy = write_csv(tmp_path, example.read_text())
    loaded = load_wallets_csv(copy)
    assert loaded.warnings == ()
    assert [w.nickname for w in loaded.wallets] == ["Dev001", "Dev002", "Dev003", "Dev004", "Dev005"]
    assert loaded.wallets[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    for wallet in loaded.wallets:
        assert address_of(wallet.key) == wallet.address
    assert example.read_text().startswith("#")
    assert load_wallets_csv(example).wallets == loaded.wallets


def test_header_in_any_order_and_case(tmp_path: Path) -> None:
    a, b = FLEET[:2]
    text = "PRIVATEKEY, Nickname ,address\n" + "".join(
        f"{w.key.reveal()},{w.nickname},{w.address.lower()}\n" for w in (a, b)
    )
    loaded = load_wallets_csv(write_csv(tmp_path, text))
    assert loaded.wallets == (a, b)  # addresses come back checksummed


def test_no_header_means_the_default_order(tmp_path: Path) -> None:
    loaded = load_wallets_csv(write_csv(tmp_path, row(FLEET[0]) + row(FLEET[1])))
    assert loaded.wallets == FLEET[:2]


def test_quotes_comments_blank_lines_crlf_and_bom(tmp_path: Path) -> None:
    a, b = FLEET[:2]
    text = (
        "\ufeff# my wallets\r\n"
        "\r\n"
        "nickname,address,privateKey\r\n"
        f'"Alice, the maker",{a.address},"{a.key.reveal()}"\r\n'
        '   # indented comment, with "quotes\r\n'
        "\r\n"
        f"  Bob  ,  {b.address} , {b.key.reveal().removeprefix('0x')}\r\n"
    )
    loaded = load_wallets_csv(write_csv(tmp_path, text))
    assert [w.nickname for w in loaded.wallets] == ["Alice, the maker", "Bob"]
    assert [w.key for w in loaded.wallets] == [a.key, b.key]


def test_first_n_wallets(tmp_path: Path) -> None:
    path = write_csv(tmp_path, HEADER + "".join(row(w) for w in FLEET))
    assert load_wallets_csv(path, count=2).wallets == FLEET[:2]
    assert load_wallets_csv(path, count=4).wallets == FLEET
    with pytest.raises(NotEnoughWallets, match=r"5 wallets were asked for but .* has only 4"):
        load_wallets_csv(path, count=5)
    with pytest.raises(ValueError, match="at least 1"):
        load_wallets_csv(path, count=0)


def test_every_bad_row_is_reported_by_line_and_no_key_is_shown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    a, b, c, d = FLEET
    text = (
        "# header comment\n"  # 1
        + HEADER  # 2
        + row(a)  # 3 ok
        + f"Bee,{c.address},{b.key.reveal()}\n"  # 4 address does not match key
        + "\n"  # 5
        + f"Cee,{c.address},{c.key.reveal()[:-1]}\n"  # 6 key too short
        + f"Dee,{d.key.reveal()},{d.address}\n"  # 7 columns swapped
        + f"{d.key.reveal()},{d.address},{d.key.reveal()}\n"  # 8 key as nickname
        + f"Alias,{a.address},{a.key.reveal()}\n"  # 9 duplicate address
        + f"{a.nickname.lower()},{c.address},{c.key.reveal()}\n"  # 10 duplicate nickname
        + f"Eee,{c.address}\n"  # 11 missing column
        + f",{c.address},{c.key.reveal()},extra\n"  # 12 extra column
        + f"Fee,0x{'g' * 40},{c.key.reveal()}\n"  # 13 not an address
        + f"Gee,{c.address.lower()[:-1] + 'A'},{c.key.reveal()}\n"  # 14 bad checksum / not the address
        + f"Hee,{c.address},\n"  # 15 empty key
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(InvalidWalletRows) as raised:
        load_wallets_csv(write_csv(tmp_path, text))
    error = raised.value
    lines = {r.line: r.problem for r in error.rows}
    assert sorted(lines) == [4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    assert "does not match the private key" in lines[4]
    assert "private key is invalid" in lines[6]
    assert "address is not a 20-byte hex address" in lines[7]
    assert "private key is invalid" in lines[7]
    assert "nickname looks like a private key" in lines[8]
    assert f"address {a.address} already used on line 3" in lines[9]
    assert f"nickname '{a.nickname.lower()}' already used on line 3" in lines[10]
    assert "expected 3 columns" in lines[11] and "expected 3 columns" in lines[12]
    assert "not a 20-byte hex address" in lines[13]
    assert "does not match the private key" in lines[14] or "checksum" in lines[14]
    assert "private key is empty" in lines[15]
    for line in lines:
        assert f"line {line}:" in str(error)
    everything = "\n".join([str(error), repr(error), caplog.text, *map(str, error.rows)])
    assert_no_key_in(everything, *(w.key for w in FLEET))
    assert_not_chained(error)


def test_a_header_that_is_not_ours_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidWalletRows, match="line 1: neither a wallet row nor a header"):
        load_wallets_csv(write_csv(tmp_path, "name,addr,key\n" + row(FLEET[0])))


def test_a_file_others_can_read_is_loaded_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_csv(tmp_path, row(FLEET[0]), mode=0o644)
    with caplog.at_level(logging.WARNING):
        loaded = load_wallets_csv(path)
    assert loaded.wallets == FLEET[:1]
    assert len(loaded.warnings) == 1
    assert "chmod 600" in loaded.warnings[0] and "0644" in loaded.warnings[0]
    assert loaded.warnings[0] in caplog.text
    assert_no_key_in(caplog.text, FLEET[0].key)


def test_missing_empty_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(WalletsFileNotFound, match="does not exist"):
        load_wallets_csv(tmp_path / "nope.csv")
    with pytest.raises(WalletsFileEmpty, match="no wallet rows"):
        load_wallets_csv(write_csv(tmp_path, ""))
    with pytest.raises(WalletsFileEmpty):
        load_wallets_csv(write_csv(tmp_path, "# only a comment\n\n" + HEADER))
    with pytest.raises(WalletsFileUnreadable, match="folder"):
        load_wallets_csv(tmp_path)
    bad_utf8 = tmp_path / "latin1.csv"
    bad_utf8.write_bytes(b"Jos\xe9," + FLEET[0].address.encode() + b"," + FLEET[0].key.reveal().encode())
    with pytest.raises(WalletsFileUnreadable, match=r"not UTF-8 text \(line 1\)") as raised:
        load_wallets_csv(bad_utf8)
    assert_not_chained(raised.value)


def test_a_file_without_read_permission(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads any file, so the refusal the OS gives an ordinary user is simulated at `open`."""
    import ama_tui.store.wallets_csv as wallets_csv

    path = write_csv(tmp_path, row(FLEET[0]), mode=0o000)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(wallets_csv, "open", refuse, raising=False)
    with pytest.raises(WalletsFileUnreadable, match=r"cannot read wallets file .*Permission denied"):
        load_wallets_csv(path)


def test_csv_level_errors_are_row_errors_and_reading_goes_on(tmp_path: Path) -> None:
    huge = "x" * 200_000  # beyond the csv module's field size limit
    text = row(FLEET[0]) + f"{huge},{FLEET[1].address},k\n" + "Bad\x00Name,x,y\n" + row(FLEET[0], "Again")
    with pytest.raises(InvalidWalletRows) as raised:
        load_wallets_csv(write_csv(tmp_path, text))
    problems = {r.line: r.problem for r in raised.value.rows}
    assert sorted(problems) == [2, 3, 4]
    assert problems[2].startswith("not valid CSV (field larger than field limit")
    assert "nickname contains control characters" in problems[3]
    assert "already used on line 1" in problems[4]


def test_wallet_entries_are_frozen_and_never_show_their_key() -> None:
    entry = FLEET[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.nickname = "x"  # type: ignore[misc]
    assert_no_key_in(repr(entry) + str(entry) + f"{entry}", entry.key)


def test_an_address_in_one_case_loads_and_a_mixed_case_typo_is_named(tmp_path: Path) -> None:
    a, b, c = FLEET[0], FLEET[1], FLEET[2]
    digits = a.address[2:]
    flip = next(i for i, ch in enumerate(digits) if ch.isalpha())  # one letter's case changed
    typo = "0x" + digits[:flip] + digits[flip].swapcase() + digits[flip + 1 :]
    text = HEADER + row(a).replace(a.address, typo) + row(b).replace(b.address, b.address.lower())
    text += row(c).replace(c.address, "0x" + c.address[2:].upper())
    with pytest.raises(InvalidWalletRows) as raised:
        load_wallets_csv(write_csv(tmp_path, text))
    message = str(raised.value)
    assert "line 2" in message and "wrong EIP-55 checksum" in message
    assert "line 3" not in message and "line 4" not in message
    lower_case = row(b).replace(b.address, b.address.lower())
    loaded = load_wallets_csv(write_csv(tmp_path, HEADER + lower_case + row(c)))
    assert [w.address for w in loaded.wallets] == [b.address, c.address]  # checksummed on the way in
