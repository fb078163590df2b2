"""The built-in strategies, by name. A new one is one file here plus a line in `BUILT_INS`."""

from __future__ import annotations

from collections.abc import Callable

from ama_tui.strategies.packer import PackerStrategy
from ama_tui.strategies.rebalancer import RebalancerStrategy
from ama_tui.strategies.skewed_packer import SkewedPackerStrategy
from ama_tui.strategies.taker_flow import TakerFlowStrategy
from ama_tui.strategy import Strategy

DEFAULT_STRATEGY = "packer"

BUILT_INS: dict[str, Callable[[], Strategy]] = {
    "packer": PackerStrategy,
    "skewed-packer": SkewedPackerStrategy,
    "taker-flow": TakerFlowStrategy,
    "rebalancer": RebalancerStrategy,
}


class UnknownStrategy(ValueError):
    pass


def built_in(name: str) -> Strategy:
    """The built-in strategy called `name`, or UnknownStrategy naming the ones there are."""
    factory = BUILT_INS.get(name.strip())
    if factory is None:
        raise UnknownStrategy(f"no built-in strategy {name!r} (built-ins: {', '.join(sorted(BUILT_INS))})")
    return factory()
