from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ama_tui.store.atomic import atomic_write_bytes, ensure_private_dir, remove_stale_temp_files
from ama_tui.store.errors import StateWriteError


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_creates_a_private_file(tmp_path: Path) -> None:
    target = tmp_path / "file.json"
    atomic_write_bytes(target, b"{}")
    assert target.read_bytes() == b"{}"
    assert mode_of(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["file.json"]


def test_rewriting_a_world_readable_file_makes_it_private(tmp_path: Path) -> None:
    target = tmp_path / "file.json"
    target.write_bytes(b"old")
    target.chmod(0o644)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert mode_of(target) == 0o600


def test_modes_do_not_depend_on_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        ensure_private_dir(tmp_path / "a" / "b")
        atomic_write_bytes(tmp_path / "a" / "b" / "f", b"x")
    finally:
        os.umask(previous)
    assert mode_of(tmp_path / "a") == 0o700
    assert mode_of(tmp_path / "a" / "b") == 0o700
    assert mode_of(tmp_path / "a" / "b" / "f") == 0o600


def test_existing_folders_are_left_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    ensure_private_dir(tmp_path / "new")
    assert mode_of(tmp_path) == 0o755
    assert mode_of(tmp_path / "new") == 0o700


def test_a_file_in_the_way_of_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(StateWriteError, match="not a folder"):
        ensure_private_dir(tmp_path / "blocker" / "sub")


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_write_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "checkpoint.json"
    target.write_bytes(b"old content")

    def boom(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(StateWriteError, match=r"checkpoint\.json.*No space left"):
        atomic_write_bytes(target, b"new content")
    monkeypatch.undo()
    assert target.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.json"]


def test_stale_temp_files_are_removed_but_nothing_else(tmp_path: Path) -> None:
    stale = tmp_path / ".checkpoint.json.4242.0a1b2c3d.tmp"
    stale.write_text("half")
    keep = [tmp_path / "checkpoint.json", tmp_path / ".lock", tmp_path / "notes.tmp"]
    for path in keep:
        path.write_text("x")
    assert remove_stale_temp_files(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in keep)
