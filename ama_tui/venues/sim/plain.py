"""Checks for the plain data (JSON values) a state snapshot is read back from.

Each returns the value with its exact type or raises `TypeError` / `ValueError` saying what was
expected, so a malformed snapshot fails while it is being read, before anything is replaced.
"""

from __future__ import annotations

from typing import Any


def as_int(value: object, *, minimum: int | None = None) -> int:
    if type(value) is not int:
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"expected an integer >= {minimum}, got {value}")
    return value


def as_str(value: object) -> str:
    if type(value) is not str:
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def as_bool(value: object) -> bool:
    if type(value) is not bool:
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def as_float(value: object) -> float:
    if type(value) not in (float, int):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)  # type: ignore[arg-type]


def as_list(value: object) -> list[Any]:
    if type(value) is not list:
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def as_dict(value: object) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value
