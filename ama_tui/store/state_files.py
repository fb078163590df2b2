"""Loading and saving one JSON state file (checkpoint, wallet file) as a validated model.

Files are written the way the original tool writes them (`JSON.stringify(x, null, 2)`: two-space
indent, no trailing newline, numbers as JavaScript writes them), so a round trip leaves an
untouched file byte-for-byte equal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ama_tui.store.atomic import atomic_write_bytes
from ama_tui.store.errors import StateFileError
from ama_tui.store.js_json import js_dumps

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound="BaseModel")
"""pydantic is imported only to validate: reading a checkpoint's raw document (the report's
market labels) does not need it, and it is a fifth of the report command's start-up."""

_MAX_LISTED_PROBLEMS = 5


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def describe_validation_error(exc: ValidationError) -> str:
    """A one-line summary naming the bad fields (never the values)."""
    problems = [f"{_location(err['loc'])}: {err['msg']}" for err in exc.errors()]
    shown = "; ".join(problems[:_MAX_LISTED_PROBLEMS])
    more = len(problems) - _MAX_LISTED_PROBLEMS
    return shown + (f"; and {more} more" if more > 0 else "")


def dumps_state(document: dict[str, Any]) -> bytes:
    """`JSON.stringify(document, null, 2)`, numbers included, as UTF-8."""
    return js_dumps(document, indent=2).encode("utf-8")


def load_state_file(path: Path, model: type[ModelT], what: str) -> ModelT | None:
    """The file as `model`, None when it does not exist, `StateFileError` when it is unusable."""
    document = read_state_document(path, what)
    return None if document is None else validate_state_document(path, document, model, what)


def read_state_document(path: Path, what: str) -> dict[str, Any] | None:
    """The file's JSON object (not yet validated), None when it does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(path, f"cannot read the {what}: {exc.strerror or exc}") from exc
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StateFileError(path, f"the {what} is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise StateFileError(
            path, f"the {what} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if not isinstance(document, dict):
        raise StateFileError(path, f"the {what} must hold a JSON object, found {type(document).__name__}")
    return document


def validate_state_document(path: Path, document: dict[str, Any], model: type[ModelT], what: str) -> ModelT:
    """`document` as `model`, or `StateFileError` naming the bad fields."""
    from pydantic import ValidationError

    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise StateFileError(path, f"the {what} is invalid: {describe_validation_error(exc)}") from exc


def save_state_file(path: Path, document: dict[str, Any]) -> None:
    """Write `document` atomically (0600)."""
    atomic_write_bytes(path, dumps_state(document))
