"""The hidden-test cells of an nbgrader notebook and what each one shows.

A hidden-test cell (``autograder build nbgrader`` writes one per hidden test) is a grade cell whose hidden
region calls ``hidden_test("<part stem>", "<test id>")``. Whoever answers it (the bridge in the student's
kernel, the warm grader of ``nbgrader autograde`` or the records of ``autograder nbgrader-autograde``) shows
the same thing: a passed test prints `passed_line`, a failed one raises AssertionError(`failure`). nbgrader
scores a grade cell by its outputs (an error output: 0), so each way gives the same gradebook and feedback.

    fill(notebook, grade)                           # every hidden-test cell's outputs, from a Grade
    answer(cell, by_call(grade), grade.student)     # one cell's
"""

from __future__ import annotations

import ast

from autograder.errors import GraderFault
from autograder.grading.inert import plain
from autograder.grading.results import Grade, TestResult

CALL = "hidden_test"  # the bridge's function, called in each hidden-test cell


def _worth(points: float) -> str:
    return f"{points:g} point{'s' * (points != 1)}"


def passed_line(test: TestResult) -> str:
    """What a passed test's cell prints: "✓ Q3.1 softmax matches torch.softmax (3 / 3 points)"."""
    return f"✓ Q{test.number} {test.name} ({test.points:g} / {_worth(test.points)})"


def failure(test: TestResult) -> str:
    """The message of the AssertionError a failed test's cell raises (the student's words made plain)."""
    return f"Q{test.number} {test.name}: {plain(test.message) or 'failed'} (0 / {_worth(test.points)})"


def hidden_call(cell) -> tuple[str, str] | None:
    """(part stem, test id) that a grade cell's ``hidden_test`` call reports; None for any other cell. A
    grade cell without a grade id is none: nbgrader strips the id of a cell its gradebook does not hold (one
    a student added), and scores no such cell."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if (cell.get("cell_type") != "code" or not meta.get("grade") or meta.get("solution")
            or not meta.get("grade_id")):
        return None
    try:
        tree = ast.parse(cell.get("source", ""))
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == CALL and len(node.args) == 2
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)):
            return node.args[0].value, node.args[1].value
    return None


def outputs(test: TestResult) -> list:
    """The cell outputs that report `test` (nbformat nodes): the printed line, or the error."""
    from nbformat.v4 import new_output

    if test.passed:
        return [new_output("stream", name="stdout", text=passed_line(test) + "\n")]
    message = failure(test)
    return [new_output("error", ename="AssertionError", evalue=message,
                       traceback=[f"AssertionError: {message}"])]


def by_call(grade: Grade) -> dict[tuple[str, str], TestResult]:
    """The tests of `grade` by what a hidden-test cell's call names: (part stem, test id)."""
    return {(result.part.stem, test.test_id): test for result in grade.parts for test in result.tests}


def answer(cell, tests: dict[tuple[str, str], TestResult], student: str) -> bool:
    """Give `cell`, if it is a hidden-test cell, the outputs of its test in `tests` (`by_call`); whether it
    is one. GraderFault when its test is not there: the course was built from other hidden suites than the
    grader's, and no cell may then be scored."""
    call = hidden_call(cell)
    if call is None:
        return False
    if call not in tests:
        raise GraderFault(f"the grade of {student} has no result for {call[1]} of {call[0]}: the course was "
                          "built from other hidden suites than the grader's (rebuild it)")
    cell.outputs = outputs(tests[call])
    cell.execution_count = None
    return True


def fill(notebook, grade: Grade) -> int:
    """Give every hidden-test cell of `notebook` the outputs of its test in `grade`; how many cells."""
    tests = by_call(grade)
    return sum(answer(cell, tests, grade.student) for cell in notebook.cells)
