"""The kernels of `nbgrader autograde`: confined before they run a cell (runner/confined_kernel.py), so a
student's notebook cannot read the course, change its gradebook, or reach nbgrader's process."""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config import Config

from autograder.errors import GraderFault
from autograder.integrations import nbgrader_execute
from autograder.integrations.nbgrader_execute import ResilientExecute
from autograder.labs.encoders_decoders import LAB
from autograder.runner import confined_kernel
from autograder.runner.confinement import missing

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Landlock and seccomp are Linux's")

ATTACKS = """
import ctypes, json, os, socket, subprocess
from pathlib import Path
course, results = Path({course!r}), {{}}
def attempt(name, action):
    try:
        action()
        results[name] = "done"
    except Exception as exc:
        results[name] = type(exc).__name__
def trace():
    if ctypes.CDLL(None, use_errno=True).ptrace(16, {grader}, None, None) != 0:  # PTRACE_ATTACH
        raise PermissionError(ctypes.get_errno())
attempt("read the gradebook", lambda: (course / "gradebook.db").read_bytes())
attempt("write the gradebook", lambda: (course / "gradebook.db").write_text("every score 100"))
attempt("read the source", lambda: (course / "source" / "lab" / "part.ipynb").read_text())
attempt("read another student", lambda: (course / "submitted" / "bob" / "lab" / "part.ipynb").read_text())
attempt("read a hidden suite", lambda: Path({hidden!r}).read_text())
attempt("read nbgrader's environment", lambda: Path("/proc/{grader}/environ").read_bytes())
attempt("reach the course through nbgrader", lambda: list(Path(f"/proc/{grader}/root{{course}}").iterdir()))
attempt("read the machine's secrets", lambda: Path({secret!r}).read_bytes())
attempt("write beside the notebook", lambda: Path("notes.txt").write_text("x"))
attempt("signal nbgrader", lambda: os.kill({grader}, 0))
attempt("trace nbgrader", trace)
attempt("connect", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=5))
attempt("a datagram socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
attempt("a UNIX socket", lambda: socket.socket(socket.AF_UNIX))
attempt("run a program", lambda: subprocess.run(["true"]))
attempt("the grader's token", lambda: os.environ["GRADER_TOKEN"])
attempt("read its own notebook", lambda: Path("part.ipynb").read_text())
attempt("write its scratch folder", lambda: Path(os.environ["TMPDIR"], "scratch.txt").write_text("ok"))
print(json.dumps(results))
"""
REFUSED = {"read the gradebook": "PermissionError", "write the gradebook": "PermissionError",
           "read the source": "PermissionError", "read another student": "PermissionError",
           "read a hidden suite": "PermissionError", "read nbgrader's environment": "PermissionError",
           "reach the course through nbgrader": "PermissionError",
           "read the machine's secrets": "PermissionError", "write beside the notebook": "PermissionError",
           "signal nbgrader": "PermissionError", "trace nbgrader": "PermissionError",
           "connect": "PermissionError", "a datagram socket": "PermissionError",
           "a UNIX socket": "PermissionError", "run a program": "PermissionError",
           "the grader's token": "KeyError", "read its own notebook": "done",
           "write its scratch folder": "done"}


@pytest.fixture
def course(tmp_path):
    """An nbgrader course's files, and the folder nbgrader runs alice's notebook in."""
    root = tmp_path / "course"
    for folder in ("source/lab", "submitted/bob/lab", "autograded/alice/lab"):
        (root / folder).mkdir(parents=True)
        (root / folder / "part.ipynb").write_text("{}")
    (root / "gradebook.db").write_text("scores")
    return root


def _autograde(course, notebook, **traits) -> ResilientExecute:
    """Run `notebook` as nbgrader autograde runs alice's (its resources name the student)."""
    config = Config()
    config.CourseDirectory.root = str(course)
    execute = ResilientExecute(config=config, timeout=60, **traits)
    resources = {"nbgrader": {"student": "alice", "assignment": "lab"},
                 "metadata": {"path": str(course / "autograded" / "alice" / "lab")}}
    execute.preprocess(notebook, resources)
    return execute


def _attacks(course, port: int):
    hidden = next(LAB.hidden.glob("test_*.py"))
    # As root, a file of /etc only root may read (/etc/shadow); otherwise one of the grader's own, beside the
    # course, which no user but the grader can read either.
    secret = course.parent / "secret.txt"
    secret.write_text("s3cret")
    secret.chmod(0o600)
    if os.geteuid() == 0 and os.path.exists("/etc/shadow"):
        secret = Path("/etc/shadow")
    return new_notebook(cells=[new_code_cell(ATTACKS.format(course=str(course), grader=os.getpid(), port=port,
                                                            hidden=str(hidden), secret=str(secret)))])


def test_an_autograded_notebook_runs_in_a_kernel_that_reaches_nothing_of_the_course(course, monkeypatch,
                                                                                    caplog):
    monkeypatch.setenv("GRADER_TOKEN", "s3cret")
    monkeypatch.setattr(nbgrader_execute, "_announced", False)
    with socket.create_server(("127.0.0.1", 0)) as server:
        notebook = _attacks(course, server.getsockname()[1])
        with caplog.at_level(logging.INFO):
            execute = _autograde(course, notebook)
    assert json.loads(notebook.cells[0].outputs[0]["text"]) == REFUSED
    assert (course / "gradebook.db").read_text() == "scores"
    assert not list(course.rglob("notes.txt"))
    assert execute._scratch is None and not list((course.parent).glob("autograder-kernel-*"))
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Kernels run confined")]
    assert len(said) == 1 and "landlock: ABI" in said[0] and "capabilities: none" in said[0]


