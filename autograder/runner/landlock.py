"""Landlock (Linux 5.13+): a file-system allow-list, no TCP, and no signals or abstract sockets beyond this
process's own descendants, none of which the process or anything it starts can lift.

Unprivileged and available inside containers, so it is the layer every grading mode can have. Written on
the kernel's three system calls directly: the PyPI binding (`landlock`, alpha) covers file rules only, not
the network rules of ABI 4 or the scopes of ABI 6 that this grader needs.

    rules = ruleset(read=["/usr", ...], write=["/tmp/work"], files={"/dev/null": True})  # while root
    enforce(rules)                                                                     # -> ABI applied
"""

from __future__ import annotations

import ctypes
import os

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same on every architecture
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2
_PR_SET_NO_NEW_PRIVS = 38

# File-system rights (landlock.h), by the ABI that introduced them.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_NET_BIND_TCP, _NET_TCP = 0b01, 0b11  # bind, and bind and connect (ABI 4): allowed only by a port rule
_SCOPES = 0b11  # abstract UNIX sockets and signals (ABI 6)
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # the only ones a file rule may hold


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPortAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _call(number: int, *args) -> int:
    result = _libc.syscall(number, *args)
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
    return result


def abi() -> int:
    """The kernel's Landlock ABI version; 0 where Landlock is not built in or not enabled at boot."""
    try:
        return _call(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except OSError:
        return 0


def ruleset(read: list[str], write: list[str], files: dict[str, bool], listable: list[str] = (),
            bind_ports: list[int] = ()) -> int:
    """A ruleset allowing reading beneath each folder of `read`, everything beneath each of `write`,
    reading (and writing, where True) each single file of `files`, listing (names only) beneath each
    folder of `listable`, and binding a TCP socket to each of `bind_ports` (a Jupyter kernel's); denying
    the rest of the file system, every other TCP bind and connect, and signals and abstract sockets beyond
    this process's descendants (TCP from ABI 4, the rest from ABI 6). Made before the process drops its
    user id (a path it could not open then is one it could not reach anyway). Returns its descriptor for
    `enforce`; OSError if Landlock is not there."""
    version = abi()
    if version < 1:
        raise OSError("Landlock is not enabled in this kernel")
    handled = _FS_BY_ABI[max(v for v in _FS_BY_ABI if v <= version)]
    attr = _RulesetAttr(handled, _NET_TCP if version >= 4 else 0, _SCOPES if version >= 6 else 0)
    size = ctypes.sizeof(ctypes.c_uint64) * (3 if version >= 6 else 2 if version >= 4 else 1)
    fd = _call(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    try:
        for path in read:
            _allow(fd, path, (READ_FILE | READ_DIR) & handled)
        for path in write:
            _allow(fd, path, handled & ~EXECUTE)
        for path, writable in files.items():
            _allow(fd, path, (READ_FILE | (WRITE_FILE | TRUNCATE if writable else 0)) & handled)
        for path in listable:
            _allow(fd, path, READ_DIR & handled)
        for port in bind_ports if version >= 4 else ():  # before ABI 4, TCP is not handled at all
            rule = _NetPortAttr(_NET_BIND_TCP, port)
            _call(_ADD_RULE, fd, ctypes.c_int(_RULE_NET_PORT), ctypes.byref(rule), ctypes.c_uint32(0))
    except OSError:
        os.close(fd)
        raise
    return fd


def enforce(ruleset: int) -> int:
    """Restrict this process, and all it starts from now on, to `ruleset` (which is closed). Returns the
    ABI version applied."""
    try:
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "could not set no_new_privs")
        _call(_RESTRICT_SELF, ruleset, ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return abi()


def _allow(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except (FileNotFoundError, PermissionError):
        return
    try:
        if not os.path.isdir(path):
            rights &= _FILE_RIGHTS
        rule = _PathBeneathAttr(rights, fd)
        _call(_ADD_RULE, ruleset, ctypes.c_int(_RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0))
    finally:
        os.close(fd)
