"""The untrusted side: confine this process, run a student's notebook cells, then answer calls.

Runs in a process forked from the warm zygote, so torch, transformers and the models are already loaded.
It receives cell sources and call requests, and sends back plain data only (see protocol.py). It is never
given an expected value or a hidden test.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import io
import os
import re
import resource
import signal
import socket
import sys
import tempfile
import traceback
from dataclasses import dataclass

from autograder.runner import guards, magics, protocol

CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWUSER = 0x40000000, 0x00020000, 0x10000000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 1 << 14, 1 << 18
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 2, 4, 8, 1024, 2048, 1 << 21
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")  # world-writable: each child gets fresh, private ones
CHILD_UID_BASE = 2_000_000_000  # + the child's pid: a user id no account and no other child has
MODEL_SPEC = "offline"  # the model set the zygote loaded; set there before forking, never from the notebook
PLACEHOLDERS = ("$model", "$tokenizer", "$tokenizer_without_unknown")  # arguments made in the child (pool.py)


@dataclass
class Limits:
    cell_timeout: float = 60.0  # seconds per notebook cell
    call_timeout: float = 30.0  # seconds per graded call
    memory_mb: int = 3072  # address space on top of what the warm process already maps
    max_processes: int = 64  # processes and threads the child may add (a fork bomb stops here)
    max_file_mb: int = 64  # largest file the child may write
    max_output: int = 20_000  # characters of printed output kept per cell
    hide: tuple[str, ...] = ()  # folders the child must not see (an empty tmpfs is mounted over each)


class Timeout(BaseException):
    """Raised in the child by its own alarm; BaseException so `except Exception` in student code misses it."""


class _CappedText(io.TextIOBase):
    """A stdout/stderr that keeps only the first `limit` characters (huge output costs nothing)."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.size = limit, [], 0

    def write(self, text) -> int:
        text = str(text)
        if self.size < self.limit:
            self.parts.append(text[: self.limit - self.size])
        self.size += len(text)
        return len(text)

    def take(self) -> str:
        out = "".join(self.parts) + ("\n[... output truncated]" if self.size > self.limit else "")
        self.parts, self.size = [], 0
        return out


def confine(limits: Limits) -> bool:
    """Own session; a private view of the file system (empty /tmp, hidden grading folders) and no network
    where the kernel allows it; resource limits; and, when started as root, a user id of its own. Returns
    whether the private namespaces were had."""
    os.setsid()
    as_root = os.getuid() == 0
    uid = CHILD_UID_BASE + os.getpid() if as_root else os.getuid()  # unique: children cannot touch each other
    isolated = _private_namespaces(as_root, limits.hide)
    workdir = tempfile.mkdtemp(prefix="autograder-child-", dir="/tmp")
    if as_root:
        os.chown(workdir, uid, uid)
    os.chdir(workdir)
    _refuse_sockets()
    for limit, value in ((resource.RLIMIT_AS, _vm_size() + limits.memory_mb * 2**20),
                         # A fresh uid (as root) owns no task yet; otherwise count what the user runs.
                         (resource.RLIMIT_NPROC, (0 if as_root else user_task_count(uid))
                          + limits.max_processes),
                         (resource.RLIMIT_FSIZE, limits.max_file_mb * 2**20),
                         (resource.RLIMIT_CORE, 0)):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(limit, (value, value))
    if as_root:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.umask(0o077)
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL") if k in os.environ}
    os.environ.clear()
    os.environ.update(keep, HOME=workdir, TMPDIR=workdir, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                      AUTOGRADER_MODELS=MODEL_SPEC)
    tempfile.tempdir = workdir
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p) and p != workdir]
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    return isolated


