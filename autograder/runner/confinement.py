"""Confine the forked child before any student code runs, in layers the confined process cannot remove.

    layers = confine(limits, keep_fd=sock.fileno())   # {"namespaces": "user namespace", "landlock": ...}
    missing(layers)                                    # the guarantees not had, for the parent's policy

In order: its own session; private namespaces (see namespaces.py) where the kernel allows them, with the
child as process 1 of its own PID namespace; an empty private working folder; resource limits; every
capability dropped and no way to gain one; a Landlock allow-list (see landlock.py); a seccomp filter (see
syscall_filter.py); a clean environment and no inherited file descriptor but the grader's socket; a Python
audit hook (see audit.py). Each
step's result is checked and recorded in the returned report (layer -> what was had, or "missing: why"):
the parent decides from it whether this machine's confinement is strong enough to grade with.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import tempfile

import pyprctl

from autograder import course
from autograder.models import kit
from autograder.runner import audit, landlock, namespaces, syscall_filter

CHILD_UID_BASE = 2_000_000_000  # + the child's pid: a user id no account and no other child has
MISSING = "missing"

# What the grader promises of a child, and the layers that each give it: one is enough.
GUARANTEES = {
    "hidden folders unreadable": (("landlock", "ABI"), ("mounts", "private")),
    "nothing written outside its folder": (("landlock", "ABI"), ("mounts", "private")),
    "no network": (("namespaces", ""), ("seccomp", "")),
    "cannot signal or trace the grader": (("pid", "own"), ("user", "own"), ("landlock", "ABI 6"),
                                          ("landlock", "ABI 7"), ("landlock", "ABI 8")),
    "no capabilities": (("capabilities", "none"),),
    "no mount, namespace, ptrace or exec calls": (("seccomp", ""),),
    "resource limits": (("limits", "set"),),
}


WEAK_ISOLATION = "AUTOGRADER_ALLOW_WEAK_ISOLATION"  # set: grade even where a guarantee is missing


def describe(layers: dict[str, str]) -> str:
    """One line: each confinement layer and what the child got."""
    return "; ".join(f"{layer}: {value}" for layer, value in layers.items())


def missing(layers: dict[str, str], guarantees: dict = GUARANTEES) -> list[str]:
    """The guarantees (keys of `guarantees`) that none of their layers gave."""
    def had(layer: str, prefix: str) -> bool:
        value = layers.get(layer, MISSING)
        return not value.startswith(MISSING) and value.startswith(prefix)

    return [name for name, ways in guarantees.items() if not any(had(*way) for way in ways)]


def confine(limits, keep_fd: int) -> dict[str, str]:
    """Confine this process (see the module docstring) within `limits` (child.Limits). Returns the report of
    what it got."""
    hide = limits.hide
    layers: dict[str, str] = {}
    zygote, outer_pid = os.getppid(), os.getpid()
    os.setsid()
    as_root = os.getuid() == 0
    uid = CHILD_UID_BASE + os.getpid() if as_root else os.getuid()  # unique: children cannot touch each other
    how = _enter_namespaces(as_root, uid, layers)
    if how:
        layers["mounts"] = step(lambda: namespaces.mount_private_view(hide) or "private")
        namespaces.become_pid_one(zygote)
        parent = None  # the waiter, outside this PID namespace
        layers["pid"] = "own namespace" + (", own /proc" if step(namespaces.mount_proc) == "done" else "")
    else:
        layers["mounts"] = layers["pid"] = f"{MISSING}: no namespaces"
        parent = zygote
    private_tmp = layers["mounts"] == "private"
    workdir = _make_workdir(workdir_name(zygote, outer_pid))
    writable = [workdir, *(tuple(namespaces.SHARED_TMP) if private_tmp else ())]
    try:  # the kit's folder is named by the grader's environment, and opened with the grader's user id
        allowed, listable = readable(hide)
        rules = landlock.ruleset(allowed, writable, DEVICES, listable)
    except OSError as exc:
        rules, layers["landlock"] = None, f"{MISSING}: {exc}"
    if how == "direct":  # root in the grader's own user namespace: drop to the child's user id
        os.chown(workdir, uid, uid)
        _drop_bounding_set()
        _become(uid)
    layers["user"] = "own" if as_root else "the grader's"
    os.chdir(workdir)
    layers["limits"] = set_limits(as_root, uid, limits)
    layers["capabilities"] = drop_capabilities()
    namespaces.die_with_parent(parent)  # after the last change of user id, which would clear it
    if rules is not None:
        layers["landlock"] = step(lambda: f"ABI {landlock.enforce(rules)}")
    layers["seccomp"] = step(syscall_filter.install)
    _clean_process(workdir, keep_fd)
    layers["audit"] = audit.install()  # last: the steps above use ctypes
    return layers


# The devices a child may open: True where it may also write.
DEVICES = {"/dev/null": True, "/dev/zero": False, "/dev/full": True, "/dev/urandom": False,
           "/dev/random": False}


def workdir_name(zygote: int, child: int) -> str:
    """The child's working folder: in its private /tmp, or, without namespaces, in the host's, where the
    zygote removes it when the child ends (see zygote.kill)."""
    return f"/tmp/autograder-child-{zygote}-{child}"


def _make_workdir(path: str) -> str:
    try:
        os.mkdir(path, 0o700)
        return path
    except FileExistsError:  # left by an earlier child of another zygote with the same pids
        return tempfile.mkdtemp(prefix="autograder-child-", dir="/tmp")


def step(action) -> str:
    """Run one confinement step: what it returned (or "done"), else "missing: <why>"."""
    try:
        return action() or "done"
    except (OSError, ImportError, AttributeError) as exc:
        return f"{MISSING}: {exc}"


def _enter_namespaces(as_root: bool, uid: int, layers: dict[str, str]) -> str | None:
    """Private namespaces: directly as root, else (root without CAP_SYS_ADMIN, as in a default container, or
    not root) through a user namespace, as the child's own user id. How they were had, or None."""
    if as_root:
        with contextlib.suppress(OSError):
            layers["namespaces"] = namespaces.unshare_directly()
            return "direct"
        _become(uid)  # a user namespace can map only its creator's own id
        pyprctl.set_dumpable(True)  # cleared by the change of user id; /proc/self is root's without it
    result = step(namespaces.unshare_as_user)
    layers["namespaces"] = result
    if as_root:
        pyprctl.set_dumpable(False)
    return None if result.startswith(MISSING) else "user"


