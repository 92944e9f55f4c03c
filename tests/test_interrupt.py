"""Ctrl-C during `grade-all` leaves no process behind: not the workers, not the zygote, not a child running a
student's endless loop, nor what that child started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
from corpus import materialize_all

# Forks where the sandbox lets it (the seccomp filter refuses), then loops.
CELL = "# %%\nimport os\nfor _ in range(4):\n    os.fork()\nwhile True:\n    pass\n"


def _alive(pids: set[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            continue
    return alive


def test_ctrl_c_leaves_no_process_behind(tmp_path):
    folders = materialize_all(tmp_path / "subs", ["a_infinite_loop_cell"])
    with open(folders["a_infinite_loop_cell"] / "part2_hidden_states.py", "a") as part:
        part.write(CELL)
    env = {**os.environ, "AUTOGRADER_MODELS": "offline", "HF_HUB_OFFLINE": "1"}
    # A session of its own, as a terminal's job: Ctrl-C is SIGINT to the whole foreground group.
    command = [sys.executable, "-m", "autograder", "grade-all", str(tmp_path / "subs"), "--out",
               str(tmp_path / "out"), "--jobs", "2"]
    grader = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    # Grading is under way once the workers, their zygotes and the parts' children (one of them in the
    # endless loop) are all up: the same processes, more than a few, for 3 s.
    seen: set[int] = set()
    alive, steady_since, deadline = set(), time.monotonic(), time.monotonic() + 120
    while time.monotonic() < deadline and grader.poll() is None:
        now = {p.pid for p in psutil.Process(grader.pid).children(recursive=True)}
        seen |= now
        if now != alive:
            alive, steady_since = now, time.monotonic()
        elif len(alive) >= 4 and time.monotonic() - steady_since >= 3:
            break
        time.sleep(0.2)
    assert grader.poll() is None and len(alive) >= 4, f"grading never got going: {sorted(seen)}"
    os.killpg(grader.pid, signal.SIGINT)
    grader.wait(timeout=60)
    deadline = time.monotonic() + 15
    while _alive(seen) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(seen), [psutil.Process(p).cmdline()[:3] for p in _alive(seen)]
