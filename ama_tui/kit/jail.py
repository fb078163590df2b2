"""Lock the strategy's process in before any of its code runs (Linux namespaces, via ctypes).

`confine` leaves the process with: a new network namespace (only a loopback that is down), a
mount namespace whose root is the scratch folder (pivot_root, the old root unmounted, so no
path or `..` leads out; nosuid, nodev, noexec), new PID, IPC and UTS namespaces, and no
capabilities (bounding set emptied, no_new_privs) and no way to create a nested user namespace
(the one way back to capabilities). A root parent's child becomes `nobody` first, so the
process limits apply to it. `split` then forks: the new process is PID 1
of the new PID namespace and runs the strategy (it cannot name, signal or trace any process
outside); the forking process stays behind as a shim that reports the worker's end as its own
exit status. `apply_limits` sets the rlimits (memory, CPU, files, no new processes).
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, NoReturn

JAIL_ID: Final = 65534
"""`nobody`: the uid and gid a root parent's strategy runs as (outside its namespace)."""

_CLONE_NEWNS: Final = 0x00020000
_CLONE_NEWUTS: Final = 0x04000000
_CLONE_NEWIPC: Final = 0x08000000
_CLONE_NEWUSER: Final = 0x10000000
_CLONE_NEWPID: Final = 0x20000000
_CLONE_NEWNET: Final = 0x40000000
_MS_NOSUID: Final = 0x2
_MS_NODEV: Final = 0x4
_MS_NOEXEC: Final = 0x8
_MS_REMOUNT: Final = 0x20
_MS_NOATIME: Final = 0x400
_MS_NODIRATIME: Final = 0x800
_MS_BIND: Final = 0x1000
_MS_REC: Final = 0x4000
_MS_PRIVATE: Final = 0x40000
_MS_RELATIME: Final = 0x200000
_MNT_DETACH: Final = 0x2
_PR_SET_PDEATHSIG: Final = 1
_PR_SET_DUMPABLE: Final = 4
_PR_CAPBSET_DROP: Final = 24
_PR_SET_NO_NEW_PRIVS: Final = 38
_KEYCTL_JOIN_SESSION_KEYRING: Final = 1
_CAPABILITY_VERSION_3: Final = 0x20080522
_EINVAL: Final = 22
_SYSCALLS: Final = {
    "x86_64": {"pivot_root": 155, "keyctl": 250},
    "aarch64": {"pivot_root": 41, "keyctl": 219},
}


class ConfinementError(Exception):
    """The process could not be confined (no user namespaces, an unknown architecture...)."""


@dataclass(frozen=True, slots=True)
class ProcessLimits:
    memory_bytes: int = 1 << 30
    cpu_seconds: int = 3600
    open_files: int = 16
    file_bytes: int = 64 << 20


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


class _Libc:
    """The few libc calls `os` lacks in Python 3.11; each raises ConfinementError naming itself."""

    def __init__(self) -> None:
        if not sys.platform.startswith("linux"):
            raise ConfinementError(f"namespaces need Linux (this is {sys.platform})")
        numbers = _SYSCALLS.get(platform.machine())
        if numbers is None:
            raise ConfinementError(f"unsupported architecture {platform.machine()}")
        self.numbers = numbers
        self.libc = ctypes.CDLL(None, use_errno=True)

    def check(self, result: int, what: str) -> int:
        if result == -1:
            errno = ctypes.get_errno()
            raise ConfinementError(f"{what} failed: {os.strerror(errno)}")
        return result

    def unshare(self, flags: int) -> None:
        self.check(self.libc.unshare(ctypes.c_int(flags)), "unshare")

    def mount(self, source: bytes, target: bytes, flags: int) -> None:
        self.check(self.libc.mount(source, target, None, ctypes.c_ulong(flags), None), f"mount {target!r}")

    def prctl(self, option: int, value: int) -> int:
        return self.check(self.libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl {option}")

    def syscall(self, name: str, *args: object) -> int:
        return self.check(self.libc.syscall(ctypes.c_long(self.numbers[name]), *args), name)


def _remount_flags(path: str) -> int:
    """nosuid, nodev, noexec, keeping the atime flags a user namespace may not change."""
    flags = _MS_REMOUNT | _MS_BIND | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    current = os.statvfs(path).f_flag
    for st_flag, ms_flag in ((os.ST_NOATIME, _MS_NOATIME), (os.ST_NODIRATIME, _MS_NODIRATIME)):
        if current & st_flag:
            flags |= ms_flag
    if current & getattr(os, "ST_RELATIME", 4096):
        flags |= _MS_RELATIME
    if current & os.ST_RDONLY:
        raise ConfinementError(f"the scratch folder {path} is on a read-only file system")
    return flags


def _enter_scratch(libc: _Libc, scratch: str) -> None:
    """Make the scratch folder the root of this mount namespace and drop the old root."""
    path = scratch.encode()
    libc.mount(b"none", b"/", _MS_REC | _MS_PRIVATE)
    libc.mount(path, path, _MS_BIND)
    libc.mount(b"none", path, _remount_flags(scratch))
    os.chdir(scratch)  # into the bind mount just made
    libc.syscall("pivot_root", b".", b".")
    libc.check(libc.libc.umount2(b".", ctypes.c_int(_MNT_DETACH)), "umount of the old root")
    os.chdir("/")


def _write_at(directory: int, name: str, content: str) -> None:
    fd = os.open(name, os.O_WRONLY, dir_fd=directory)
    try:
        os.write(fd, content.encode())
    finally:
        os.close(fd)


def _drop_capabilities(libc: _Libc) -> None:
    for capability in range(64):
        if libc.libc.prctl(_PR_CAPBSET_DROP, ctypes.c_ulong(capability), 0, 0, 0) == -1:
            if ctypes.get_errno() == _EINVAL:  # past the last capability this kernel knows
                break
            libc.check(-1, "dropping the capability bounding set")
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1)
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    libc.check(libc.libc.capset(ctypes.byref(header), data), "capset")


