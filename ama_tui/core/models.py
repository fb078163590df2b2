"""Immutable models of the state folder and the packer's parameters.

JSON names are the original TypeScript tool's (camelCase; the market row keeps the API's
snake_case). Every model keeps unknown fields (`extra="allow"`) so a file written by the
original tool re-saves without losing or renaming anything. Human decimal fields are `Decimal`
inside and are written back as the shortest JSON number, never with binary float noise.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from ama_tui.core.actions import CANCEL_ACTIONS as CANCEL_ACTIONS
from ama_tui.core.actions import LEGACY_ACTION_NAMES as LEGACY_ACTION_NAMES
from ama_tui.core.actions import MODIFY_ACTIONS as MODIFY_ACTIONS
from ama_tui.core.actions import ActionKind as ActionKind
from ama_tui.core.actions import canonical_action as canonical_action
from ama_tui.core.actions import is_cancel as is_cancel
from ama_tui.core.actions import is_modify as is_modify
from ama_tui.core.units import amount18, price6, to_decimal, to_json_number, usdc6

CHECKPOINT_VERSION: Final = 1


def _decimal_in(value: Any) -> Any:
    if isinstance(value, int | float | str | Decimal) and not isinstance(value, bool):
        return to_decimal(value)
    return value


JsonDecimal = Annotated[
    Decimal,
    PlainSerializer(lambda v: to_json_number(v), return_type=int | float, when_used="json"),
]
"""A Decimal read exactly from JSON (floats via repr) and written back as its shortest number
(which the store writes as JavaScript's `JSON.stringify` does: `0.000013947236317444`)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON object this model is saved as (original names, no nulls)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class MarketRef(_Model):
    """The market row a run packs, as stored in the checkpoint (API field names)."""

    symbol: str
    market_identifier: str | None = None
    market_address: str
    market_id_bytes32: str
    chain_id: int
    tick_size: JsonDecimal

    _dec = field_validator("tick_size", mode="before")(_decimal_in)

    @field_validator("tick_size")
    @classmethod
    def _tick_positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError("tick_size must be positive")
        if price6(value) == 0:
            raise ValueError("tick_size is finer than the 6-decimal price unit")
        return value

    @property
    def tick6(self) -> int:
        return price6(self.tick_size)


class RunConfig(_Model):
    """The original tool's run configuration (delays in ms, sizes in base-asset units)."""

    maker_ratio: JsonDecimal = Field(default=Decimal(0), alias="makerRatio")
    max_open_orders_per_maker: int = Field(default=0, alias="maxOpenOrdersPerMaker", ge=0)
    min_delay_ms: int = Field(default=250, alias="minDelayMs", ge=0, le=3_600_000)
    max_delay_ms: int = Field(default=1200, alias="maxDelayMs", ge=0, le=3_600_000)
    size_min: JsonDecimal = Field(default=Decimal("0.05"), alias="sizeMin", gt=0)
    size_max: JsonDecimal = Field(default=Decimal("0.25"), alias="sizeMax", gt=0)
    mode: str = "MEAN"
    size_min_usd: JsonDecimal | None = Field(default=None, alias="sizeMinUsd", gt=0)
    """When set (with `sizeMaxUsd`), sizes are a quote-currency notional per order, converted to
    base units at the anchor price every cycle; `sizeMin`/`sizeMax` are then not used."""
    size_max_usd: JsonDecimal | None = Field(default=None, alias="sizeMaxUsd", gt=0)

    _dec = field_validator(
        "maker_ratio", "size_min", "size_max", "size_min_usd", "size_max_usd", mode="before"
    )(_decimal_in)

    @model_validator(mode="after")
    def _ordered(self) -> RunConfig:
        if self.min_delay_ms > self.max_delay_ms:
            raise ValueError("minDelayMs must not exceed maxDelayMs")
        if self.size_min > self.size_max:
            raise ValueError("sizeMin must not exceed sizeMax")
        if amount18(self.size_min) == 0:
            raise ValueError("sizeMin is below the 18-decimal amount unit")
        if (self.size_min_usd is None) != (self.size_max_usd is None):
            raise ValueError("sizeMinUsd and sizeMaxUsd go together: set both or neither")
        if self.size_min_usd is not None and self.size_max_usd is not None:
            if self.size_min_usd > self.size_max_usd:
                raise ValueError("sizeMinUsd must not exceed sizeMaxUsd")
            if usdc6(self.size_min_usd) == 0:
                raise ValueError("sizeMinUsd is below one micro-USDC")
        return self

    @property
    def sizes_in_usd(self) -> bool:
        return self.size_min_usd is not None and self.size_max_usd is not None

    @property
    def size_min18(self) -> int:
        return amount18(self.size_min)

    @property
    def size_max18(self) -> int:
        return amount18(self.size_max)


class PackerParams(_Model):
    """How hard the packer packs. Stored in the checkpoint under `packer` (a key the original ignores)."""

    orders_per_side: int = Field(default=6, alias="ordersPerSidePerWallet", ge=1, le=50)
    max_wallet_utilization: JsonDecimal = Field(
        default=Decimal("0.20"), alias="maxWalletUtilization", ge=Decimal("0.02"), le=Decimal("0.9")
    )
    min_distance_ticks: int = Field(default=10, alias="minDistanceTicks", ge=1, le=1_000_000)
    max_distance_ticks: int = Field(default=120, alias="maxDistanceTicks", ge=1, le=1_000_000)
    max_failed_cycles: int = Field(default=20, alias="maxFailedCycles", ge=1, le=100_000)
    """Kill switch: stop after this many consecutive failing cycles."""
    max_wallet_loss_fraction: JsonDecimal = Field(
        default=Decimal("0.5"), alias="maxWalletLossFraction", gt=Decimal(0), le=Decimal(1)
    )
    """Kill switch: stop when a wallet has lost this fraction of its equity at the start of the run."""
    safety_sigmas: JsonDecimal = Field(default=Decimal(4), alias="safetySigmas", ge=0, le=Decimal(50))
    """Every order keeps at least `safetySigmas * sigma * sqrt(latency)` from the anchor and from the
    other side's best price: the move the market is expected to make over one relay round trip."""
    band_tolerance_ticks: int = Field(default=5, alias="bandToleranceTicks", ge=0, le=1_000_000)
    """Hysteresis: an order is replaced only once it lies this many ticks outside its band."""
    max_replace_per_cycle: int = Field(default=12, alias="maxReplacePerCycle", ge=1, le=100)
    """At most this many out-of-band orders of one wallet are replaced per cycle."""
    reference_price: JsonDecimal | None = Field(default=None, alias="referencePrice", gt=0)
    """A price to quote around when the market gives none (an empty book that never traded)."""

    _dec = field_validator(
        "max_wallet_utilization",
        "max_wallet_loss_fraction",
        "safety_sigmas",
        "reference_price",
        mode="before",
    )(_decimal_in)

    @model_validator(mode="after")
    def _ordered(self) -> PackerParams:
        if self.min_distance_ticks >= self.max_distance_ticks:
            raise ValueError("minDistanceTicks must be below maxDistanceTicks")
        if self.reference_price is not None and price6(self.reference_price) == 0:
            raise ValueError("referencePrice is below the 6-decimal price unit")
        return self

    @property
    def reference6(self) -> int:
        """`referencePrice` in price6 (0 when not set)."""
        return price6(self.reference_price) if self.reference_price is not None else 0

    @property
    def utilization_bps(self) -> int:
        """`round(util * 10000)`: the cap as an integer fraction of available collateral."""
        return int((self.max_wallet_utilization * 10_000).to_integral_value())


class RunInfo(_Model):
    run_id: str = Field(alias="runId")
    started_at: str = Field(alias="startedAt")
    updated_at: str = Field(alias="updatedAt")


class WalletCheckpoint(_Model):
    nickname: str
    role: str = "MAKER"
    session_id: str | None = Field(default=None, alias="sessionId")
    session_expiry: int | None = Field(default=None, alias="sessionExpiry")
    last_action_at: int | None = Field(default=None, alias="lastActionAt")


class StrategyRecord(_Model):
    """The strategy a run uses and its own parameters (JSON names), so `--resume` runs the same."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class MarketCheckpoint(_Model):
    """`checkpoint.json`: one market's run, resumable."""

    version: int = CHECKPOINT_VERSION
    chain_id: int = Field(alias="chainId")
    order_book: str = Field(alias="orderBook")
    market: MarketRef
    run: RunInfo
    config: RunConfig
    wallets: dict[str, WalletCheckpoint] = Field(default_factory=dict)
    packer: PackerParams | None = None
    strategy: StrategyRecord | None = None
    """Absent for the packer (the file stays as the original tool writes it)."""

    @field_validator("wallets")
    @classmethod
    def _lower_keys(cls, value: dict[str, WalletCheckpoint]) -> dict[str, WalletCheckpoint]:
        return {address.lower(): wallet for address, wallet in value.items()}

    @property
    def packer_params(self) -> PackerParams:
        return self.packer or PackerParams()


class ActionLogLine(_Model):
    """One line of `actions.jsonl`. `action` stays a plain string so unknown kinds survive."""

    ts: int
    run_id: str = Field(alias="runId")
    chain_id: int = Field(alias="chainId")
    order_book: str = Field(alias="orderBook")
    market_id_bytes32: str | None = Field(default=None, alias="marketIdBytes32")
    trader: str = "unknown"
    nickname: str | None = None
    role: str | None = None
    action: str
    params: dict[str, Any] | None = None
    tx_hash: str | None = Field(default=None, alias="txHash")
    error: str | None = None
