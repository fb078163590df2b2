"""Tries to write outside its scratch folder: an absolute path, `..`, /tmp, a symlink."""

import os

from ama_tui.kit import Trading


def attempt(what, action):
    try:
        action()
        return f"{what}: written"
    except Exception as exc:
        return f"{what}: {type(exc).__name__}"


def write(path):
    with open(path, "w") as file:
        file.write("escaped")


class WriteOutside(Trading):
    def analyze(self, data):
        target = self.params["target"]
        self.log(attempt("absolute", lambda: write(target)))
        self.log(attempt("dotdot", lambda: write("../" * 12 + target.lstrip("/"))))
        self.log(attempt("tmp", lambda: write("/tmp/escaped.txt")))
        self.log(attempt("symlink", lambda: (os.symlink(target, "link"), write("link"))))
