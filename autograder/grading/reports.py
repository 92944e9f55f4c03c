"""What grading writes for one student, all from the result model (grading/results.py): grade.json (the
record), results.json (Gradescope's schema) and feedback.md (class_reports.py writes the class's). Nothing
here reads a results.json or feedback.md back.

Every file is written to a temporary name and renamed into place, so an interrupted run never leaves a
half-written result behind, and a finished one is never lost.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

from autograder.grading.inert import markdown_cell as _md  # student text (messages, names) in one line
from autograder.grading.inert import plain
from autograder.grading.results import FILE, Grade


def write_atomic(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)


def results_json(grade: Grade) -> dict:
    """Gradescope's results.json. Every test keeps its `number` ("3.2") and `test_id` (the hidden test's
    function name), which the nbgrader bridge finds tests by."""
    tests = []
    for test in grade.tests:
        tests.append({"name": f"Q{test.number} {test.name}", "number": test.number,
                      "score": test.points if test.passed else 0.0, "max_score": test.points,
                      "status": "passed" if test.passed else "failed",
                      "output": plain(test.message), "visibility": "visible", "test_id": test.test_id})
    return {"score": grade.score, "max_score": grade.max_score, "execution_time": round(grade.seconds, 2),
            "output": plain(_overview(grade)), "visibility": "visible", "stdout_visibility": "hidden",
            "tests": tests, "extra_data": {"confinement": grade.confinement}}


def _overview(grade: Grade) -> str:
    lines = [f"Autograded score: {grade.score:g} / {grade.max_score:g}."]
    for outcome in grade.parts:
        if outcome.part.manual_points:
            lines.append(f"Part {outcome.part.number} ({outcome.part.title}) is graded by hand: "
                         f"{outcome.part.manual_points} points.")
        elif outcome.note:
            lines.append(f"Part {outcome.part.number}: {outcome.note}.")
    return "\n".join(lines)


def feedback_md(grade: Grade) -> str:
    out = io.StringIO()
    out.write(f"# Feedback for {_md(grade.student)}\n\n{_md(_overview(grade))}\n")
    for outcome in grade.parts:
        part = outcome.part
        if part.manual_points:
            continue
        out.write(f"\n## Part {part.number}: {part.title} ({outcome.score:g} / {outcome.max_score:g})\n\n")
        if outcome.note:
            out.write(f"> {_md(outcome.note)}\n\n")
        if outcome.cells:
            out.write("Cells that did not run cleanly (the grader skipped the rest of each one):\n\n")
            out.writelines(f"- code cell {c.index + 1}: {_md(c.error)}\n" for c in outcome.cells)
            out.write("\n")
        if outcome.tests:
            out.write("| test | points | result | what to look at |\n|---|---|---|---|\n")
            for test in outcome.tests:
                result = "passed" if test.passed else "failed"
                score = f"{test.points if test.passed else 0:g} / {test.points:g}"
                out.write(f"| Q{test.number} {_md(test.name)} | {score} | {result} | {_md(test.message)} |\n")
    return out.getvalue()


def write_student(folder: Path, grade: Grade) -> None:
    """One student's files: feedback.md and results.json, written from the Grade, then the Grade itself
    (grade.json, last: it marks the student done, and is what class reports read)."""
    write_atomic(folder / "feedback.md", feedback_md(grade))
    write_atomic(folder / "results.json", json.dumps(results_json(grade), indent=2) + "\n")
    write_atomic(folder / FILE, grade.to_json())
