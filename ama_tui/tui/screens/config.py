"""The run's configuration: every field validated by the same pydantic models as the checkpoint.

The form builds a change dict by JSON name and calls `apply_changes`; each of
`ParamsError.problems` is shown next to its field, and a cross-field problem (min above max) next
to every field it names. Dismisses with a `ConfigResult`, or None on escape (back).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static

from ama_tui.core.models import PackerParams, RunConfig
from ama_tui.engine.live_params import PACKER_PARAM_NAMES, RUN_PARAM_NAMES, ParamsError, apply_changes

WALLETS: Final = "wallets"
INTEGER_CHARS: Final = r"[0-9]*"
DECIMAL_CHARS: Final = r"[0-9.]*"
"""What a field accepts while typing; the models decide whether the value is valid."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    """The checkpoint's JSON name (or WALLETS)."""
    label: str
    integer: bool


FIELDS: Final[tuple[Field, ...]] = (
    Field("minDelayMs", "Min delay between cycles (ms)", True),
    Field("maxDelayMs", "Max delay between cycles (ms)", True),
    Field("sizeMin", "Order size min (base units)", False),
    Field("sizeMax", "Order size max (base units)", False),
    Field("ordersPerSidePerWallet", "Orders per side per wallet", True),
    Field("maxWalletUtilization", "Max wallet utilization (0.02–0.9)", False),
    Field("minDistanceTicks", "Min distance from the top (ticks)", True),
    Field("maxDistanceTicks", "Max distance from the top (ticks)", True),
    Field("maxFailedCycles", "Kill switch: failed cycles in a row", True),
    Field("maxWalletLossFraction", "Kill switch: wallet loss fraction", False),
    Field(WALLETS, "Wallets", True),
)
FIELD_NAMES: Final = tuple(field.name for field in FIELDS)


@dataclass(frozen=True, slots=True)
class ConfigResult:
    config: RunConfig
    packer: PackerParams
    wallets: int


def initial_values(config: RunConfig, packer: PackerParams, wallets: int) -> dict[str, str]:
    """The form's text per JSON name (decimals as written, never float noise)."""
    dumped = {**config.model_dump(by_alias=True), **packer.model_dump(by_alias=True)}
    values = {name: str(dumped[name]) for name in FIELD_NAMES if name != WALLETS}
    values[WALLETS] = str(wallets)
    return values


def field_problems(
    values: dict[str, str], config: RunConfig, packer: PackerParams, max_wallets: int
) -> tuple[dict[str, str], ConfigResult | None]:
    """Per field name, what is wrong (empty when nothing); the result when everything is valid."""
    changes = {name: value.strip() for name, value in values.items() if name != WALLETS}
    problems: dict[str, str] = {}
    result_config, result_packer = config, packer
    try:
        result_config, result_packer = apply_changes(config, packer, changes)
    except ParamsError as exc:
        for where, message in exc.problems.items():
            for name in _fields_of(where, message):
                problems[name] = f"{problems[name]}; {message}" if name in problems else message
    wallets_text = values.get(WALLETS, "").strip()
    wallets = 0
    try:
        wallets = int(wallets_text)
    except ValueError:
        problems[WALLETS] = "a whole number of wallets"
    else:
        if not 1 <= wallets <= max_wallets:
            problems[WALLETS] = f"between 1 and {max_wallets}"
    if problems:
        return problems, None
    return {}, ConfigResult(result_config, result_packer, wallets)


def _fields_of(where: str, message: str) -> list[str]:
    """The form fields a problem belongs to: the field itself, or for a cross-field problem
    (reported under several names) the fields its message names (else all of them)."""
    known = [*RUN_PARAM_NAMES, *PACKER_PARAM_NAMES]
    if where in known:
        return [where] if where in FIELD_NAMES else []
    candidates = [name for name in where.split(",") if name in FIELD_NAMES] or list(FIELD_NAMES[:-1])
    named = [name for name in candidates if name in message]
    return named or candidates


class ConfigScreen(Screen[ConfigResult | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "start", "Start", priority=True),
        Binding("escape", "back", "Back"),
    ]

    def __init__(
        self,
        *,
        title: str,
        config: RunConfig,
        packer: PackerParams,
        wallets: int,
        max_wallets: int,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.form_title = title
        self.base_config = config
        self.base_packer = packer
        self.max_wallets = max_wallets
        self.values = initial_values(config, packer, wallets)
        self.problems: dict[str, str] = {}
        self._shown: dict[str, str] = {}
        self.cursor_blink = cursor_blink

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content(self.form_title), id="config-title")
        with VerticalScroll(id="config-fields"):
            for field in FIELDS:
                with Horizontal(classes="config-row"):
                    yield Label(Content(field.label), classes="config-label")
                    yield Input(
                        self.values[field.name],
                        id=f"field-{field.name}",
                        restrict=INTEGER_CHARS if field.integer else DECIMAL_CHARS,
                        compact=True,
                        select_on_focus=False,
                        classes="config-input",
                    )
                    yield Label("", id=f"error-{field.name}", classes="config-error")
        with Horizontal(id="config-buttons", classes="dialog-buttons"):
            yield Button("Start (ctrl+s)", id="start", variant="success")
            yield Button("Back (esc)", id="back")
        yield Footer()

    def on_mount(self) -> None:
        for field_input in self.query(Input):
            field_input.cursor_blink = self.cursor_blink
        self.query_one(f"#field-{FIELDS[0].name}", Input).focus()
        self._validate()

    @on(Input.Changed, ".config-input")
    def _changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("field-")
        self.values[name] = event.value
        self._validate()

    @on(Input.Submitted, ".config-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def _validate(self) -> ConfigResult | None:
        problems, result = field_problems(self.values, self.base_config, self.base_packer, self.max_wallets)
        with self.app.batch_update():
            for field in FIELDS:
                problem = problems.get(field.name, "")
                if problem == self._shown.get(field.name, ""):
                    continue
                self.query_one(f"#error-{field.name}", Label).update(Content(problem))
                self.query_one(f"#field-{field.name}", Input).set_class(bool(problem), "-problem")
            self.query_one("#start", Button).disabled = result is None
        self.problems = self._shown = problems
        return result

    def action_start(self) -> None:
        result = self._validate()
        if result is None:
            first = next(field.name for field in FIELDS if field.name in self.problems)
            self.query_one(f"#field-{first}", Input).focus()
            self.notify("Fix the marked fields first.", severity="warning")
            return
        self.dismiss(result)

    def action_back(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "start":
            self.action_start()
        else:
            self.action_back()
