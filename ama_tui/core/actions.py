"""The journal's actions: their names, the original tool's and ours, and the spellings earlier
versions wrote. Plain definitions (no models), so a reader of journals can name them cheaply."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class ActionKind(StrEnum):
    """Journal actions. The first five are the original tool's, spelled as it spells them; the
    rest are ours. Earlier versions of ama-tui wrote `CANCEL` and `MODIFY`: read an action with
    `canonical_action` / `is_cancel` / `is_modify`, which accept both spellings."""

    SESSION_INIT = "SESSION_INIT"
    PLACE_LIMIT = "PLACE_LIMIT"
    CANCEL_ORDER = "CANCEL_ORDER"
    MODIFY_ORDER = "MODIFY_ORDER"
    ERROR = "ERROR"
    FILL = "FILL"
    PARAMS_CHANGED = "PARAMS_CHANGED"
    RUN_START = "RUN_START"
    RUN_STOP = "RUN_STOP"
    DRY_RUN = "DRY_RUN"
    SESSION_PENDING = "SESSION_PENDING"
    """A session about to be created, with the id it will have (known before it is sent): a run
    killed before its SESSION_INIT line finds it again on the venue instead of opening another."""
    SKIP = "SKIP"
    """A placement the packer wanted but did not make, with its reason (rate-limited per reason)."""
    PLACE_MINED = "PLACE_MINED"
    """A placement the relay answered `pending` (no order id yet), now mined: its `orderId` and
    `placeTx`, so every order in the journal has its id even when the route never says it."""
    PAUSE = "PAUSE"
    """The user paused quoting from the dashboard (no new orders; resting orders stay)."""
    RESUME = "RESUME"
    """The user resumed quoting from the dashboard."""
    PLACE_MARKET = "PLACE_MARKET"
    """A market order of a taker strategy (the packer never sends one)."""
    STRATEGY_LOG = "STRATEGY_LOG"
    """A line a user's strategy logged (`self.log`), under the wallet it trades as."""
    RUN_RESUMED = "RUN_RESUMED"
    """What a resumed run found after its first read (orders, positions) and what it had to renew
    (sessions), in numbers and as one sentence (`message`)."""


LEGACY_ACTION_NAMES: Final[Mapping[str, ActionKind]] = MappingProxyType(
    {"CANCEL": ActionKind.CANCEL_ORDER, "MODIFY": ActionKind.MODIFY_ORDER}
)
"""What earlier versions of ama-tui wrote instead of the original tool's names (still read)."""
CANCEL_ACTIONS: Final = frozenset({ActionKind.CANCEL_ORDER.value, "CANCEL"})
"""Every spelling of a cancel in a journal: the one definition of "is a cancel"."""
MODIFY_ACTIONS: Final = frozenset({ActionKind.MODIFY_ORDER.value, "MODIFY"})
"""Every spelling of a modify in a journal."""


def canonical_action(action: str) -> str:
    """A journal line's action under its one name (`CANCEL` -> `CANCEL_ORDER`); unknown kinds as they are."""
    return LEGACY_ACTION_NAMES.get(action, action)


def is_cancel(action: str) -> bool:
    return action in CANCEL_ACTIONS


def is_modify(action: str) -> bool:
    return action in MODIFY_ACTIONS
