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

CELL = "# %%\nimport os\nfor _ in range(4):\n    os.fork()\nwhile True:\n    pass\n"  # forks, then loops


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
    seen: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and grader.poll() is None:
        seen |= {p.pid for p in psutil.Process(grader.pid).children(recursive=True)}
        if len(seen) >= 12:  # the zygote, 2 workers, the parts' children and the forks of the looping one
            break
        time.sleep(0.2)
    assert grader.poll() is None and len(seen) >= 12, f"grading never got going: {sorted(seen)}"
    time.sleep(1)
    seen |= {p.pid for p in psutil.Process(grader.pid).children(recursive=True)}
    os.killpg(grader.pid, signal.SIGINT)
    grader.wait(timeout=60)
    deadline = time.monotonic() + 15
    while _alive(seen) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(seen), [psutil.Process(p).cmdline()[:3] for p in _alive(seen)]
