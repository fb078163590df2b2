"""What the setup form offers to run, and the parameter fields of each, from the strategy's own
parameter model (its field titles, ranges and descriptions): a new strategy needs no form code."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from ama_tui.engine.strategy_files import FILE_PREFIX, file_of, is_strategy_file
from ama_tui.engine.user_strategy import UserParams
from ama_tui.strategies import BUILT_INS, DEFAULT_STRATEGY
from ama_tui.strategies.examples import EXAMPLES

STRATEGY_FOLDER = "strategies"
"""A folder of the working directory whose `.py` files the form offers too."""


@dataclass(frozen=True, slots=True)
class ParamField:
    name: str
    """The JSON name `--set` and the checkpoint use."""
    label: str
    help: str
    integer: bool
    choices: tuple[str, ...] = ()
    default: str = ""


def strategy_options(cwd: Path | None = None) -> list[tuple[str, str]]:
    """(label, name) of every strategy the form can start: the built-ins, the example files and the
    `.py` files of `./strategies/`."""
    options = [(name, name) for name in BUILT_INS]
    options += [
        (f"{path.stem.replace('_', '-')} (example file)", path.stem.replace("_", "-"))
        for path in sorted(EXAMPLES.glob("*.py"))
        if not path.name.startswith("_")
    ]
    folder = (cwd or Path.cwd()) / STRATEGY_FOLDER
    if folder.is_dir():
        options += [(f"{path.name} (your file)", str(path)) for path in sorted(folder.glob("*.py"))]
    return options


def summary(name: str) -> str:
    """One line on what the strategy does."""
    if name in BUILT_INS:
        return BUILT_INS[name]().info.summary
    return "a strategy file, run sandboxed as one wallet of the fleet (no key, no network)"


def params_model(name: str) -> type[BaseModel] | None:
    """The parameter model of the strategy `name` (a file's: the engine's `UserParams`)."""
    if name in BUILT_INS:
        return BUILT_INS[name]().info.params_model
    if is_strategy_file(name) or (EXAMPLES / f"{name.replace('-', '_')}.py").is_file():
        return UserParams
    return None


def display_name(name: str) -> str:
    """A recorded name as the form shows it (a file by its name, not its whole path)."""
    if name.startswith(FILE_PREFIX):
        path = file_of(name)
        return path.stem.replace("_", "-") if path.parent == EXAMPLES else path.name
    return name or DEFAULT_STRATEGY


def range_text(metadata: list[object]) -> str:
    """A field's bounds in words: "0 to 100", "at least 0", "more than 0", "at most 1"."""
    bounds = {
        kind: getattr(meta, kind)
        for meta in metadata
        for kind in ("ge", "gt", "le", "lt")
        if getattr(meta, kind, None) is not None
    }
    low = bounds.get("ge", bounds.get("gt"))
    high = bounds.get("le", bounds.get("lt"))
    if "ge" in bounds and "le" in bounds:
        return f"{low} to {high}"
    parts = []
    if low is not None:
        parts.append(f"{'at least' if 'ge' in bounds else 'more than'} {low}")
    if high is not None:
        parts.append(f"{'at most' if 'le' in bounds else 'less than'} {high}")
    return ", ".join(parts)


def param_fields(model: type[BaseModel] | None) -> list[ParamField]:
    if model is None:
        return []
    fields = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        choices: tuple[str, ...] = ()
        if typing.get_origin(annotation) is typing.Literal:
            choices = tuple(str(choice) for choice in typing.get_args(annotation))
        ranges = range_text(info.metadata)
        help_text = info.description or ""
        if ranges:
            help_text = f"{help_text} ({ranges})" if help_text else ranges
        fields.append(
            ParamField(
                name=info.alias or name,
                label=info.title or name.replace("_", " "),
                help=help_text,
                integer=annotation is int,
                choices=choices,
                default="" if info.default is None else str(info.default),
            )
        )
    return fields
