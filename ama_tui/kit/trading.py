"""`Trading`: the class a user's strategy file subclasses.

Every trade function is a plain synchronous call: the kit checks the arguments, sends one call to
the engine and blocks until the engine answers. The strategy never sees a key, a session or the
network; it sees only these answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol, TypeVar, cast

from ama_tui.kit.calls import (
    CallArgs,
    MarketRef,
    Method,
    NoArgs,
    OrderRef,
    name,
    order_request,
)
from ama_tui.kit.models import Fill, MarketData, Order, OrderStatus, Portfolio, Position, Quote
from ama_tui.kit.wire import MAX_LOG_CHARS

T = TypeVar("T")


class TradingError(ValueError):
    """The engine refused a call (an unknown order id, not enough balance...): the text says why."""


class Channel(Protocol):
    """How calls reach the engine (a pipe in the sandbox, a fake in tests)."""

    def call(self, method: Method, args: CallArgs) -> object: ...

    def log(self, message: str) -> None: ...


class Trading:
    """Subclass this once per strategy file and override `on_initialize`, `analyze`, `on_fill`.

    `self.market` is the run's market symbol and `self.params` the parameters the user gave.
    Amounts and prices are `Decimal`; pass an int, str or Decimal (a float is read via its str).
    """

    market: str = ""
    params: dict[str, Any]
    _channel: Channel | None = None

    def _attach(self, market: str, params: Mapping[str, Any], channel: Channel) -> None:
        """Called by the framework before `initialize` (not from a strategy)."""
        self.market = market
        self.params = dict(params)
        self._channel = channel

    # Lifecycle: the framework calls these.

    def initialize(self) -> None:
        self.on_initialize()

    def on_initialize(self) -> None:
        """Override to set up state; trade functions may be used here."""

    def analyze(self, data: MarketData) -> None:
        """Override: called on every tick (or replayed bar)."""

    def on_fill(self, fill: Fill) -> None:
        """Override: called when one of the strategy's orders (partly) fills."""

    def close_session(self) -> None:
        """At the end of a run: flatten the position in `self.market` with a market order."""
        position = self.get_position(self.market)
        if position.size > 0:
            self.sell(self.market, position.size)
        elif position.size < 0:
            self.buy(self.market, -position.size)

    # Trade functions.

    def buy(
        self, market: str, amount: Decimal | int | str | float, options: Mapping[str, Any] | None = None
    ) -> str:
        """Place a buy order; returns its id. options: order_type ("market"|"limit"), limit_price,
        leverage, stop_loss, profit_target."""
        return self._call("buy", order_request("buy", market, amount, options), str)

    def sell(
        self, market: str, amount: Decimal | int | str | float, options: Mapping[str, Any] | None = None
    ) -> str:
        """Place a sell order; returns its id. Options as for `buy`."""
        return self._call("sell", order_request("sell", market, amount, options), str)

    def cancel(self, order_id: str) -> bool:
        """Ask to cancel an order; False when it was no longer open."""
        return self._call("cancel", OrderRef(name(order_id, "order_id")), bool)

    def get_order_status(self, order_id: str) -> OrderStatus:
        return self._call("get_order_status", OrderRef(name(order_id, "order_id")), OrderStatus)

    def get_current_price(self, market: str) -> Quote:
        return cast(Quote, self._call("get_current_price", MarketRef(name(market, "market")), dict))

    def get_position(self, market: str) -> Position:
        return self._call("get_position", MarketRef(name(market, "market")), Position)

    def get_open_orders(self, market: str) -> list[Order]:
        return cast(list[Order], self._call("get_open_orders", MarketRef(name(market, "market")), list))

    def get_available_balance(self) -> Decimal:
        return self._call("get_available_balance", NoArgs(), Decimal)

    def get_portfolio(self) -> Portfolio:
        return self._call("get_portfolio", NoArgs(), Portfolio)

    def log(self, message: object) -> None:
        """Send a line to the engine's log (long messages are cut)."""
        line = str(message)
        if len(line) > MAX_LOG_CHARS:
            line = line[: MAX_LOG_CHARS - 1] + "…"
        self._attached().log(line)

    def _attached(self) -> Channel:
        if self._channel is None:
            raise RuntimeError("this strategy is not running yet (trade from on_initialize or later)")
        return self._channel

    def _call(self, method: Method, args: CallArgs, expected: type[T]) -> T:
        result = self._attached().call(method, args)
        if not isinstance(result, expected):
            raise TypeError(f"{method} answered a {type(result).__name__}, expected {expected.__name__}")
        return result
