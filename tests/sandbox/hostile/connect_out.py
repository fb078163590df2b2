"""Tries to reach a listener of the test over TCP on loopback and an abstract unix socket.

`socket` cannot be imported in the sandbox, so this goes through libc directly (as hostile code
would): the network namespace must refuse it regardless.
"""

import ctypes
import errno

from ama_tui.kit import Trading

AF_UNIX, AF_INET, SOCK_STREAM = 1, 2, 1


def attempt(what, action):
    try:
        return f"{what}: got {action()!r}"
    except OSError as exc:
        return f"{what}: {errno.errorcode.get(exc.errno or 0)}"
    except Exception as exc:
        return f"{what}: {type(exc).__name__}"


class ConnectOut(Trading):
    def analyze(self, data):
        libc = ctypes.CDLL(None, use_errno=True)

        def connect(family, address):
            fd = libc.socket(family, SOCK_STREAM, 0)
            if fd < 0:
                raise OSError(ctypes.get_errno(), "socket")
            try:
                if libc.connect(fd, address, len(address)) != 0:
                    raise OSError(ctypes.get_errno(), "connect")
                libc.write(fd, b"stolen", 6)
                return "sent"
            finally:
                libc.close(fd)

        def tcp():
            port = self.params["port"]
            loopback = bytes([AF_INET, 0, port >> 8, port & 0xFF, 127, 0, 0, 1]) + bytes(8)
            return connect(AF_INET, loopback)

        def unix():
            return connect(AF_UNIX, bytes([AF_UNIX, 0]) + b"\0" + self.params["abstract"].encode())

        def import_socket():
            import socket

            return socket.__name__

        self.log(attempt("import socket", import_socket))
        self.log(attempt("tcp", tcp))
        self.log(attempt("unix", unix))
