"""The trusted side of execution: a warm zygote, and one confined child per student notebook.

    with Zygote("offline") as zygote:
        part = StudentProcess(zygote, cells)        # runs the cells, cell by cell
        reply = part.call("softmax", logits, -1, forbid=["softmax"])

A child that dies or hangs (os._exit, a segfault, a memory bomb, an endless loop) is killed and replaced; the
cell that killed it is skipped from then on, so one bad cell costs that cell, and one bad call that call.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import course
from autograder.errors import GraderFault
from autograder.runner import confinement, protocol, tampering
from autograder.runner.child import Limits

GRACE = 10.0  # seconds the parent waits beyond the child's own alarm before killing it
# Bytes of one message from a child: a cell's report, or a graded call's answer. A call whose answer may
# legitimately be larger (hidden states, a vocabulary's logits per step) says how many numbers it holds
# (`answer_size`, see `reply_limit`). Anything over the cap is refused unread, so no reply can make the
# grader's memory grow beyond what that call's real answer needs.
MESSAGE_LIMIT = 2**20
# A number as a student may return it: 8 bytes of float64 tensor data (11 in base64), or a JSON float in a
# list such as "-0.12345678901234567," (about 22).
BYTES_PER_NUMBER = 32


class StudentFailure(Exception):
    """A graded call did not produce a value: it raised, timed out, crashed, or broke a rule."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def model(role: str) -> dict:
    """An argument that the child replaces with its own copy of the model of `role`."""
    return {"$model": role}


def tokenizer(role: str, unknown_token: bool = True) -> dict:
    """An argument that the child replaces with its own copy of the tokenizer of `role`; with
    `unknown_token=False`, with a copy of it that names no unknown token (`models.without_unknown_token`)."""
    return {"$tokenizer" if unknown_token else "$tokenizer_without_unknown": role}


WEAK_ISOLATION = "AUTOGRADER_ALLOW_WEAK_ISOLATION"


def reply_limit(answer_size: int) -> int:
    """Bytes a call's reply may have when its answer holds at most `answer_size` numbers."""
    return MESSAGE_LIMIT + BYTES_PER_NUMBER * answer_size


def describe(layers: dict[str, str]) -> str:
    """One line: each confinement layer and what the child got."""
    return "; ".join(f"{layer}: {value}" for layer, value in layers.items())


def grader_secrets() -> list[Path]:
    """What a child must never read: the hidden suites of every copy of this package on sys.path (Gradescope
    has two: the installed one and the bundle's) and of the course's own labs, and in a course repository
    its solutions, tests and history."""
    package = Path(__file__).resolve().parent.parent
    copies = {package, *(Path(p, "autograder").resolve() for p in sys.path
                         if p and Path(p, "autograder").is_dir())}
    found = [hidden for copy in sorted(copies) for hidden in (copy / "labs").glob("*/hidden")]
    # A course's own labs (course.folders): their hidden suites, and the solutions a lab keeps beside them.
    found += [secret for folder in course.folders()[1:] for name in ("hidden", "solutions")
              for secret in Path(folder).glob(f"*/{name}")]
    repo = package.parent
    if (repo / "pyproject.toml").is_file():
        found += [repo / name for name in ("solutions", "tests", ".git") if (repo / name).is_dir()]
    return found


