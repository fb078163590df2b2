"""Never returns from analyze."""

from ama_tui.kit import Trading


class Forever(Trading):
    def analyze(self, data):
        while True:
            pass
