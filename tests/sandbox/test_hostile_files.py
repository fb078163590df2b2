"""A strategy sees its scratch folder and nothing else: no key, no environment, no /proc."""

from __future__ import annotations

from pathlib import Path

from tests.sandbox.helpers import FAKE_KEY, run_hostile


def test_the_wallets_the_state_folder_the_environment_and_proc_are_out_of_reach(
    tmp_path: Path, secrets: dict[str, object]
) -> None:
    sandbox, logs = run_hostile("read_secrets", secrets, scratch=tmp_path / "scratch")
    environment = logs.pop(4)
    assert logs == [
        "wallets: FileNotFoundError",
        "wallets relative: FileNotFoundError",
        "state folder: FileNotFoundError",
        "state key: FileNotFoundError",
        "parent environ: FileNotFoundError",
        "own environ: FileNotFoundError",
        "passwd: FileNotFoundError",
        "root: got []",
        "parent of root: got []",
    ]
    # Nothing inherited: at most the locale Python itself sets when it starts.
    assert environment in ("environment: got {}", "environment: got {'LC_CTYPE': 'C.UTF-8'}")
    assert FAKE_KEY not in "\n".join(logs) + environment + sandbox.stderr


def test_no_chroot_nested_namespace_or_mount_leads_out(tmp_path: Path, secrets: dict[str, object]) -> None:
    sandbox, logs = run_hostile("escape_root", secrets, scratch=tmp_path / "scratch")
    assert logs == [
        "chroot: PermissionError EPERM",  # no capabilities left
        "nested namespace: OSError ENOSPC",  # no nested user namespace either (its limit is 0)
        "mount proc: PermissionError EPERM",
        "wallets: FileNotFoundError ENOENT",
    ]
    assert FAKE_KEY not in sandbox.stderr


def test_nothing_is_written_outside_the_scratch_folder(tmp_path: Path) -> None:
    target = tmp_path / "outside" / "escaped.txt"
    target.parent.mkdir()
    scratch = tmp_path / "scratch"
    _, logs = run_hostile("write_outside", {"target": str(target)}, scratch=scratch)
    assert logs == [
        "absolute: FileNotFoundError",
        "dotdot: FileNotFoundError",
        "tmp: FileNotFoundError",
        "symlink: FileNotFoundError",  # the link is made, but points at nothing it can see
    ]
    assert not target.exists()
    assert list(target.parent.iterdir()) == []
    assert not Path("/tmp/escaped.txt").exists()
    assert sorted(path.name for path in scratch.iterdir()) == ["link"]
