"""How a run names a user's strategy file (`file:` and its path, as the checkpoint records it),
apart from the machinery that runs one (`engine.user_strategy`), which a packer run never loads."""

from __future__ import annotations

from pathlib import Path
from typing import Final

FILE_PREFIX: Final = "file:"
"""A user strategy's name is its file's path behind this prefix (how the checkpoint records it)."""


def is_strategy_file(name: str) -> bool:
    return name.startswith(FILE_PREFIX) or name.endswith(".py")


def file_of(name: str) -> Path:
    return Path(name.removeprefix(FILE_PREFIX)).expanduser()
