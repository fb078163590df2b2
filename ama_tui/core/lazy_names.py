"""A package's names loaded with their module on first use (PEP 562), so importing one module of
the package does not import every other."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_names(
    package: str, homes: Mapping[str, str], namespace: MutableMapping[str, Any]
) -> Callable[[str], Any]:
    """The package's `__getattr__`: `homes` maps each name to the submodule holding it; a name
    loaded once is kept in `namespace` (the package's globals), so it is looked up only once."""

    def load(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        namespace[name] = value
        return value

    return load
