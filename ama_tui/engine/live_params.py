"""Parameters the UI may change while the packer runs.

The UI thread writes, the worker reads once at the start of every cycle. Every change is
validated by the pydantic models (by the checkpoint's JSON names) before it is accepted, so a
bad value never reaches a cycle; accepted changes are queued for the engine to journal
(`PARAMS_CHANGED`) and persist.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from ama_tui.core.models import PackerParams, RunConfig


class ParamsError(ValueError):
    """A parameter change that was refused. `problems` maps each JSON name to its message."""

    def __init__(self, problems: Mapping[str, str]):
        self.problems = dict(problems)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.problems.items()))


def json_names(model: type[BaseModel]) -> tuple[str, ...]:
    """The checkpoint's JSON names of a model's declared fields."""
    return tuple(field.alias or name for name, field in model.model_fields.items())


RUN_PARAM_NAMES = json_names(RunConfig)
PACKER_PARAM_NAMES = json_names(PackerParams)


def parse_assignments(items: list[str]) -> dict[str, str]:
    """`["minDelayMs=100", ...]` as a dict; a malformed item is a ParamsError naming it."""
    changes: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParamsError({item: "expected name=value"})
        changes[name.strip()] = value.strip()
    return changes


def _merge(model: BaseModel, changes: Mapping[str, Any]) -> tuple[BaseModel, dict[str, str]]:
    data = model.model_dump(by_alias=True)
    optional = {
        field.alias or name for name, field in type(model).model_fields.items() if field.default is None
    }
    # an empty value clears an optional parameter (e.g. sizes given as a notional)
    data.update(
        {k: None if k in optional and isinstance(v, str) and not v.strip() else v for k, v in changes.items()}
    )
    try:
        return type(model).model_validate(data), {}
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for err in exc.errors():
            where = ".".join(str(part) for part in err["loc"]) or ",".join(sorted(changes))
            problems[where] = err["msg"].removeprefix("Value error, ")
        return model, problems


def apply_changes(
    config: RunConfig, packer: PackerParams, changes: Mapping[str, Any]
) -> tuple[RunConfig, PackerParams]:
    """New (config, packer) with `changes` applied by JSON name, or ParamsError for all problems."""
    new_config, new_packer, _ = apply_all_changes(config, packer, None, changes)
    return new_config, new_packer


def apply_all_changes(
    config: RunConfig, packer: PackerParams, strategy: BaseModel | None, changes: Mapping[str, Any]
) -> tuple[RunConfig, PackerParams, BaseModel | None]:
    """As `apply_changes`, with the strategy's own parameters (`strategy`, None: it has none)."""
    strategy_names = json_names(type(strategy)) if strategy is not None else ()
    known_names = (*RUN_PARAM_NAMES, *PACKER_PARAM_NAMES, *strategy_names)
    if strategy is not None and type(strategy).model_config.get("extra") == "allow":
        # a user strategy's own parameters: any name the run and the packer do not use
        strategy_names = (*strategy_names, *(n for n in changes if n not in known_names))
        known_names = (*known_names, *strategy_names)
    unknown = [name for name in changes if name not in known_names]
    if unknown:
        known = ", ".join(known_names)
        raise ParamsError({name: f"unknown parameter (known: {known})" for name in unknown})
    run_changes = {k: v for k, v in changes.items() if k in RUN_PARAM_NAMES}
    packer_changes = {k: v for k, v in changes.items() if k in PACKER_PARAM_NAMES}
    strategy_changes = {k: v for k, v in changes.items() if k in strategy_names}
    new_config, run_problems = _merge(config, run_changes)
    new_packer, packer_problems = _merge(packer, packer_changes)
    new_strategy, strategy_problems = (
        _merge(strategy, strategy_changes) if strategy is not None else (None, {})
    )
    problems = {**run_problems, **packer_problems, **strategy_problems}
    if problems:
        raise ParamsError(problems)
    assert isinstance(new_config, RunConfig) and isinstance(new_packer, PackerParams)
    return new_config, new_packer, new_strategy


@dataclass(frozen=True, slots=True)
class ParamsView:
    config: RunConfig
    packer: PackerParams
    version: int
    strategy: BaseModel | None = None
    """The strategy's own parameters (None when it has none)."""


def _dump_all(*models: BaseModel | None) -> dict[str, Any]:
    dumped: dict[str, Any] = {}
    for model in models:
        if model is not None:
            dumped.update(model.model_dump(by_alias=True, mode="json"))
    return dumped


@dataclass(frozen=True, slots=True)
class ParamsChange:
    """An accepted change: what it was, per JSON name, before and after."""

    version: int
    before: Mapping[str, Any]
    after: Mapping[str, Any]


class LiveParams:
    """Thread-safe holder of the run config and packer params, plus pause / stop requests."""

    def __init__(self, config: RunConfig, packer: PackerParams, strategy: BaseModel | None = None) -> None:
        self._lock = threading.Lock()
        self._view = ParamsView(config, packer, 0, strategy)
        self._pending: list[ParamsChange] = []
        self._paused = threading.Event()
        self._cancel_all = threading.Event()

    def current(self) -> ParamsView:
        with self._lock:
            return self._view

    def adopt_strategy(self, strategy: BaseModel | None) -> None:
        """Set the strategy's own parameters before the run starts (a resumed run's, read from its
        checkpoint after these params were made); not a change to journal."""
        with self._lock:
            self._view = ParamsView(self._view.config, self._view.packer, self._view.version, strategy)

    def update(self, changes: Mapping[str, Any]) -> ParamsChange:
        """Validate and accept `changes` (JSON names); raises ParamsError and changes nothing."""
        with self._lock:
            view = self._view
            config, packer, strategy = apply_all_changes(view.config, view.packer, view.strategy, changes)
            before_all = _dump_all(view.config, view.packer, view.strategy)
            after_all = _dump_all(config, packer, strategy)
            changed = [name for name in after_all if after_all[name] != before_all.get(name)]
            change = ParamsChange(
                version=view.version + 1,
                before={name: before_all.get(name) for name in changed},
                after={name: after_all[name] for name in changed},
            )
            self._view = ParamsView(config, packer, change.version, strategy)
            if changed:
                self._pending.append(change)
            return change

    def take_changes(self) -> list[ParamsChange]:
        """Accepted changes not yet journaled (the engine calls this once per cycle)."""
        with self._lock:
            pending, self._pending = self._pending, []
            return pending

    # -- pause / cancel-all -------------------------------------------------------------

    def pause(self) -> None:
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    def toggle_pause(self) -> bool:
        """Flip pause; True when now paused."""
        if self._paused.is_set():
            self._paused.clear()
            return False
        self._paused.set()
        return True

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def request_cancel_all(self) -> None:
        """Ask the engine to cancel every order of ours and then stop."""
        self._cancel_all.set()

    @property
    def cancel_all_requested(self) -> bool:
        return self._cancel_all.is_set()
