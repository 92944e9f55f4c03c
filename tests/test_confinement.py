"""The confinement layers one by one, in a forked process of this test, and the policy that reads them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
from types import SimpleNamespace

import pytest

from autograder.errors import GraderFault
from autograder.grading.class_reports import summary_md
from autograder.grading.results import Grade
from autograder.runner import audit, landlock, syscall_filter
from autograder.runner.confinement import _beneath_except, missing
from autograder.runner.spawner import Zygote

FULL = {"namespaces": "direct", "mounts": "private", "pid": "own namespace, own /proc", "user": "own",
        "limits": "set", "capabilities": "none", "landlock": "ABI 7", "seccomp": "50 system calls refused"}


def in_child(action) -> str:
    """What `action()` returned (or the exception it raised, named) in a forked copy of this process."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            result = str(action())
        except BaseException as exc:  # reported to the parent, whatever it is
            result = f"{type(exc).__name__}: {exc}"
        os.write(write, result.encode()[:60000])
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        result = pipe.read()
    os.waitpid(pid, 0)
    return result


def test_each_guarantee_needs_one_of_its_layers():
    assert missing(FULL) == []
    assert missing({**FULL, "landlock": "missing: not enabled"}) == []  # the mounts still hide and protect
    no_files = {**FULL, "landlock": "missing: not enabled", "mounts": "missing: no namespaces"}
    assert missing(no_files) == ["hidden folders unreadable", "nothing written outside its folder"]
    unprivileged_old_kernel = {**FULL, "namespaces": "missing: EPERM", "mounts": "missing: no namespaces",
                               "pid": "missing: no namespaces", "user": "the grader's", "landlock": "ABI 4"}
    assert missing(unprivileged_old_kernel) == ["cannot signal or trace the grader"]
    assert missing({**FULL, "seccomp": "missing: no libseccomp"}) == [
        "no mount, namespace, ptrace or exec calls"]
    assert "no capabilities" in missing({**FULL, "capabilities": "missing: still held: {'CapEff': '1'}"})


def test_a_weak_sandbox_is_refused_unless_allowed():
    weak = {**FULL, "seccomp": "missing: no libseccomp"}
    lacking = "no mount, namespace, ptrace or exec calls"
    with pytest.raises(GraderFault, match=rf"lacks: {lacking} .*--allow-weak-isolation"):
        Zygote.check(SimpleNamespace(allow_weak=False), weak)
    assert Zygote.check(SimpleNamespace(allow_weak=True), weak) == [lacking]
    assert Zygote.check(SimpleNamespace(allow_weak=False), FULL) == []


def test_summary_says_what_student_code_ran_under_and_warns_when_weak():
    def result(layers):
        return Grade("student", "lab", (), 1.0, layers)

    strong = summary_md({"ann": result(FULL), "bo": result(FULL)}, {})
    assert "Student code ran confined (every student): namespaces: direct" in strong
    assert "Weak isolation" not in strong
    weak = summary_md({"ann": result(FULL), "bo": result({**FULL, "seccomp": "missing: no libseccomp"})}, {})
    assert "(1 student(s))" in weak and "**Weak isolation: the sandbox lacked no mount" in weak


