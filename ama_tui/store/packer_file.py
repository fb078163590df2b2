"""`packer.json`: the packer's parameters, kept beside the checkpoint in a file the original tool
never touches.

The original TypeScript tool can resume our state, but it rewrites `checkpoint.json` from its own
fields and drops our `packer` block; our next resume would then fall back to default settings (a
user's 2 orders per side becoming 6). Every checkpoint we save with a `packer` block also saves it
here, and a checkpoint loaded without one has it restored from here (`MarketStore.load_checkpoint`),
when this file is of the same market.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from ama_tui.core.models import PackerParams

PACKER_FILE_NAME: Final = "packer.json"


class PackerFile(BaseModel):
    """The file's content: whose settings they are, and the settings (the checkpoint's names)."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    chain_id: int = Field(alias="chainId")
    order_book: str = Field(alias="orderBook")
    run_id: str | None = Field(default=None, alias="runId")
    """The run that saved them last."""
    packer: PackerParams

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


@dataclass(frozen=True)
class SavedPacker:
    """Packer settings found in `packer.json`."""

    params: PackerParams
    run_id: str | None
    path: Path