def _private_namespaces(as_root: bool, hide: tuple[str, ...]) -> bool:
    """New mount and network namespaces: a fresh tmpfs on /tmp, /var/tmp and /dev/shm (nothing shared with
    other children, nothing left behind), an empty tmpfs over each folder in `hide` (hidden suites,
    solutions, the class's submissions and results), and no network interface but a down loopback.
    As root directly; otherwise through a user namespace where the kernel allows one. False if neither."""
    libc = ctypes.CDLL(None, use_errno=True)
    flags = CLONE_NEWNS | CLONE_NEWNET
    if not as_root:
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(CLONE_NEWUSER | flags) != 0:
            return False
        for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
    elif libc.unshare(flags) != 0:
        return False
    libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    # Nothing the grader's user may write is the child's to write (the grader package, Python, the offline
    # kit, the user's home: without root the child is that user): every mount read-only, then fresh
    # private tmpfs where it may write.
    for point, flags in _mounts():
        if point.split("/")[1] not in ("proc", "sys", "dev"):  # kernel interfaces and devices stay
            libc.mount(None, point.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags, None)
    # Python, its packages and this package may live under /tmp (a venv or a checkout there): keep a handle
    # on each such folder and mount it back, read-only, on top of the fresh tmpfs.
    keep = {path: os.open(path, os.O_RDONLY | os.O_DIRECTORY) for path in _needed_under(SHARED_TMP)}
    for folder in SHARED_TMP:
        if os.path.isdir(folder):
            libc.mount(b"tmpfs", folder.encode(), b"tmpfs", 0, b"size=512m,mode=1777")
    for path, fd in keep.items():
        os.makedirs(path, exist_ok=True)
        libc.mount(f"/proc/self/fd/{fd}".encode(), path.encode(), None, MS_BIND | MS_REC, None)
        libc.mount(None, path.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY, None)
        os.close(fd)
    for folder in hide:
        if os.path.isdir(folder):
            libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_RDONLY, b"size=4k,mode=000")
    return True


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


def _needed_under(roots: tuple[str, ...]) -> list[str]:
    """The outermost folders under `roots` that Python needs: its prefixes, sys.path and this package."""
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    wanted = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, package_root, *sys.path)
              if p and os.path.isdir(p)}
    inside = sorted(p for p in wanted if any(p == r or p.startswith(r + os.sep) for r in roots) and
                    p not in roots)
    return [p for i, p in enumerate(inside) if not any(p.startswith(q + os.sep) for q in inside[:i])]


def _refuse_sockets() -> None:
    """Sockets refused at the Python level too (for a clear message, and where no namespace was had)."""

    def refuse(*args, **kwargs):
        raise OSError("network access is disabled while grading")

    socket.socket.connect = socket.socket.connect_ex = refuse
    socket.create_connection = socket.getaddrinfo = refuse


def _vm_size() -> int:
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


