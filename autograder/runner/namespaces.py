"""Private namespaces for the confined child: mounts, network, System V IPC and process ids.

As root with CAP_SYS_ADMIN the child unshares them directly; otherwise through a user namespace, where
the kernel allows one. Inside, every mount is read-only, /tmp, /var/tmp and /dev/shm are fresh private
tmpfs, each hidden folder is covered by an empty one, and the child is process 1 of its own PID namespace
(with its own /proc), so it can neither see nor signal the grader, and when it ends every process it
started ends with it. Every step's result is checked: a step that fails raises OSError naming it.
"""

from __future__ import annotations

import ctypes
import os
import re
import signal
import sys

from autograder import course

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x08000000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = 1024, 2048, 4096, 1 << 14
MS_PRIVATE, MS_RELATIME = 1 << 18, 1 << 21
# World-writable: each child gets fresh, private ones, small (tmpfs is memory no process limit counts).
SHARED_TMP = {"/tmp": "64m", "/var/tmp": "16m", "/dev/shm": "16m"}
TMP_FILES = 4096  # files and folders each of them may hold (nr_inodes)
_PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


_FLAGS = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID


def unshare_directly() -> str:
    """Enter new mount, network, IPC and PID namespaces (the PID one takes effect for the next fork), as
    root with CAP_SYS_ADMIN; OSError otherwise."""
    _check(_libc.unshare(_FLAGS), "unshare")
    return "direct"


def unshare_as_user() -> str:
    """The same namespaces, owned by a new user namespace (no privilege needed where the kernel allows
    user namespaces); OSError otherwise."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER | _FLAGS), "unshare")
    # The same ids inside as outside: the child stays who it was, with capabilities only over its own
    # namespaces, which it drops once the mounts are made.
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)
    return "user namespace"


def mount_private_view(hide: tuple[str, ...]) -> None:
    """Make every mount read-only (keeping the flags a user namespace may not drop), fresh private tmpfs
    on the shared temporary folders (with Python's own folders bound back where they live under one), and an
    empty tmpfs over each folder in `hide`."""
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")
    for point, flags in _mounts():
        if point.split("/")[1] not in ("proc", "sys", "dev"):  # kernel interfaces and devices stay
            _check(_libc.mount(None, point.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags, None),
                   f"read-only {point}")
    keep = {path: os.open(path, os.O_RDONLY | os.O_DIRECTORY) for path in needed_under(tuple(SHARED_TMP))}
    for folder, size in SHARED_TMP.items():
        if os.path.isdir(folder):
            _check(_libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                               f"size={size},nr_inodes={TMP_FILES},mode=1777".encode()), f"tmpfs on {folder}")
    for path, fd in keep.items():
        os.makedirs(path, exist_ok=True)
        _check(_libc.mount(f"/proc/self/fd/{fd}".encode(), path.encode(), None, MS_BIND | MS_REC, None),
               f"bind {path}")
        _check(_libc.mount(None, path.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY, None),
               f"read-only {path}")
        os.close(fd)
    for folder in hide:
        if os.path.isdir(folder):
            _check(_libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_RDONLY, b"size=4k,mode=000"),
                   f"hide {folder}")


def become_pid_one(zygote: int) -> None:
    """Fork into the PID namespace entered by `unshare`: the new process is its process 1, and this one
    only waits for it and exits with its status, or dies with the zygote (and killing this one ends the
    namespace, and every process in it). Returns in the new process only."""
    pid = os.fork()
    if pid:
        os.closerange(3, 1 << 16)  # the grader's socket among them: only the new process answers
        die_with_parent(zygote)
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    die_with_parent(None)


def die_with_parent(parent: int | None) -> None:
    """SIGKILL this process when its parent ends (cleared by any change of user id: call it after the last
    one). If the parent (`parent`, when it is visible from here) is already gone, end now."""
    _check(_libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "parent-death signal")
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def mount_proc() -> None:
    """A /proc of the new PID namespace: only the child's own processes."""
    _check(_libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "mount /proc")


def _mounts() -> list[tuple[str, int]]:
    """This namespace's mount points, each with the per-mount flags a read-only remount must keep (a
    user namespace may not drop nosuid, nodev, noexec or the atime flags it was given)."""
    keep = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
            "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}
    mounts = []
    with open("/proc/self/mountinfo") as info:
        for line in info:
            fields = line.split()
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            mounts.append((point, sum(keep.get(option, 0) for option in fields[5].split(","))))
    return mounts


def needed_under(roots: tuple[str, ...]) -> list[str]:
    """The outermost folders under `roots` that Python needs: its prefixes, sys.path, this package and the
    folders of the course's labs."""
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    # As named and as resolved: a venv reached through a symlink under /tmp is imported from by its name.
    named = [p for p in (sys.prefix, sys.base_prefix, package_root, *sys.path, *course.folders())
             if p and os.path.isdir(p)]
    wanted = {*map(os.path.abspath, named), *map(os.path.realpath, named)}
    inside = sorted(p for p in wanted if any(p == r or p.startswith(r + os.sep) for r in roots) and
                    p not in roots)
    return [p for i, p in enumerate(inside) if not any(p.startswith(q + os.sep) for q in inside[:i])]