def test_allow_list_leaves_out_exactly_the_excluded_folders(tmp_path):
    for path in ("pkg/labs/lab/hidden/test_a.py", "pkg/labs/lab/public.py", "pkg/runner/child.py", "other/x"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    allowed = _beneath_except(str(tmp_path), {str(tmp_path / "pkg/labs/lab/hidden")})
    assert sorted(os.path.relpath(p, tmp_path) for p in allowed) == ["other", "pkg/labs/lab/public.py",
                                                                     "pkg/runner"]
    assert _beneath_except(str(tmp_path / "pkg/labs/lab/hidden"), {str(tmp_path / "pkg/labs")}) == []


@pytest.mark.skipif(landlock.abi() < 1, reason="Landlock is not enabled in this kernel")
def test_landlock_allows_what_is_listed_and_nothing_else(tmp_path):
    (tmp_path / "open").mkdir()
    (tmp_path / "secret").mkdir()
    (tmp_path / "open" / "a.txt").write_text("readable")
    (tmp_path / "secret" / "b.txt").write_text("hidden")
    work = tmp_path / "work"
    work.mkdir()
    parent = os.getpid()

    def probe():
        landlock.enforce(landlock.ruleset([str(tmp_path / "open")], [str(work)], {"/dev/null": True}))
        seen = {"open": (tmp_path / "open" / "a.txt").read_text()}
        (work / "new.txt").write_text("written")
        for name, attempt in (("secret", lambda: (tmp_path / "secret" / "b.txt").read_text()),
                              ("write outside", lambda: (tmp_path / "open" / "c.txt").write_text("x")),
                              ("tcp", lambda: socket.create_connection(("127.0.0.1", 9), timeout=1)),
                              ("signal", lambda: os.kill(parent, 0))):
            try:
                attempt()
                seen[name] = "allowed"
            except OSError as exc:
                seen[name] = type(exc).__name__
        return json.dumps(seen)

    seen = json.loads(in_child(probe))
    assert seen["open"] == "readable" and (work / "new.txt").read_text() == "written"
    assert seen["secret"] == "PermissionError" and seen["write outside"] == "PermissionError"
    if landlock.abi() >= 4:
        assert seen["tcp"] == "PermissionError"
    if landlock.abi() >= 6:
        assert seen["signal"] == "PermissionError"


@pytest.mark.skipif(syscall_filter.seccomp is None, reason="libseccomp is not installed")
def test_seccomp_refuses_sockets_programs_and_uncounted_memory():
    def probe():
        syscall_filter.install()
        refused = []
        thread = threading.Thread(target=lambda: None)
        for name, attempt in (("socket", lambda: socket.socket(socket.AF_UNIX)),
                              ("exec", lambda: subprocess.run(["true"])),
                              ("fork", os.fork),
                              ("memfd", lambda: os.memfd_create("x")),
                              ("kill", lambda: os.kill(os.getpid(), 0)),
                              ("thread", lambda: (thread.start(), thread.join()))):
            try:
                attempt()
            except PermissionError:
                refused.append(name)
        return ",".join(refused)

    assert in_child(probe) == "socket,exec,fork,memfd"  # signals to itself and threads still work
    assert os.fork  # this process loaded no filter


def test_audit_hook_refuses_object_graph_foreign_calls_and_programs():
    def probe():
        import ctypes
        import gc

        audit.install()
        refused = []
        for name, attempt in (("gc", gc.get_objects), ("ctypes", lambda: ctypes.CDLL(None)),
                              ("subprocess", lambda: subprocess.run(["true"])),
                              ("frames", lambda: __import__("sys")._current_frames())):
            try:
                attempt()
            except audit.Refused:
                refused.append(name)
        return ",".join(refused)

    assert in_child(probe) == "gc,ctypes,subprocess,frames"


def test_a_link_to_a_folder_above_hidden_suites_allows_none_of_them(tmp_path):
    """A venv's `lib64 -> lib`: allowed as a plain entry, Landlock follows it and allows all of `lib`, the
    hidden suites of a grader installed there included (a kernel under nbgrader read them, in the TA's
    environment of `make prove`). Links are split like the folders they reach."""
    from autograder.runner import confinement

    venv = tmp_path / "venv"
    hidden = venv / "lib" / "site-packages" / "autograder" / "labs" / "lab" / "hidden"
    hidden.mkdir(parents=True)
    (hidden / "test_part1.py").write_text("secret")
    (venv / "lib" / "site-packages" / "autograder" / "__init__.py").write_text("")
    (venv / "lib64").symlink_to("lib")
    (venv / "bin").mkdir()
    allowed = confinement._beneath_except(str(venv.resolve()), {str(hidden.resolve())})
    above = {str(p) for p in hidden.resolve().parents}
    assert allowed and not [p for p in allowed if os.path.realpath(p) in above | {str(hidden.resolve())}]
    assert str((venv / "bin").resolve()) in allowed
    assert str((venv / "lib" / "site-packages" / "autograder" / "__init__.py").resolve()) in allowed