@contextlib.contextmanager
def alarm(seconds: float):
    def expire(signum, frame):
        raise Timeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _student_frames_only(exc: BaseException) -> str:
    """The exception with only the student's own frames (cells), as the student would see it in Jupyter."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<cell")]
    where = f" (cell {frames[-1].filename[6:-1]}, line {frames[-1].lineno})" if frames else ""
    message = str(exc).splitlines()[0][:300] if str(exc) else ""
    return f"{type(exc).__name__}: {message}{where}" if message else f"{type(exc).__name__}{where}"


class Child:
    def __init__(self, sock: socket.socket, limits: Limits):
        self.sock, self.limits, self.pid = sock, limits, os.getpid()
        # get_ipython: what the cells' magics and shell escapes call (see magics.py), a stand-in doing nothing
        self.namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": magics.get_ipython}
        self.stdout = _CappedText(limits.max_output)

    def run_cells(self, cells: list[str], skip: set[int], isolated: bool) -> None:
        sys.stdout = sys.stderr = self.stdout
        for index, source in enumerate(cells):
            if index in skip:
                continue
            protocol.send(self.sock, {"event": "cell", "index": index})
            error = None
            try:
                code = compile(magics.to_python(source), f"<cell {index}>", "exec")
                with alarm(self.limits.cell_timeout):
                    exec(code, self.namespace)
            except Timeout:
                error = f"did not finish within {self.limits.cell_timeout:g} s"
            except SystemExit:
                error = "called sys.exit() or exit(); the rest of the cell was skipped"
            except BaseException as exc:
                error = _student_frames_only(exc)
            self._stop_if_forked_copy()
            protocol.send(self.sock, {"event": "cell_done", "index": index, "error": error,
                                      "output": self.stdout.take()})
        protocol.send(self.sock, {"event": "ready", "isolated": isolated})

    def serve(self) -> None:
        while True:
            try:
                request = protocol.receive(self.sock, trusted=True)
            except (EOFError, OSError):
                return
            protocol.send(self.sock, self.answer(request))

    def answer(self, request: dict) -> dict:
        name = request.get("function")
        function = self.namespace.get(name)
        if not callable(function):
            return {"ok": False, "kind": "missing", "error": f"no function named {name}() was defined"}
        try:
            args = [self._resolve(a) for a in protocol.decode(request.get("args", []))]
        except Exception as exc:  # a bad message, or models the notebook broke: not the function's fault
            return {"ok": False, "kind": "internal", "error": f"could not prepare the arguments ({exc})"}
        spied = {spy: 0 for spy in request.get("spy", [])}
        originals = {spy: self.namespace.get(spy) for spy in spied}
        for spy, original in originals.items():
            if callable(original):
                self.namespace[spy] = _counting(original, spied, spy)
        try:
            with alarm(self.limits.call_timeout), guards.forbidding(request.get("forbid", [])):
                value = function(*args)
            if guards.violations:
                raise guards.ForbiddenCall(guards.violations[0])
        except guards.ForbiddenCall:
            return {"ok": False, "kind": "forbidden", "error": f"used {guards.violations[0]}"}
        except Timeout:
            return {"ok": False, "kind": "timeout",
                    "error": f"did not return within {self.limits.call_timeout:g} s"}
        except SystemExit:
            return {"ok": False, "kind": "raised", "error": "called sys.exit()"}
        except BaseException as exc:
            return {"ok": False, "kind": "raised", "error": _student_frames_only(exc)}
        finally:
            self._stop_if_forked_copy()
            self.namespace.update({k: v for k, v in originals.items() if v is not None})
            self.stdout.take()
        try:
            return {"ok": True, "value": protocol.encode(value), "spied": spied}
        except TypeError as exc:
            return {"ok": False, "kind": "type", "error": f"returned {exc}; return numbers, strings, lists, "
                                                          "tuples, dicts and tensors"}

    def _stop_if_forked_copy(self) -> None:
        """A process the student forked must not get back into this loop and answer in the child's name."""
        if os.getpid() != self.pid:
            os._exit(0)

    @staticmethod
    def _resolve(arg):
        """Model placeholders become this process's own copy of the model (or tokenizer) of that role."""
        if type(arg) is dict and len(arg) == 1 and next(iter(arg)) in PLACEHOLDERS:
            from autograder.models import load_pair, without_unknown_token

            kind, role = next(iter(arg.items()))
            tokenizer, model = load_pair(role, spec=MODEL_SPEC)
            if kind == "$tokenizer_without_unknown":
                return without_unknown_token(tokenizer)
            return model if kind == "$model" else tokenizer
        return arg


def _counting(function, counts: dict, name: str):
    def counted(*args, **kwargs):
        counts[name] += 1
        return function(*args, **kwargs)

    return counted


def main(sock: socket.socket, limits: Limits) -> None:
    """Entry point in the forked child: {"cells", "skip"} first, then calls until the parent hangs up."""
    isolated = confine(limits)
    guards.install()
    child = Child(sock, limits)
    start = protocol.receive(sock, trusted=True)
    child.run_cells(start["cells"], set(start.get("skip", [])), isolated)
    child.serve()
