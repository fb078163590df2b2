"""Messages that worker threads post to the UI. Workers never touch widgets: they post one of
these and the handler (on the main thread) updates the screen."""

from __future__ import annotations

from collections.abc import Mapping

from textual.message import Message

from ama_tui.core.market import BookTop
from ama_tui.engine.packer import RunSummary, SessionProgress
from ama_tui.tui.size_advice import MarketFacts
from ama_tui.venues.base import MarketPage

# -- the engine worker -> the app ------------------------------------------------------------


class SessionProgressed(Message):
    """One wallet's session was created (or failed)."""

    def __init__(self, report: SessionProgress) -> None:
        super().__init__()
        self.report = report


class EngineRunning(Message):
    """Sessions are done and the first snapshot is published: time for the dashboard."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id


class EngineFinished(Message):
    """The packer returned (`summary`) or died (`error`, one line, no traceback)."""

    def __init__(self, summary: RunSummary | None, error: str | None) -> None:
        super().__init__()
        self.summary = summary
        self.error = error


# -- the picker's workers -> the picker --------------------------------------------------------


class MarketsLoaded(Message):
    def __init__(self, page: MarketPage, *, append: bool, generation: int) -> None:
        super().__init__()
        self.page = page
        self.append = append
        self.generation = generation


class MarketsFailed(Message):
    def __init__(self, error: str, *, generation: int) -> None:
        super().__init__()
        self.error = error
        self.generation = generation


class TopsFetched(Message):
    """Best bid/ask per order book (lower-case address); None when the book could not be read."""

    def __init__(self, tops: Mapping[str, BookTop | None]) -> None:
        super().__init__()
        self.tops = dict(tops)


# -- the configuration form's worker -> the form ---------------------------------------------


class MarketFactsRead(Message):
    """The market's price and margin and the wallets' collateral (what could be read)."""

    def __init__(self, facts: MarketFacts) -> None:
        super().__init__()
        self.facts = facts
