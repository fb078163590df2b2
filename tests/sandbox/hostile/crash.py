"""Ends its process the way `how` says."""

import ctypes
import os
import sys

from ama_tui.kit import Trading


class Crash(Trading):
    def analyze(self, data):
        how = self.params["how"]
        if how == "exit":
            os._exit(3)
        if how == "segfault":
            ctypes.string_at(0)
        if how == "sys.exit":
            sys.exit(0)
        if how == "divide":
            self.ratio = 1 / 0  # the line the report must name
