"""Writes `junk` straight onto the protocol pipe, bypassing the kit."""

import os

from ama_tui.kit import Trading


class Garbage(Trading):
    def analyze(self, data):
        junk = self.params["junk"].encode()
        for fd in range(3, 16):
            try:
                os.write(fd, junk)
                return
            except OSError:
                continue