class Zygote:
    """The warm worker process (see zygote.py) from which children are forked."""

    def __init__(self, spec: str, limits: Limits | None = None, hide: tuple[Path, ...] = (),
                 allow_weak: bool | None = None, roles: tuple[str, ...] = (), forbidden: str = ""):
        """`spec`: the model set, resolved here, once (the zygote and its children get the result, not the
        spec: they may not be able to read its file). `hide`: folders the children must not see, on top
        of the grader's own (see `grader_secrets`). `allow_weak`: grade even where a child's confinement
        lacks a guarantee (see confinement.GUARANTEES); default from $AUTOGRADER_ALLOW_WEAK_ISOLATION.
        `roles`: the models the children use, loaded before any fork; `forbidden`: the module of the lab's
        forbidden families (see guards.py)."""
        from autograder.models import resolve, selected_spec
        from autograder.models.registry import pin

        model_set = resolve(spec, default="offline")
        pin(selected_spec(spec, default="offline"), model_set)  # the reference models come from it too
        resolved = model_set.to_json()
        self.limits = dataclasses.replace(limits or Limits(), hide=tuple(
            sorted({str(p.resolve()) for p in (*grader_secrets(), *hide)})))
        self.control, theirs = socket.socketpair()
        # No thread pools in tokenizers: children are forked, and threads count against their process limit.
        env = {**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"),
               "TOKENIZERS_PARALLELISM": "false"}
        # From "/" and with -P (3.11+): a torch.py or autograder.py in the caller's folder is never imported.
        safe_path = ["-P"] if sys.version_info >= (3, 11) else []
        needs = json.dumps({"roles": list(roles), "forbidden": forbidden})
        self.process = subprocess.Popen([sys.executable, *safe_path, "-m", "autograder.runner.zygote",
                                         str(theirs.fileno()), resolved, needs], pass_fds=[theirs.fileno()],
                                        env=env, cwd="/")
        theirs.close()
        self._ready = False  # it warms up in the background; the first spawn waits for it
        self._lock = contextlib.nullcontext()  # until `share`
        self.allow_weak = os.environ.get(WEAK_ISOLATION) == "1" if allow_weak is None else allow_weak
        self._layers: dict[str, str] | None = None

    def check(self, layers: dict[str, str]) -> list[str]:
        """The guarantees a child with these layers lacks; GraderFault if any, unless weak isolation is
        allowed. Every path (grade, grade-all, nbgrader, Gradescope, Classroom) goes through here."""
        weak = confinement.missing(layers)
        if weak and not self.allow_weak:
            raise GraderFault(f"the sandbox for student code lacks: {'; '.join(weak)} ({describe(layers)}). "
                              f"Grade as root or where Landlock and user namespaces are enabled, or accept "
                              f"this with --allow-weak-isolation ({WEAK_ISOLATION}=1)")
        return weak

    def confinement(self) -> dict[str, str]:
        """What a child gets on this machine: one child is forked to see (once), and checked."""
        if self._layers is None:
            probe = StudentProcess(self, [])
            try:
                probe.start()
            finally:
                probe.close()
            self._layers = probe.confinement
        return self._layers

    def _wait_ready(self) -> None:
        if not self._ready:
            try:
                protocol.receive(self.control, trusted=True)
            except EOFError:
                raise RuntimeError("the grading worker failed to start (see the messages above)") from None
            self._ready = True

    def share(self) -> None:
        """Make this zygote safe to use from processes forked after this call (`grade-all --jobs`): one
        request and its reply at a time on the shared control socket."""
        self._wait_ready()
        self._lock = multiprocessing.get_context("fork").Lock()

    def spawn(self) -> tuple[int, socket.socket]:
        self._wait_ready()
        with self._lock:
            protocol.send(self.control, {"op": "spawn", "limits": dataclasses.asdict(self.limits)})
            data, fds, _, _ = socket.recv_fds(self.control, 64, 1)
        return int(data), socket.socket(fileno=fds[0])

    def kill(self, pid: int) -> None:
        with self._lock:
            protocol.send(self.control, {"op": "kill", "pid": pid})

    def close(self) -> None:
        self.control.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@dataclass
class CellReport:
    index: int
    error: str | None = None
    output: str = ""


