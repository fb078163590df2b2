"""Only the selected rows of a wallets CSV have their key derived; every row is still checked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import ama_tui.store.wallets_csv as wallets_csv
from ama_tui.core.keys import PrivateKey
from ama_tui.protocol.accounts import address_of, checksum_of
from ama_tui.store import InvalidWalletRows, NotEnoughWallets, load_wallets_csv

ROWS = 10_000
SELECTED = 10
HEADER = "nickname,address,privateKey\n"


def key_hex(index: int) -> str:
    return f"{index:064x}"  # consecutive integers: valid keys, free to make


def fake_address(index: int) -> str:
    """Well-formed but controlled by no key in the file: fine where no key is derived."""
    return f"0x{0xA11CE000 + index:040x}"


REAL_ADDRESSES = {index: address_of(PrivateKey(key_hex(index))) for index in range(1, SELECTED + 3)}


def wallet_row(index: int, address: str | None = None) -> str:
    if address is None:
        address = REAL_ADDRESSES[index] if index in REAL_ADDRESSES else fake_address(index)
    return f"W{index:05d},{address},{key_hex(index)}\n"


def big_csv(tmp_path: Path, replace: dict[int, str] | None = None) -> Path:
    """Header on line 1, wallet i on line i + 1; `replace` swaps whole rows by wallet index."""
    replace = replace or {}
    rows = (replace.get(index, wallet_row(index)) for index in range(1, ROWS + 1))
    path = tmp_path / "wallets.csv"
    path.write_text(HEADER + "".join(rows))
    path.chmod(0o600)
    return path


@pytest.fixture()
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts (by address) every key the loader derives."""
    seen: list[str] = []
    real: Callable[[PrivateKey], bytes] = wallets_csv.address_bytes_of

    def spy(key: PrivateKey) -> bytes:
        address = real(key)
        seen.append(checksum_of(address))
        return address

    monkeypatch.setattr(wallets_csv, "address_bytes_of", spy)
    return seen


def test_only_the_selected_rows_are_derived(tmp_path: Path, derivations: list[str]) -> None:
    """Rows past the selection hold addresses no key controls: they are never looked at."""
    loaded = load_wallets_csv(big_csv(tmp_path), count=SELECTED)
    assert len(derivations) == SELECTED
    assert [w.nickname for w in loaded.wallets] == [f"W{i:05d}" for i in range(1, SELECTED + 1)]
    assert [w.address for w in loaded.wallets] == [REAL_ADDRESSES[i] for i in range(1, SELECTED + 1)]
    assert derivations == [w.address for w in loaded.wallets]


def test_every_row_is_derived_when_all_are_asked_for(tmp_path: Path, derivations: list[str]) -> None:
    path = tmp_path / "wallets.csv"
    path.write_text(HEADER + "".join(wallet_row(i) for i in range(1, SELECTED + 3)))
    path.chmod(0o600)
    assert len(load_wallets_csv(path).wallets) == SELECTED + 2
    assert len(derivations) == SELECTED + 2


def test_a_mismatch_in_a_selected_row_is_reported(tmp_path: Path, derivations: list[str]) -> None:
    wrong = REAL_ADDRESSES[SELECTED + 1]
    path = big_csv(tmp_path, {3: wallet_row(3, wrong)})
    with pytest.raises(InvalidWalletRows) as raised:
        load_wallets_csv(path, count=SELECTED)
    assert [(r.line, r.problem) for r in raised.value.rows] == [
        (4, f"address {wrong} does not match the private key (which controls {REAL_ADDRESSES[3]})")
    ]
    assert len(derivations) == SELECTED
    assert key_hex(3) not in str(raised.value)


def test_rows_past_the_selection_are_not_derived_but_still_checked(
    tmp_path: Path, derivations: list[str]
) -> None:
    bad_rows = {
        5_000: f"W05000,{fake_address(5_000)},{key_hex(5_000)[:-1]}\n",  # key too short
        7_000: f"W07000,0x{'g' * 40},{key_hex(7_000)}\n",  # not an address
        8_000: f"W08000,{fake_address(8_000)}\n",  # missing column
        9_000: f"W09000,{REAL_ADDRESSES[2]},{key_hex(9_000)}\n",  # address of row 2 (line 3)
        9_999: f"W00003,{fake_address(9_999)},{key_hex(9_999)}\n",  # nickname of row 3 (line 4)
    }
    with pytest.raises(InvalidWalletRows) as raised:
        load_wallets_csv(big_csv(tmp_path, {**bad_rows, 1: wallet_row(1, fake_address(1))}), count=SELECTED)
    problems = {r.line: r.problem for r in raised.value.rows}
    assert sorted(problems) == [2, 5_001, 7_001, 8_001, 9_001, 10_000]
    assert "does not match the private key" in problems[2]  # row 1 is selected: derived
    assert "private key is invalid" in problems[5_001]
    assert "not a 20-byte hex address" in problems[7_001]
    assert "expected 3 columns" in problems[8_001]
    assert problems[9_001] == f"address {REAL_ADDRESSES[2]} already used on line 3"
    assert problems[10_000] == "nickname 'W00003' already used on line 4"
    assert len(derivations) == SELECTED
    text = str(raised.value)
    assert not any(key_hex(index) in text for index in (1, *bad_rows))


def test_not_enough_wallets_counts_every_well_formed_row(tmp_path: Path) -> None:
    path = tmp_path / "wallets.csv"
    path.write_text(HEADER + "".join(wallet_row(i) for i in range(1, 4)))
    path.chmod(0o600)
    with pytest.raises(NotEnoughWallets, match=r"4 wallets were asked for but .* has only 3"):
        load_wallets_csv(path, count=4)
