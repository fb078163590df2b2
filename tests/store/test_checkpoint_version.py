"""A checkpoint of an unknown version is refused, never read with today's model and saved back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ama_tui.core.models import CHECKPOINT_VERSION
from ama_tui.store import StateFileError, StateStore

CHAIN = 999
ORDER_BOOK = "0x4e5D6F497fCf4070A8d87A5Abb019f83E16c64bb"


def checkpoint_path(root: Path) -> Path:
    return root / str(CHAIN) / ORDER_BOOK.lower() / "checkpoint.json"


def rewrite(path: Path, **changes: object) -> bytes:
    document = json.loads(path.read_bytes())
    for key, value in changes.items():
        if value is ...:
            document.pop(key)
        else:
            document[key] = value
    content = json.dumps(document, indent=2).encode()
    path.write_bytes(content)
    return content


@pytest.mark.parametrize(
    ("version", "shown"),
    [(99, "99"), (0, "0"), (2, "2"), ("1", "'1'"), (True, "True"), (None, "None"), (1.5, "1.5")],
)
def test_an_unknown_version_is_refused_and_the_file_left_as_it_is(
    ts_state_copy: Path, version: object, shown: str
) -> None:
    path = checkpoint_path(ts_state_copy)
    content = rewrite(path, version=version)
    with (
        StateStore(ts_state_copy).open_market(CHAIN, ORDER_BOOK) as market,
        pytest.raises(StateFileError) as raised,
    ):
        market.load_checkpoint()
    message = str(raised.value)
    assert raised.value.path == path
    assert f"checkpoint version {shown} is not supported" in message
    assert f"reads version {CHECKPOINT_VERSION}" in message
    assert path.read_bytes() == content


def test_the_version_is_checked_before_the_fields(ts_state_copy: Path) -> None:
    """A newer tool's file may have other fields; the error must be about the version."""
    path = checkpoint_path(ts_state_copy)
    content = rewrite(path, version=99, run=...)
    with pytest.raises(StateFileError, match="checkpoint version 99 is not supported"):
        StateStore(ts_state_copy).market(CHAIN, ORDER_BOOK).load_checkpoint()
    assert path.read_bytes() == content


def test_a_checkpoint_without_version_is_version_one(ts_state_copy: Path) -> None:
    path = checkpoint_path(ts_state_copy)
    rewrite(path, version=...)
    checkpoint = StateStore(ts_state_copy).market(CHAIN, ORDER_BOOK).load_checkpoint()
    assert checkpoint is not None and checkpoint.version == CHECKPOINT_VERSION == 1


def test_an_unknown_version_is_never_saved(ts_state_copy: Path) -> None:
    path = checkpoint_path(ts_state_copy)
    content = path.read_bytes()
    with StateStore(ts_state_copy).open_market(CHAIN, ORDER_BOOK) as market:
        checkpoint = market.load_checkpoint()
        assert checkpoint is not None
        with pytest.raises(ValueError, match="checkpoint version 99 cannot be saved"):
            market.save_checkpoint(checkpoint.model_copy(update={"version": 99}))
    assert path.read_bytes() == content