@dataclass
class StudentProcess:
    """One student's notebook, executed in a child, answering calls."""

    zygote: Zygote
    cells: list[str]
    reports: dict[int, CellReport] = field(default_factory=dict)
    fatal: set[int] = field(default_factory=set)  # cells that killed or hung a child: skipped from then on
    timed_out: set[str] = field(default_factory=set)  # functions that hung once: not called again
    confinement: dict[str, str] = field(default_factory=dict)  # layer -> what the child got (confinement.py)
    last_spied: dict[str, int] = field(default_factory=dict)  # calls counted by the last call's `spy`
    restarts: int = 0
    deadline: float | None = None  # the submission's budget, shared by its parts (time.monotonic())
    _pid: int | None = None
    _sock: socket.socket | None = None

    def __post_init__(self):
        self.tampered = tampering.scan(self.cells)  # static, here in the parent: the guards run in the child

    def begin(self) -> None:
        """Fork a child and hand it the cells; it runs them while the caller goes on (then `start`)."""
        self._pid, self._sock = self.zygote.spawn()
        self._sock.settimeout(self.zygote.limits.cell_timeout + GRACE)
        protocol.send(self._sock, {"cells": self.cells, "skip": sorted(self.fatal)})

    def start(self) -> None:
        """Wait until the cells have run in a child (forked here unless `begin` did); when a cell kills or
        hangs it, start again without that cell."""
        while True:
            if self._out_of_time():
                self._end()
                first = next((i for i in range(len(self.cells)) if i not in self.reports), None)
                if first is not None:
                    self.reports[first] = CellReport(first, f"{self._budget_note()}; this cell and the "
                                                            "ones after it did not run")
                return
            if self._sock is None:
                self.begin()
            current = None
            try:
                self._receive_confinement()
                while (event := self._next_event())["event"] != "ready":
                    current = event["index"]
                    if event["event"] == "cell_done":
                        self.reports[current] = CellReport(current, event["error"], event["output"])
                        current = None
                return
            except (EOFError, OSError, protocol.ProtocolError) as exc:
                self._end()
                if self._out_of_time():
                    continue  # said once, at the top
                if current is None:  # died outside any cell: nothing to skip, so do not loop
                    raise RuntimeError(f"the grading child failed before running any cell: {exc}") from None
                self.fatal.add(current)
                self.restarts += 1
                why = "did not finish in time" if isinstance(exc, TimeoutError) else (
                    "ended the process (os._exit, a crash or a resource limit)")
                self.reports[current] = CellReport(current, f"{why}; the cell was skipped")

    def _receive_confinement(self) -> None:
        """The child's first message, sent before any student code ran: what confinement it got. Checked
        against the policy (`Zygote.check`) before the student's cells go on."""
        event = protocol.receive(self._sock, MESSAGE_LIMIT, self._within(self.zygote.limits.cell_timeout))
        layers = event.get("layers") if event.get("event") == "confined" else None
        if type(layers) is not dict or not all(type(k) is str and type(v) is str for k, v in layers.items()):
            raise protocol.ProtocolError("no confinement report")
        self.confinement = {k[:40]: v[:300] for k, v in list(layers.items())[:20]}
        try:
            self.zygote.check(self.confinement)
        except GraderFault:
            self._end()
            raise

    def _next_event(self) -> dict:
        """The child's next cell event, checked field by field (it is written by a process the student's
        code runs in), within one cell's time: a cell that trickles bytes cannot stretch it."""
        limits = self.zygote.limits
        event = protocol.receive(self._sock, MESSAGE_LIMIT, self._within(limits.cell_timeout))
        kind, index = event.get("event"), event.get("index")
        if kind == "ready":
            return event
        if kind not in ("cell", "cell_done") or type(index) is not int or not 0 <= index < len(self.cells):
            raise protocol.ProtocolError("a malformed cell event")
        if kind == "cell_done":
            error, output = event.get("error"), event.get("output")
            if not (error is None or type(error) is str) or type(output) is not str:
                raise protocol.ProtocolError("a malformed cell report")
            event.update(error=error if error is None else error[:500], output=output[:limits.max_output])
        return event

    def call(self, function: str, *args, forbid: tuple[str, ...] = (), spy: tuple[str, ...] = (),
             flip: tuple[str, ...] = (), answer_size: int = 0):
        """The plain-data value of `function(*args)` in the child; StudentFailure if there is none.

        `forbid` names guard families ("softmax", "generate") that must not be used during the call; `spy`
        names functions of the notebook whose calls are counted (see `last_spied`); `flip` names softmax-like
        functions of the notebook whose result is reversed along its `dim` during the call (a result that
        really comes from them changes predictably). `answer_size` bounds the numbers a correct answer holds,
        for a call whose answer may pass `MESSAGE_LIMIT` (`reply_limit`).
        """
        if self._out_of_time():
            raise StudentFailure("timeout", f"{function}() was not called: {self._budget_note()}")
        if function in self.timed_out:
            raise StudentFailure("timeout", f"{function}() did not return in time in an earlier test, so it "
                                            "was not called again")
        if forbid and self.tampered:
            raise StudentFailure("forbidden", f"the notebook reaches into the grader's checks "
                                              f"({self.tampered}), so {function}() cannot be checked for "
                                              f"{', '.join(forbid)}")
        if self._sock is None:
            self.start()
        request = {"function": function, "args": protocol.encode(list(args)), "forbid": list(forbid),
                   "spy": list(spy), "flip": list(flip)}
        deadline, limit = self._within(self.zygote.limits.call_timeout), reply_limit(answer_size)
        violation = None
        try:
            self._sock.settimeout(max(deadline - time.monotonic(), 0.001))
            protocol.send(self._sock, request)
            while (reply := protocol.receive(self._sock, limit, deadline)).get("event") == "violation":
                if violation is not None:  # the child sends one; more is not the grader's child talking
                    raise protocol.ProtocolError("more than one violation report")
                violation = str(reply.get("label"))[:200]
        except TimeoutError:
            self._restart()
            if self._out_of_time():
                raise StudentFailure("timeout", f"{function}() did not return: {self._budget_note()}") \
                    from None
            self.timed_out.add(function)
            raise StudentFailure("timeout", f"{function}() did not return in time") from None
        except (EOFError, OSError):
            self._restart()
            raise StudentFailure("crash", f"{function}() ended the process (os._exit, a crash, or a "
                                          "memory or process limit)") from None
        except protocol.ProtocolError as exc:
            self._restart()
            raise StudentFailure("type", f"{function}()'s process sent the grader {exc}, which it "
                                         "refuses") from None
        if violation is not None:  # told as it happened: whatever the student's code did after, it stands
            reply = {"ok": False, "kind": "forbidden", "error": f"used {violation}"}
        if not reply.get("ok"):
            if reply.get("kind") == "timeout":
                self.timed_out.add(function)
            if reply.get("kind") == "internal":  # the child could not set the call up: not the student
                raise GraderFault(f"{function}(): {str(reply.get('error'))[:500]}")
            raise StudentFailure(str(reply.get("kind")), f"{function}() {_describe(reply)}")
        spied = reply.get("spied")
        self.last_spied = {k: v for k, v in spied.items() if type(k) is str and type(v) is int} \
            if type(spied) is dict else {}
        try:
            return protocol.decode(reply["value"])
        except (KeyError, protocol.ProtocolError) as exc:
            raise StudentFailure("type", f"{function}() returned something unreadable: {exc}") from None

    def _within(self, seconds: float) -> float:
        """The deadline of a step the child's own alarm stops after `seconds`: that, plus a grace, and never
        past the submission's budget."""
        step = time.monotonic() + seconds + GRACE
        return step if self.deadline is None else min(step, self.deadline)

    def _out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def _budget_note(self) -> str:
        return (f"the submission used up its time budget ({self.zygote.limits.submission_budget:g} s for "
                "all its parts)")

    def _restart(self) -> None:
        self._end()
        self.restarts += 1

    def _end(self) -> None:
        if self._pid is not None:
            self.zygote.kill(self._pid)
        if self._sock is not None:
            self._sock.close()
        self._pid = self._sock = None

    def close(self) -> None:
        self._end()


def _describe(reply: dict) -> str:
    kind, error = reply.get("kind"), str(reply.get("error"))[:500]
    if kind == "missing":
        return "is missing: " + error
    if kind == "forbidden":
        return f"{error}, which this exercise asks you to do by hand"
    if kind == "raised":
        return "raised " + error
    return error
