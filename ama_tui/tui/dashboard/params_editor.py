"""Live parameters: what can be tuned while the run goes, with the setup form's labels, each field's
range and help, and the strategy's own parameters (from its model), edited while the packer runs.
The original tool's fields that do nothing here (`makerRatio`, `maxOpenOrdersPerMaker`, `mode`) are
not shown; they stay in the checkpoint as they are.

Save sends only the fields that changed through `EngineHandle.update_params`, which validates them
all at once; refused values are explained next to their field and nothing changes. An accepted
change is applied by the engine at its next cycle and journaled as PARAMS_CHANGED.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ama_tui.core.models import PackerParams, RunConfig
from ama_tui.engine.live_params import (
    PACKER_PARAM_NAMES,
    RUN_PARAM_NAMES,
    ParamsChange,
    ParamsError,
    ParamsView,
)
from ama_tui.tui.engine_handle import EngineHandle
from ama_tui.tui.screens.config import FIELDS, WALLETS, form_message
from ama_tui.tui.strategy_choice import param_fields, range_text

LEGACY: Final = frozenset({"makerRatio", "maxOpenOrdersPerMaker", "mode"})
"""The original tool's fields: kept in the checkpoint, nothing to tune here."""
MORE_LABELS: Final = {
    "safetySigmas": "Safety floor (sigmas of the move)",
    "bandToleranceTicks": "Band tolerance (ticks)",
    "maxReplacePerCycle": "Replacements per cycle (a wallet)",
}
"""Labels of the tunables the setup form does not ask for."""


@dataclass(frozen=True, slots=True)
class EditorField:
    name: str
    label: str
    help: str


def editor_fields(view: ParamsView) -> list[tuple[str, list[EditorField]]]:
    """(section title, fields) to show: the run's tunables as the setup form names them, then the
    strategy's own parameters (its model's titles, ranges and help)."""
    labels = {field.name: field.label for field in FIELDS if field.name != WALLETS} | MORE_LABELS
    models = {**RunConfig.model_fields, **PackerParams.model_fields}
    by_alias = {info.alias or name: info for name, info in models.items()}
    run = []
    for name in (*RUN_PARAM_NAMES, *PACKER_PARAM_NAMES):
        if name in LEGACY or name not in labels:
            continue
        info = by_alias.get(name)
        help_text = (info.description or range_text(info.metadata)) if info is not None else ""
        run.append(EditorField(name, labels[name], help_text))
    sections = [("Run", run)]
    if view.strategy is not None:
        own = [EditorField(f.name, f.label, f.help) for f in param_fields(type(view.strategy))]
        declared = {f.name for f in own}
        extra = view.strategy.model_extra or {}
        own += [EditorField(name, name, "the strategy's own") for name in extra if name not in declared]
        sections.append(("Strategy", own))
    return sections


def param_text(value: Any) -> str:
    """A parameter's JSON value as the user edits it (`0.2`, `6`, `MEAN`, `true`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def current_values(view: ParamsView) -> dict[str, str]:
    """JSON name -> editable text, for every run and packer parameter (run first), then the
    strategy's own."""
    run = view.config.model_dump(by_alias=True, mode="json")
    packer = view.packer.model_dump(by_alias=True, mode="json")
    values = {name: param_text(run.get(name)) for name in RUN_PARAM_NAMES}
    values.update({name: param_text(packer.get(name)) for name in PACKER_PARAM_NAMES})
    if view.strategy is not None:
        own = view.strategy.model_dump(by_alias=True, mode="json")
        values.update({name: param_text(value) for name, value in own.items() if name not in values})
    return values


def edited_values(original: Mapping[str, str], edited: Mapping[str, str]) -> dict[str, str]:
    """Only what the user changed (surrounding spaces ignored)."""
    changes: dict[str, str] = {}
    for name, value in edited.items():
        text = value.strip()
        if text != original.get(name, "").strip():
            changes[name] = text
    return changes


