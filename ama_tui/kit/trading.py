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
    wallet_index,
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

    `self.wallets` is how many wallets of the fleet the strategy trades (the run's `wallets`
    parameter, 1 by default). Trades and per-wallet reads take `wallet=` (0 to wallets - 1; left
    out: 0), and each wallet is held to its own collateral cap and notional caps.
    """

    market: str = ""
    params: dict[str, Any]
    wallets: int = 1
    _channel: Channel | None = None

    def _attach(self, market: str, params: Mapping[str, Any], channel: Channel, wallets: int = 1) -> None:
        """Called by the framework before `initialize` (not from a strategy)."""
        self.market = market
        self.params = dict(params)
        self.wallets = wallets
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
        """At the end of a run: flatten each wallet's position in `self.market` with a market order."""
        for wallet in range(self.wallets):
            position = self.get_position(self.market, wallet=wallet or None)
            if position.size > 0:
                self.sell(self.market, position.size, wallet=wallet or None)
            elif position.size < 0:
                self.buy(self.market, -position.size, wallet=wallet or None)

    # Trade functions.

    def buy(
        self,
        market: str,
        amount: Decimal | int | str | float,
        options: Mapping[str, Any] | None = None,
        *,
        wallet: int | None = None,
    ) -> str:
        """Place a buy order (as `wallet`, 0 when left out); returns its id. options: order_type
        ("market"|"limit"), limit_price, leverage, stop_loss, profit_target."""
        request = order_request("buy", market, amount, options, self._wallet(wallet))
        return self._call("buy", request, str)

    def sell(
        self,
        market: str,
        amount: Decimal | int | str | float,
        options: Mapping[str, Any] | None = None,
        *,
        wallet: int | None = None,
    ) -> str:
        """Place a sell order (as `wallet`); returns its id. Options as for `buy`."""
        request = order_request("sell", market, amount, options, self._wallet(wallet))
        return self._call("sell", request, str)

    def cancel(self, order_id: str) -> bool:
        """Ask to cancel an order; False when it was no longer open."""
        return self._call("cancel", OrderRef(name(order_id, "order_id")), bool)

    def get_order_status(self, order_id: str) -> OrderStatus:
        return self._call("get_order_status", OrderRef(name(order_id, "order_id")), OrderStatus)

    def get_current_price(self, market: str) -> Quote:
        return cast(Quote, self._call("get_current_price", MarketRef(name(market, "market")), dict))

    def get_position(self, market: str, *, wallet: int | None = None) -> Position:
        return self._call("get_position", MarketRef(name(market, "market"), self._wallet(wallet)), Position)

    def get_open_orders(self, market: str, *, wallet: int | None = None) -> list[Order]:
        ref = MarketRef(name(market, "market"), self._wallet(wallet))
        return cast(list[Order], self._call("get_open_orders", ref, list))

    def get_available_balance(self, *, wallet: int | None = None) -> Decimal:
        return self._call("get_available_balance", NoArgs(self._wallet(wallet)), Decimal)

    def get_portfolio(self, *, wallet: int | None = None) -> Portfolio:
        return self._call("get_portfolio", NoArgs(self._wallet(wallet)), Portfolio)

    def log(self, message: object) -> None:
        """Send a line to the engine's log (long messages are cut)."""
        line = str(message)
        if len(line) > MAX_LOG_CHARS:
            line = line[: MAX_LOG_CHARS - 1] + "…"
        self._attached().log(line)

    def _wallet(self, wallet: object) -> int:
        return wallet_index(wallet, self.wallets)

    def _attached(self) -> Channel:
        if self._channel is None:
            raise RuntimeError("this strategy is not running yet (trade from on_initialize or later)")
        return self._channel

    def _call(self, method: Method, args: CallArgs, expected: type[T]) -> T:
        result = self._attached().call(method, args)
        if not isinstance(result, expected):
            raise TypeError(f"{method} answered a {type(result).__name__}, expected {expected.__name__}")
        return result
