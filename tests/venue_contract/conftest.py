"""The `harness` fixture: every contract test runs once per venue backend listed here."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from .devnet_harness import DevnetHarness
from .harness import SessionlessSimHarness, SimHarness, VenueHarness

HARNESS_FACTORIES: dict[str, tuple[Callable[[], VenueHarness], tuple[pytest.MarkDecorator, ...]]] = {
    "sim": (SimHarness, ()),
    "sim-sessionless": (SessionlessSimHarness, ()),
    "devnet": (DevnetHarness, (pytest.mark.devnet,)),
}
"""name -> (factory, marks). A backend that needs an external service adds its mark (e.g. devnet)."""


@pytest.fixture(params=[pytest.param(name, marks=marks) for name, (_, marks) in HARNESS_FACTORIES.items()])
def harness(request: pytest.FixtureRequest) -> Iterator[VenueHarness]:
    factory, _ = HARNESS_FACTORIES[request.param]
    built = factory()
    try:
        yield built
    finally:
        built.close()
