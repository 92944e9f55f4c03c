"""A submission cannot bloat the grader: a hand-made 48 MB reply leaves the grader's peak memory within 1.5x
of grading the solution (slow: two gradings, each in a process of its own whose peak is measured)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from corpus import materialize_all

pytestmark = pytest.mark.slow
# `autograder grade` in this process, then its own peak (the grader's, not its zygote's or children's).
PEAK = ("import resource, sys\n"
        "from autograder.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.__stdout__)\n")


def _grade_peak_kib(folder, out) -> int:
    """The grader's peak resident size (KiB) over one `autograder grade` of `folder`."""
    env = {**os.environ, "AUTOGRADER_MODELS": "offline", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", PEAK, "grade", str(folder), "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=1200, check=True)
    code, peak = map(int, done.stdout.split()[-2:])
    assert code == 0
    return peak


def test_a_crafted_48_mb_reply_does_not_raise_the_graders_peak_memory(tmp_path):
    folders = materialize_all(tmp_path / "subs", ["solution", "a_crafted_reply"])
    normal = _grade_peak_kib(folders["solution"], tmp_path / "normal")
    crafted = _grade_peak_kib(folders["a_crafted_reply"], tmp_path / "crafted")
    print(f"\npeak resident size: solution {normal / 1024:.0f} MiB, crafted reply {crafted / 1024:.0f} MiB "
          f"({crafted / normal:.2f}x)", file=sys.stderr)
    assert crafted <= 1.5 * normal
