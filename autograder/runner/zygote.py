"""The warm worker: imports torch and transformers and loads the models once, then forks confined children.

Started by the grader as `python -m autograder.runner.zygote FD MODELS LAB` with one end of a socket pair as
FD, the model set the grader resolved, as JSON, and what the lab's children need, as JSON: the model roles
to load and the module of its forbidden families (see guards.py).
A fork is a copy-on-write snapshot of a process that holds no secret: the zygote never sees an expected
value or a hidden test, so neither can a child. It is a child subreaper, so processes a student's code
leaves behind are re-parented here and killed when their child is finished.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import shutil
import signal
import socket
import sys
import time

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36


def warm_up(resolved: str, lab_needs: str) -> None:
    """Load the lab's models from the model set the parent resolved (`ModelSet.to_json`) and guard its
    forbidden families: children inherit them, and the set itself, so they never read a model-set file or a
    model folder."""
    import torch

    # One thread per child: children run side by side (--jobs), and a fork never inherits a busy pool.
    torch.set_num_threads(1)
    from autograder.models import ModelSet, load_pair
    from autograder.models.registry import pin
    from autograder.runner import child, guards

    needs = json.loads(lab_needs)
    model_set = ModelSet.from_json(resolved)
    pin(model_set.name, model_set)
    child.MODEL_SPEC, child.FORBIDDEN = model_set.name, needs["forbidden"]
    for role in needs["roles"]:
        load_pair(role, spec=model_set.name)
    guards.install(child.FORBIDDEN)
    # Everything loaded so far is kept for good: the collector never walks it, so it never dirties the
    # pages children share with this process (copy-on-write stays shared).
    gc.freeze()


def spawn(control: socket.socket, limits: dict) -> int:
    from autograder.runner import child

    mine, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            control.close()
            mine.close()
            for number in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
                signal.signal(number, signal.SIG_DFL)
            child.main(theirs, child.Limits(**limits))
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    theirs.close()
    socket.send_fds(control, [str(pid).encode()], [mine.fileno()])
    mine.close()
    return pid


def kill(pid: int, active: set[int]) -> None:
    """End a child, its process group, and any re-parented leftovers that belong to no active child; remove
    its working folder where it was in the host's /tmp (a child without namespaces)."""
    import psutil

    from autograder.runner.confinement import workdir_name

    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            target()
    shutil.rmtree(workdir_name(os.getpid(), pid), ignore_errors=True)
    for proc in psutil.Process().children():
        if proc.pid not in active:
            with contextlib.suppress(psutil.Error):
                proc.kill()


def wait_for_children(seconds: float) -> None:
    """Kill this process's children, orphans re-parented here included, until none is left (the dead are
    reaped by the kernel: SIGCHLD is ignored), for at most `seconds`. Then the grader leaves nothing
    behind: a caller that is a subreaper (nbgrader's Execute) is never handed a dying child."""
    import psutil

    deadline = time.monotonic() + seconds
    while (children := psutil.Process().children()) and time.monotonic() < deadline:
        for proc in children:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        time.sleep(0.005)


def main() -> None:
    from autograder.runner import protocol

    control = socket.socket(fileno=int(sys.argv[1]))
    # Ctrl-C reaches the whole terminal's process group: the grader then hangs up, and this process ends
    # its children below. If the grader dies without hanging up, SIGTERM comes instead, with the same end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    libc = ctypes.CDLL(None)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    warm_up(sys.argv[2], sys.argv[3])
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    active: set[int] = set()
    try:
        protocol.send(control, {"event": "ready"})
        while True:
            try:
                request = protocol.receive(control, trusted=True)
            except (EOFError, OSError):
                break
            if request["op"] == "spawn":
                active.add(spawn(control, request["limits"]))
            elif request["op"] == "kill":
                active.discard(request["pid"])
                kill(request["pid"], active)
    finally:
        for pid in list(active):
            kill(pid, set())
        wait_for_children(5.0)
        # Nothing to save or flush: skip the interpreter's teardown of torch and the models (a second).
        os._exit(0)


if __name__ == "__main__":
    main()