def test_without_the_warm_grader_the_kernel_is_not_confined_and_nbgrader_says_so(course, monkeypatch,
                                                                                caplog):
    """The old way (hidden cells run in the kernel, which must then read the hidden suites): the same
    attacks succeed, and the log says the kernel runs unconfined."""
    monkeypatch.setenv("GRADER_TOKEN", "s3cret")
    # not the attack on nbgrader's process: unconfined, its ptrace would stop this test's process
    text = ATTACKS.format(course=str(course), grader=0, port=0, hidden="", secret="")
    kept = [line for line in text.splitlines() if "nbgrader" not in line and "connect" not in line]
    cell = "\n".join(kept) + "\n"
    notebook = new_notebook(cells=[new_code_cell(cell)])
    _autograde(course, notebook, warm_grader=False)
    results = json.loads(notebook.cells[0].outputs[0]["text"])
    assert results["read the gradebook"] == results["write the gradebook"] == "done"
    assert results["read the source"] == results["the grader's token"] == "done"
    assert any("runs unconfined" in r.getMessage() for r in caplog.records)


def test_a_kernel_that_cannot_be_confined_is_a_grader_fault_unless_weak_isolation_is_allowed(course,
                                                                                            monkeypatch):
    """Where Landlock is missing, the kernel refuses to start and nbgrader is told why (no score is
    recorded for the student); with weak isolation allowed it starts, and runs the student's cells."""
    command = confined_kernel.command

    def without_landlock(kernel_argv, *args):
        argv = command(kernel_argv, *args)
        module = argv.index(confined_kernel.__name__)
        script = ("import sys; from autograder.runner import confined_kernel, landlock; "
                  "landlock.abi = lambda: 0; sys.exit(confined_kernel.main(sys.argv[1:]))")
        return [argv[0], "-c", script, *argv[module + 1:]]

    monkeypatch.setattr(nbgrader_execute.confined_kernel, "command", without_landlock)
    monkeypatch.delenv("AUTOGRADER_ALLOW_WEAK_ISOLATION", raising=False)
    with pytest.raises(GraderFault, match="hidden folders unreadable"):
        _autograde(course, new_notebook(cells=[new_code_cell("print('ran')")]))
    monkeypatch.setenv("AUTOGRADER_ALLOW_WEAK_ISOLATION", "1")
    notebook = new_notebook(cells=[new_code_cell("print('ran')")])
    _autograde(course, notebook)
    assert notebook.cells[0].outputs[0]["text"] == "ran\n"


def test_a_kernel_lacks_what_its_landlock_abi_cannot_give():
    full = {"limits": "set", "capabilities": "none", "landlock": "ABI 7", "seccomp": "53 calls refused"}
    assert missing(full, confined_kernel.KERNEL_GUARANTEES) == []
    assert missing({**full, "landlock": "ABI 5"}, confined_kernel.KERNEL_GUARANTEES) == [
        "cannot signal or trace the grader"]
    assert missing({**full, "landlock": "ABI 3"}, confined_kernel.KERNEL_GUARANTEES) == [
        "no network", "cannot signal or trace the grader"]
    assert "hidden folders unreadable" in missing({**full, "landlock": "missing: not enabled"},
                                                  confined_kernel.KERNEL_GUARANTEES)


def test_only_a_python_module_kernel_can_be_confined():
    argv = confined_kernel.command(["/venv/bin/python", "-m", "ipykernel_launcher", "-f", "/run/k.json"],
                                   "/tmp/s", ["/course"], 4096, 64)
    assert argv[:3] == ["/venv/bin/python", "-m", "autograder.runner.confined_kernel"]
    assert argv[argv.index("--"):] == ["--", "-m", "ipykernel_launcher", "-f", "/run/k.json"]
    assert confined_kernel.connection_file(argv[argv.index("--") + 1:]) == "/run/k.json"
    with pytest.raises(ValueError, match="python -m MODULE"):
        confined_kernel.command(["/usr/bin/julia", "kernel.jl", "{connection_file}"], "/tmp/s", [], 1, 1)


def test_a_cell_that_prints_without_end_keeps_only_its_first_characters(course):
    """nbgrader keeps every output a kernel sends: 300 MB printed took its process from 118 to 654 MiB and
    went whole into the autograded notebook and the feedback. Past `max_cell_output` the rest is dropped."""
    printing = "import sys\nfor _ in range(80):\n    sys.stdout.write('x' * 2**16)\n    sys.stdout.flush()"
    notebook = new_notebook(cells=[new_code_cell(printing), new_code_cell("print('next')")])
    _autograde(course, notebook, max_cell_output=100_000)
    first, second = (cell.outputs for cell in notebook.cells)
    kept = sum(len(o.get("text", "")) for o in first if o.get("name") == "stdout")
    assert 100_000 <= kept < 100_000 + 2**16 + 1
    assert first[-1]["text"].strip() == "[output truncated: this cell printed more than 100000 characters]"
    assert second[0]["text"] == "next\n"  # the next cell's outputs are its own


def test_a_python_inside_the_course_folder_is_a_grader_fault(course):
    """Neither the warm grader's children nor the kernels may read the course folder: a Python installed
    in it could not run them, which is said, not found out student by student."""
    from autograder.integrations.nbgrader_warm import course_root

    config = Config()
    config.CourseDirectory.root = str(course)
    assert course_root(config) == course.resolve()
    config.CourseDirectory.root = str(Path(sys.prefix).parent)
    with pytest.raises(GraderFault, match="inside the course folder"):
        course_root(config)