def _become(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid):
        raise OSError(f"could not become user {uid}")


def _drop_bounding_set() -> None:
    """No capability can come back through a program run later (also refused by the seccomp filter)."""
    for cap in pyprctl.Cap:
        with contextlib.suppress(OSError):
            pyprctl.capbset_drop(cap)


def drop_capabilities() -> str:
    """Clear every capability set (in a user namespace the child holds them all over its own namespaces:
    enough to undo its mounts), forbid gaining any, and read back what the kernel says is left."""
    with contextlib.suppress(OSError):
        _drop_bounding_set()
        pyprctl.cap_ambient_clear_all()
        pyprctl.CapState().set_current()
    pyprctl.set_no_new_privs()
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status if line.startswith("Cap"))
    held = {name: fields[name].strip() for name in ("CapInh", "CapPrm", "CapEff", "CapAmb")
            if int(fields[name], 16)}
    return "none" if not held else f"{MISSING}: still held: {held}"


def set_limits(fresh_uid: bool, uid: int, limits) -> str:
    """Address space (`limits.memory_mb` beyond what this process maps), processes and threads, file size,
    no core dumps; each checked by reading it back."""
    wanted = {resource.RLIMIT_AS: vm_size() + limits.memory_mb * 2**20,
              # A fresh uid (a root child's) owns no task yet; otherwise count what the user runs.
              resource.RLIMIT_NPROC: (0 if fresh_uid else user_task_count(uid)) + limits.max_processes,
              resource.RLIMIT_FSIZE: limits.max_file_mb * 2**20, resource.RLIMIT_CORE: 0}
    failed = []
    for limit, value in wanted.items():
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(limit, (value, value))
        if resource.getrlimit(limit) != (value, value):
            failed.append(str(limit))
    return f"{MISSING}: could not set limits {failed}" if failed else "set"


