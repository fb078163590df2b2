"""Forks in a loop (each child would spin forever), after trying threads and a shell."""

import os

from ama_tui.kit import Trading


class ForkBomb(Trading):
    def analyze(self, data):
        try:
            import _thread  # built in, so importable: RLIMIT_NPROC must stop it

            _thread.start_new_thread(lambda: None, ())
            self.log("thread: started")
        except Exception as exc:
            self.log(f"thread: {type(exc).__name__}")
        for module in ("threading", "subprocess"):
            try:
                __import__(module)
                self.log(f"{module}: imported")
            except Exception as exc:
                self.log(f"{module}: {type(exc).__name__}")
        for _ in range(1000):
            if os.fork() == 0:
                while True:
                    pass
