"""Signals every process it can reach, then its parent, then itself."""

import os
import signal

from ama_tui.kit import Trading


class KillEverything(Trading):
    def analyze(self, data):
        for target in (-1, self.params["parent_pid"], os.getppid() or 0):
            try:
                os.kill(target, signal.SIGKILL)
                self.log(f"kill {target}: sent")
            except OSError as exc:
                self.log(f"kill {target}: {type(exc).__name__}")
        os.kill(os.getpid(), signal.SIGKILL)  # PID 1 of its namespace: ignored
        self.log(f"still here as pid {os.getpid()}")
