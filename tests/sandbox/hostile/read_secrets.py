"""Tries every way to a key: the wallets CSV, the state folder, the environment, /proc."""

import os

from ama_tui.kit import Trading


def attempt(what, action):
    try:
        return f"{what}: got {action()!r}"
    except Exception as exc:
        return f"{what}: {type(exc).__name__}"


def read(path):
    with open(path) as file:
        return file.read()


class ReadSecrets(Trading):
    def analyze(self, data):
        wallets, state, parent = self.params["wallets"], self.params["state"], self.params["parent_pid"]
        self.log(attempt("wallets", lambda: read(wallets)))
        self.log(attempt("wallets relative", lambda: read("../" * 12 + wallets.lstrip("/"))))
        self.log(attempt("state folder", lambda: os.listdir(state)))
        self.log(attempt("state key", lambda: read(os.path.join(state, "key.json"))))
        self.log(attempt("environment", lambda: dict(os.environ)))
        self.log(attempt("parent environ", lambda: read(f"/proc/{parent}/environ")))
        self.log(attempt("own environ", lambda: read("/proc/self/environ")))
        self.log(attempt("passwd", lambda: read("/etc/passwd")))
        self.log(attempt("root", lambda: os.listdir("/")))
        self.log(attempt("parent of root", lambda: os.listdir("/..")))
