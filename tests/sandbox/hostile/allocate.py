"""Allocates `gigabytes` at once, or grows by 16 MiB blocks until it cannot."""

from ama_tui.kit import Trading


class Allocate(Trading):
    def analyze(self, data):
        if self.params.get("gradual"):
            blocks = []
            while True:
                blocks.append(bytearray(16 << 20))
        self.hoard = bytearray(self.params["gigabytes"] * 10**9)
