"""The trusted side of execution: one confined child per student notebook, and the calls made into it.

    part = StudentProcess(zygote, cells)        # runs the cells, cell by cell
    reply = part.call("softmax", logits, -1, forbid=["softmax"])

A child that dies or hangs (os._exit, a segfault, a memory bomb, an endless loop) is killed and replaced; the
cell that killed it is skipped from then on, so one bad cell costs that cell, and one bad call that call.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from autograder.errors import GraderFault
from autograder.runner import namespaces, protocol, tampering
from autograder.runner.confinement import MISSING, workdir_name
from autograder.runner.spawner import Zygote

GRACE = 10.0  # seconds the parent waits beyond the child's own alarm before killing it
# Bytes of one message from a child: a cell's report, or a graded call's answer. A call whose answer may
# legitimately be larger (hidden states, a vocabulary's logits per step) says how many numbers it holds
# (`answer_size`, see `reply_limit`). Anything over the cap is refused unread, so no reply can make the
# grader's memory grow beyond what that call's real answer needs.
MESSAGE_LIMIT = 2**20
# A number as a student may return it: 8 bytes of float64 tensor data (11 in base64), or a JSON float in a
# list such as "-0.12345678901234567," (about 22).
BYTES_PER_NUMBER = 32
# What a child's working folder may hold where it is on the host's disk (no namespaces): what its private
# /tmp holds elsewhere, counted while the grader waits on the child.
FOLDER_ENTRIES, FOLDER_BYTES = namespaces.TMP_FILES, int(namespaces.SHARED_TMP["/tmp"].rstrip("m")) * 2**20


class FolderFull(Exception):
    """The child's working folder outgrew FOLDER_ENTRIES or FOLDER_BYTES."""


def folder_usage(path: str, most_entries: int) -> tuple[int, int]:
    """(entries, bytes on disk) beneath `path`, counting no further than `most_entries` + 1 entries."""
    entries, used, folders = 0, 0, [path]
    while folders and entries <= most_entries:
        try:
            listing = os.scandir(folders.pop())
        except OSError:
            continue
        with listing:
            for entry in listing:
                entries += 1
                try:
                    used += entry.stat(follow_symlinks=False).st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
                except OSError:
                    continue
                if entries > most_entries:
                    break
    return entries, used


class StudentFailure(Exception):
    """A graded call did not produce a value: it raised, timed out, crashed, or broke a rule."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def reply_limit(answer_size: int) -> int:
    """Bytes a call's reply may have when its answer holds at most `answer_size` numbers."""
    return MESSAGE_LIMIT + BYTES_PER_NUMBER * answer_size


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
    _watch: Callable[[], None] | None = None  # `_check_folder` where the child's folder is on the host

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
            except (EOFError, OSError, protocol.ProtocolError, FolderFull) as exc:
                self._end()
                if self._out_of_time():
                    continue  # said once, at the top
                if current is None:  # died outside any cell: nothing to skip, so do not loop
                    raise RuntimeError(f"the grading child failed before running any cell: {exc}") from None
                self.fatal.add(current)
                self.restarts += 1
                self.reports[current] = CellReport(current, f"{_ended(exc)}; the cell was skipped")

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
        on_host = self.confinement.get("mounts", MISSING).startswith(MISSING)
        self._watch = self._check_folder if on_host else None

    def _check_folder(self) -> None:
        """FolderFull if the child's working folder, on the host's disk, holds more than its private /tmp
        would (the child is then ended by the caller, and its folder removed by the zygote)."""
        entries, used = folder_usage(workdir_name(self.zygote.process.pid, self._pid), FOLDER_ENTRIES)
        if entries > FOLDER_ENTRIES or used > FOLDER_BYTES:
            raise FolderFull(f"filled its working folder (more than {FOLDER_ENTRIES} files or "
                             f"{FOLDER_BYTES // 2**20} MB); the process was ended")

    def _next_event(self) -> dict:
        """The child's next cell event, checked field by field (it is written by a process the student's
        code runs in), within one cell's time: a cell that trickles bytes cannot stretch it."""
        limits = self.zygote.limits
        event = protocol.receive(self._sock, MESSAGE_LIMIT, self._within(limits.cell_timeout),
                                 watch=self._watch)
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
            while (reply := protocol.receive(self._sock, limit, deadline, watch=self._watch)).get(
                    "event") == "violation":
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
        except FolderFull as exc:
            self._restart()
            raise StudentFailure("crash", f"{function}() {exc}") from None
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


def _ended(exc: Exception) -> str:
    """What ended a child in a cell, as its report says."""
    if isinstance(exc, TimeoutError):
        return "did not finish in time"
    if isinstance(exc, FolderFull):
        return str(exc)
    return "ended the process (os._exit, a crash or a resource limit)"


def _describe(reply: dict) -> str:
    kind, error = reply.get("kind"), str(reply.get("error"))[:500]
    if kind == "missing":
        return "is missing: " + error
    if kind == "forbidden":
        return f"{error}, which this exercise asks you to do by hand"
    if kind == "raised":
        return "raised " + error
    return error
