"""A Python audit hook (PEP 578) in the confined child, for what only the interpreter sees.

Added after the child is confined and before any student code runs; an audit hook cannot be removed. It
refuses, with a message that says why: the garbage collector's object graph and other threads' frames (the
ways to the originals behind the guards' wrappers), foreign-function calls through ctypes (the way around
the interpreter: memory writes, and system calls the seccomp filter would refuse anyway), and starting
programs or processes (refused by the seccomp filter too; here with a readable message). Frame access
(`sys._getframe`) stays: the logging module needs it on every warning the libraries print.
"""

from __future__ import annotations

import sys

REFUSED = frozenset({
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames",
    "ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function", "ctypes.cdata", "ctypes.string_at",
    "ctypes.wstring_at", "ctypes.addressof",
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
})


class Refused(RuntimeError):
    """What a refused event raises in the student's code."""


def _hook(event: str, args: tuple) -> None:
    if event in REFUSED:
        raise Refused(f"{event} is not available while grading")


def install() -> str:
    sys.addaudithook(_hook)
    return f"{len(REFUSED)} events refused"