def readable(hide: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """What the child may read: Python and its packages, this package and the folders of the course's other
    labs, the model kit and the Hub's cache, the system's libraries and settings, /proc and /sys, but
    nothing in `hide` (hidden suites, solutions,
    the class's submissions and results). A checkout on sys.path gives only this package, not the
    repository around it. Returns (paths to read beneath, folders only to list): the folders above a
    hidden one must be listable, or Python cannot import from them (listing shows names, not contents)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    roots = {sys.prefix, sys.base_prefix, package, str(kit.default_root()), "/usr", "/lib", "/lib64", "/etc",
             "/proc", "/sys", *course.folders()}
    hub = sys.modules.get("huggingface_hub.constants")
    if hub is not None:
        roots.add(hub.HF_HUB_CACHE)
    for entry in sys.path:
        holds_package = os.path.realpath(os.path.join(entry, "autograder")) == os.path.realpath(package)
        if not holds_package or os.path.basename(entry) in ("site-packages", "dist-packages"):
            roots.add(entry)
    excluded = {os.path.realpath(p) for p in hide}
    found: list[str] = []
    listable: set[str] = set()
    for root in sorted({os.path.realpath(r) for r in roots if r and os.path.exists(r)}):
        found += _beneath_except(root, excluded)
        for path in excluded:
            if path.startswith(root + os.sep):
                parts = os.path.relpath(os.path.dirname(path), root).split(os.sep)
                listable.update(os.path.normpath(os.path.join(root, *parts[:i]))
                                for i in range(len(parts) + 1))
    return found, sorted(listable)


def _beneath_except(root: str, excluded: set[str], seen: set[str] | None = None) -> list[str]:
    """Paths whose subtrees together cover `root` minus every path in `excluded` (Landlock only allows, so
    the siblings of an excluded folder are allowed one by one, down to it). A link is taken for what it
    reaches, as Landlock takes it: a venv's `lib64 -> lib`, allowed as a plain entry, would allow the
    whole of `lib`, hidden suites installed there included."""
    seen = set() if seen is None else seen
    if root in seen or root in excluded or any(root.startswith(e + os.sep) for e in excluded):
        return []
    seen.add(root)
    if not any(e.startswith(root + os.sep) for e in excluded):
        return [root]
    found = []
    with contextlib.suppress(OSError), os.scandir(root) as entries:
        for entry in entries:
            path = os.path.realpath(os.path.join(root, entry.name))
            if os.path.isdir(path):
                found += _beneath_except(path, excluded, seen)
            elif path not in excluded and not any(path.startswith(e + os.sep) for e in excluded):
                found.append(path)
    return found


def vm_size() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def user_task_count(uid: int) -> int:
    """Processes and threads of `uid`: RLIMIT_NPROC counts both, across the whole machine."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError), open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
                if int(fields["Uid"].split()[0]) == uid:
                    count += int(fields["Threads"])
    return count


def _clean_process(workdir: str, keep_fd: int) -> None:
    """Only the grader's variables, no file descriptor but `keep_fd` (standard streams on /dev/null: the
    grader's terminal is not the child's), Python's temporary files in the working folder."""
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL") if k in os.environ}
    os.environ.clear()
    os.environ.update(keep, HOME=workdir, TMPDIR=workdir, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    tempfile.tempdir = workdir
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p) and p != workdir]
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, 1 << 16)
