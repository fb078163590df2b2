"""EMA cross: buy when a fast moving average of the mid crosses above a slow one, sell when it
crosses back below; at most `size` long or short, with a stop loss the engine keeps.

Parameters (`--set name=value`): fast (ticks, default 5), slow (default 20), size (units, default
0.01), stop (price distance of the stop loss, default 0: none).
"""

from decimal import Decimal

from ama_tui.kit import MarketData, Trading


class EmaCross(Trading):
    def on_initialize(self) -> None:
        self.fast_n = int(self.params.get("fast", 5))
        self.slow_n = int(self.params.get("slow", 20))
        self.size = Decimal(str(self.params.get("size", "0.01")))
        self.stop = Decimal(str(self.params.get("stop", "0")))
        self.fast: Decimal | None = None
        self.slow: Decimal | None = None
        self.seen = 0
        self.log(f"ema-cross {self.fast_n}/{self.slow_n}, size {self.size}")

    @staticmethod
    def _ema(previous: Decimal | None, value: Decimal, n: int) -> Decimal:
        if previous is None:
            return value
        k = Decimal(2) / (n + 1)
        return previous + k * (value - previous)

    def analyze(self, data: MarketData) -> None:
        if data.mid <= 0:
            return
        was_above = self.fast is not None and self.slow is not None and self.fast > self.slow
        self.fast = self._ema(self.fast, data.mid, self.fast_n)
        self.slow = self._ema(self.slow, data.mid, self.slow_n)
        self.seen += 1
        if self.seen < self.slow_n:
            return  # let the slow average settle first
        above = self.fast > self.slow
        if above == was_above:
            return
        position = self.get_position(self.market).size
        if above and position < self.size:
            options = {"stop_loss": data.mid - self.stop} if self.stop > 0 else None
            order = self.buy(self.market, self.size - position, options)
            self.log(f"fast crossed above slow at {data.mid}: bought ({order})")
        elif not above and position > -self.size:
            options = {"stop_loss": data.mid + self.stop} if self.stop > 0 else None
            order = self.sell(self.market, self.size + position, options)
            self.log(f"fast crossed below slow at {data.mid}: sold ({order})")
