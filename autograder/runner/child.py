"""The untrusted side: confine this process, run a student's notebook cells, then answer calls.

Runs in a process forked from the warm zygote, so torch, transformers and the models are already loaded.
It receives cell sources and call requests, and sends back plain data only (see protocol.py). It is never
given an expected value or a hidden test.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import signal
import socket
import sys
import threading
import traceback
from dataclasses import dataclass

import torch

from autograder.runner import confinement, guards, magics, protocol
from autograder.runner.placeholders import PLACEHOLDERS

MODEL_SPEC = "offline"  # the model set the zygote loaded; set there before forking, never from the notebook
FORBIDDEN = ""  # the lab's module of forbidden families (guards.py); set by the zygote likewise


@dataclass
class Limits:
    cell_timeout: float = 60.0  # seconds per notebook cell
    call_timeout: float = 30.0  # seconds per graded call
    memory_mb: int = 3072  # address space on top of what the warm process already maps
    max_processes: int = 64  # processes and threads the child may add (a fork bomb stops here)
    max_file_mb: int = 64  # largest file the child may write
    max_output: int = 20_000  # characters of printed output kept per cell
    submission_budget: float = 240.0  # wall-clock seconds for all of one submission's cells and calls
    hide: tuple[str, ...] = ()  # folders the child must not see or write (see confinement.py)


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


def _refuse_sockets() -> None:
    """Sockets refused at the Python level too, for a clear message (the seccomp filter refuses them all)."""

    def refuse(*args, **kwargs):
        raise OSError("network access is disabled while grading")

    socket.socket.connect = socket.socket.connect_ex = refuse
    socket.create_connection = socket.getaddrinfo = refuse


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

    def run_cells(self, cells: list[str], skip: set[int]) -> None:
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
        protocol.send(self.sock, {"event": "ready"})

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
        flipped = set(request.get("flip", []))
        originals = {name: self.namespace.get(name) for name in {*spied, *flipped}}
        for name, original in originals.items():
            if callable(original):
                self.namespace[name] = _counting(_flipping(original) if name in flipped else original,
                                                 spied, name)
        used: list[str] = []
        lock = threading.Lock()

        def report(label: str) -> None:  # the parent hears of the first violation at once (any thread)
            with lock:
                if not used:
                    protocol.send(self.sock, {"event": "violation", "label": label})
                used.append(label)

        try:
            with alarm(self.limits.call_timeout), guards.forbidding(request.get("forbid", []), report):
                value = function(*args)
            if used:
                raise guards.ForbiddenCall(used[0])
        except guards.ForbiddenCall:  # raised only after `report`
            return {"ok": False, "kind": "forbidden", "error": f"used {(used or ['a guarded call'])[0]}"}
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
        if name in counts:
            counts[name] += 1
        return function(*args, **kwargs)

    return counted


def _flipping(softmax):
    """The student's `softmax(logits, dim=-1)`, its result reversed along `dim`: a graded function whose
    answer really comes from it answers differently, in a way the grader can predict."""
    def flipped(*args, **kwargs):
        out = softmax(*args, **kwargs)
        dim = kwargs.get("dim", args[1] if len(args) > 1 else -1)
        return out.flip(dim) if isinstance(out, torch.Tensor) and isinstance(dim, int) else out

    return flipped


def main(sock: socket.socket, limits: Limits) -> None:
    """Entry point in the forked child: confined, it reports what confinement it got, before any student code
    runs; then {"cells", "skip"}, then calls until the parent hangs up."""
    layers = confinement.confine(limits, keep_fd=sock.fileno())
    os.environ["AUTOGRADER_MODELS"] = MODEL_SPEC
    _refuse_sockets()
    guards.install(FORBIDDEN)
    child = Child(sock, limits)
    protocol.send(sock, {"event": "confined", "layers": layers})
    start = protocol.receive(sock, trusted=True)
    child.run_cells(start["cells"], set(start.get("skip", [])))
    child.serve()