def problems_by_field(problems: Mapping[str, str], names: set[str]) -> tuple[dict[str, str], list[str]]:
    """Split ParamsError problems into per-field messages and general ones. A problem about
    several fields at once (`minDistanceTicks,maxDistanceTicks`) is shown next to each of them."""
    by_field: dict[str, str] = {}
    general: list[str] = []
    for where, message in problems.items():
        fields = [part for part in where.split(",") if part in names]
        if not fields:
            general.append(f"{where}: {message}" if where else message)
        for name in fields:
            by_field[name] = f"{by_field[name]}; {message}" if name in by_field else message
    return by_field, general


def describe_change(change: ParamsChange) -> str:
    """`ordersPerSidePerWallet 6 → 4` for each changed parameter."""
    return ", ".join(
        f"{name} {param_text(change.before.get(name))} → {param_text(value)}"
        for name, value in change.after.items()
    )


def editor_hint(market: str | None) -> str:
    """The line above the fields: when a change applies, and over several markets, to which."""
    if market is None:
        return "Takes effect at the next cycle (journaled). Enter saves, Esc cancels."
    return (
        f"{market} only (the other markets keep theirs; maxWalletUtilization is {market}'s share): "
        "takes effect at its next cycle (journaled). Enter saves, Esc cancels."
    )


class ParamsEditor(ModalScreen[ParamsChange | None]):
    """Dismisses with the accepted change, or None when cancelled or nothing changed."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, handle: EngineHandle, *, market: str | None = None) -> None:
        """`market`: the market whose tab this is, in a run over several (its parameters alone
        are edited: each market has its own handle)."""
        super().__init__()
        self.handle = handle
        self.market = market
        view = handle.params.current()
        self.sections = editor_fields(view)
        values = current_values(view)
        self.original = {
            field.name: values.get(field.name, "") for _, fields in self.sections for field in fields
        }

    def compose(self) -> ComposeResult:
        with Vertical(id="params-editor"):
            yield Static(Content(editor_hint(self.market)), id="params-hint")
            with VerticalScroll(id="params-rows"):
                for title, fields in self.sections:
                    yield Static(title, classes="params-section")
                    for field in fields:
                        with Horizontal(classes="param-row"):
                            yield Label(Content(field.label), classes="param-name")
                            yield Input(
                                self.original[field.name],
                                id=f"param-{field.name}",
                                classes="param-input",
                                compact=True,
                            )
                            yield Static(Content(field.help), id=f"help-{field.name}", classes="param-help")
                            yield Static("", id=f"error-{field.name}", classes="param-error")
            yield Static("", id="params-problems")
            with Horizontal(id="params-buttons"):
                yield Button("Save", id="params-save", variant="primary", compact=True)
                yield Button("Cancel", id="params-cancel", compact=True)

    def on_mount(self) -> None:
        title = "Live parameters" if self.market is None else f"Live parameters of {self.market}"
        self.query_one("#params-editor").border_title = title
        boxes = list(self.query(Input))
        if boxes:
            boxes[0].focus()

    def inputs(self) -> dict[str, Input]:
        return {name: self.query_one(f"#param-{name}", Input) for name in self.original}

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "params-save":
            self.action_save()
        elif event.button.id == "params-cancel":
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        inputs = self.inputs()
        changes = edited_values(self.original, {name: box.value for name, box in inputs.items()})
        self._show_problems({}, [])
        if not changes:
            self.dismiss(None)
            return
        try:
            change = self.handle.update_params(changes)
        except ParamsError as exc:
            by_field, general = problems_by_field(exc.problems, set(inputs))
            self._show_problems(by_field, general)
            return
        self.dismiss(change)

    def _show_problems(self, by_field: Mapping[str, str], general: list[str]) -> None:
        for name, box in self.inputs().items():
            message = form_message(by_field.get(name, "")) if name in by_field else ""
            box.set_class(bool(message), "-invalid")
            error = self.query_one(f"#error-{name}", Static)
            error.update(Content(message))
            error.set_class(bool(message), "-shown")
            self.query_one(f"#help-{name}", Static).set_class(bool(message), "-hidden")
        problems = self.query_one("#params-problems", Static)
        problems.update(Content("\n".join(form_message(line) for line in general)))
        problems.set_class(bool(general), "-shown")
        first = next((name for name in self.original if name in by_field), None)
        if first is not None:
            self.query_one(f"#param-{first}", Input).focus()
