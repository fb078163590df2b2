"""Sends `per_tick` buy orders (or log lines) every tick."""

from ama_tui.kit import Trading


class Flood(Trading):
    def analyze(self, data):
        for _ in range(self.params["per_tick"]):
            if self.params.get("logs"):
                self.log("spam")
            else:
                self.buy(self.market, 1)
