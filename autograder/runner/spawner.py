"""The parent's handle on the warm zygote (zygote.py): start it, have it fork a confined child, kill one.

    with Zygote("offline", roles=lab.roles, forbidden=lab.forbidden) as zygote:
        pid, sock = zygote.spawn()        # a child, confined before it reads its first message

What a child gets is checked against the confinement policy (`Zygote.check`, confinement.GUARANTEES) on
every path the grader runs.
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
from pathlib import Path

from autograder.errors import GraderFault
from autograder.runner import confinement, protocol
from autograder.runner.child import Limits
from autograder.runner.confinement import WEAK_ISOLATION, describe
from autograder.runner.hidden import grader_secrets


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
            from autograder.runner.student import StudentProcess  # which holds a Zygote: imported late

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
