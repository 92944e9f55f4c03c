"""Run one part's hidden pytest suite in the trusted parent against a student's child process.

A hidden test module looks like this:

    from autograder.grading.suite import points
    from autograder.runner.placeholders import model, tokenizer

    @points(4)
    def test_softmax_matches_torch(student):
        \"\"\"softmax matches torch.softmax on random logits\"\"\"
        got = student.call("softmax", logits, -1, forbid=("softmax",))
        expect_close(got, torch.softmax(logits, -1), "softmax(logits, dim=-1)")

Fixtures: `student` (the StudentProcess of this part), `reference(role)` (the parent's own tokenizer and
model of that role, never sent to the child). The first docstring line is the test's name in the reports.
Only CheckFailed and StudentFailure messages reach students; anything else is a grader fault, and a part
with a fault gets no score at all (see grade.py).
"""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.errors import CheckFailed, GraderFault
from autograder.grading.inert import plain
from autograder.grading.results import TestResult
from autograder.runner.student import StudentFailure, StudentProcess


def points(value: float):
    """The points a hidden test is worth."""
    return pytest.mark.points(value)


@dataclass
class StudentPart:
    """What one part's suite runs against, while it runs: the student's child process, or why there is
    none. Its results are collected in `run_suites`'s answer, a `TestResult` each."""

    number: int
    process: StudentProcess | None
    missing: str = ""


class _Plugin:
    def __init__(self, runs: dict[str, StudentPart], models: str):
        self.runs, self.models = runs, models  # keyed by suite file stem, "test_<part stem>"
        self.results: dict[str, list[TestResult]] = {stem: [] for stem in runs}

    @pytest.fixture
    def student(self, request):
        run = self.runs[request.node.path.stem]
        if run.process is None:
            raise StudentFailure("missing", run.missing)
        return run.process

    @pytest.fixture
    def reference(self):
        from autograder.models import load_pair

        return lambda role: load_pair(role, spec=self.models, default="offline")

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "points(value): the points a hidden test is worth")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = (yield).get_result()
        if report.when == "call" or (report.when == "setup" and report.failed):
            results = self.results[item.path.stem]
            results.append(self._result(item, call, report.passed, self.runs[item.path.stem].number,
                                        len(results) + 1))

    @staticmethod
    def _result(item, call, passed: bool, part: int, index: int) -> TestResult:
        marker = item.get_closest_marker("points")
        doc = (item.function.__doc__ or item.name).strip().splitlines()[0]
        message = fault = ""
        if not passed and call.excinfo is not None:
            error = call.excinfo.value
            if isinstance(error, (CheckFailed, StudentFailure)):
                message = str(error)
            else:  # the grader's own failure (GraderFault, a bug in a hidden test): never the student's
                message = "the grader could not check this result"
                fault = f"{item.nodeid}: {type(error).__name__}: {error}"
        return TestResult(part, index, doc, float(marker.args[0]) if marker else 0.0, passed, message, fault,
                          test_id=item.name)


def run_suites(runs: dict[Path, StudentPart], models: str) -> dict[int, list[TestResult]]:
    """Every test of each hidden suite file against its part's student, in file order, in ONE pytest
    session (a session costs far more than a test). Returns each part's results, by part number."""
    if not runs:
        return {}
    folder = next(iter(runs)).parent
    plugin = _Plugin({suite.stem: run for suite, run in runs.items()}, models)
    # Plugins off: no cache, terminal output or log capture (a handler set up per test), and no
    # unraisable/thread-exception hooks, whose forced gc.collect() passes cost seconds per run once torch and
    # transformers are loaded.
    plugins_off = ("cacheprovider", "terminal", "warnings", "logging", "randomly", "unraisableexception",
                   "threadexception")
    args = [*map(str, runs), *(f"-pno:{name}" for name in plugins_off),
            "--import-mode=importlib", "--rootdir", str(folder), "--confcutdir", str(folder),
            "-o", "addopts=", "-o", "python_files=*.py", "-s"]
    with pytest.MonkeyPatch.context() as env, contextlib.redirect_stdout(io.StringIO()):
        # The caller's options and plugins (a TA's --basetemp, a CI job's plugin) are for their pytest.
        for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
            env.delenv(name, raising=False)
        code = pytest.main(args, plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the hidden suites in {folder} did not run (pytest exit code {code})")
    faults = [result.fault for results in plugin.results.values() for result in results if result.fault]
    for fault in faults:
        print(f"autograder: grader fault in {plain(fault)}", file=sys.stderr)
    if faults:
        more = f" (and {len(faults) - 1} more)" if len(faults) > 1 else ""
        raise GraderFault(f"the grader could not check a result: {faults[0]}{more}")
    return {run.number: plugin.results[stem] for stem, run in plugin.runs.items()}