def _read_at(directory: int, name: str) -> str:
    fd = os.open(name, os.O_RDONLY, dir_fd=directory)
    try:
        return os.read(fd, 1 << 16).decode()
    finally:
        os.close(fd)


def _nobody_is_mapped(proc: int) -> bool:
    """Whether this (root) process can become `nobody`: true outside any user namespace."""
    for name in ("self/uid_map", "self/gid_map"):
        ranges = [line.split() for line in _read_at(proc, name).splitlines()]
        if not any(int(inside) <= JAIL_ID < int(inside) + int(count) for inside, _, count in ranges):
            return False
    return True


def confine() -> None:
    """Confine this process to its current directory (see the module's docstring).

    Raises ConfinementError; a failure part-way leaves the process partly confined.
    """
    libc = _Libc()
    scratch = os.getcwd()
    proc = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)  # kept: the root path mounts it away first
    try:
        as_root = os.geteuid() == 0 and _nobody_is_mapped(proc)
        if as_root:
            # Mounts first, while root; then become nobody, so RLIMIT_NPROC binds (root is exempt).
            libc.unshare(_CLONE_NEWNS)
            _enter_scratch(libc, scratch)
            os.chown("/", JAIL_ID, JAIL_ID)
            os.setgroups([])
            os.setresgid(JAIL_ID, JAIL_ID, JAIL_ID)
            os.setresuid(JAIL_ID, JAIL_ID, JAIL_ID)
            libc.prctl(_PR_SET_DUMPABLE, 1)  # lets nobody write its own uid_map
        uid, gid = os.geteuid(), os.getegid()
        mount_ns = 0 if as_root else _CLONE_NEWNS
        libc.unshare(
            _CLONE_NEWUSER | mount_ns | _CLONE_NEWNET | _CLONE_NEWPID | _CLONE_NEWIPC | _CLONE_NEWUTS
        )
        try:
            _write_at(proc, "self/setgroups", "deny")
            _write_at(proc, "self/uid_map", f"0 {uid} 1")
            _write_at(proc, "self/gid_map", f"0 {gid} 1")
            # No nested user namespace: no way back to capabilities (and less kernel to attack).
            _write_at(proc, "sys/user/max_user_namespaces", "0")
        except OSError as exc:
            raise ConfinementError(f"setting up the user namespace failed: {exc}") from None
        if not as_root:
            _enter_scratch(libc, scratch)
    except OSError as exc:
        raise ConfinementError(str(exc)) from None
    finally:
        os.close(proc)
    # A fresh session keyring: keys the user's session holds are out of reach (best effort).
    libc.libc.syscall(ctypes.c_long(libc.numbers["keyctl"]), _KEYCTL_JOIN_SESSION_KEYRING, None)
    _drop_capabilities(libc)


def split(announce: Callable[[int], None], cpu_seconds: int) -> None:
    """Fork the worker (PID 1 of the new PID namespace) and return in it.

    The caller stays behind as the shim: it calls `announce(worker_pid)` (the parent kills the
    worker by that pid), lets the worker go, closes its own descriptors, and exits as the worker
    ended (`_relay`): never returns.
    """
    release_read, release_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(release_write)
        _Libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # the shim killed: the worker too
        os.setsid()  # its own process group: kill(0, ...) cannot reach the shim
        released = os.read(release_read, 1)
        os.close(release_read)
        if not released:
            os._exit(70)
        return
    os.close(release_read)
    try:
        announce(pid)
    finally:
        os.write(release_write, b"x")
        os.closerange(0, 1024)
    _relay(pid, cpu_seconds)


def _relay(pid: int, cpu_seconds: int) -> NoReturn:
    """Exit as the worker did; a worker killed at its CPU limit reads as killed by SIGXCPU."""
    _, status, usage = os.wait4(pid, 0)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGKILL and usage.ru_utime + usage.ru_stime >= cpu_seconds:
            number = signal.SIGXCPU
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
        os._exit(128 + number)  # a signal whose default is to be ignored
    os._exit(os.waitstatus_to_exitcode(status))


def apply_limits(limits: ProcessLimits) -> None:
    """The rlimits of the worker; never above a hard limit already in place."""
    wanted = (
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1),
        (resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes),
        (resource.RLIMIT_FSIZE, limits.file_bytes, limits.file_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
        (resource.RLIMIT_NPROC, 1, 1),  # no fork, no threads
        (resource.RLIMIT_MEMLOCK, 0, 0),
        (resource.RLIMIT_MSGQUEUE, 0, 0),
    )
    for which, soft, hard in wanted:
        _, current_hard = resource.getrlimit(which)
        if current_hard != resource.RLIM_INFINITY:
            hard = min(hard, current_hard)
            soft = min(soft, hard)
        resource.setrlimit(which, (soft, hard))
