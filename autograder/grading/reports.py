"""What grading writes, all from the result model (grading/results.py): each student's grade.json (the
record), results.json (Gradescope's schema) and feedback.md; the class's grades.csv, summary.md and a plot,
from the students' records. Nothing here reads a results.json or feedback.md back.

Every file is written to a temporary name and renamed into place, so an interrupted run never leaves a
half-written result behind, and a finished one is never lost.
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
import tempfile
from pathlib import Path

from autograder.course import Lab
from autograder.grading.inert import markdown_cell as _md  # student text (messages, names) in one line
from autograder.grading.inert import plain, spreadsheet
from autograder.grading.results import FILE, Grade


def grade_columns(lab: Lab) -> list[str]:
    """grades.csv's columns: one per part of the lab, between the student and the totals."""
    return ["student_id", *(f"part{p.number}" for p in lab.parts), "total", "max_score", "status"]


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


def grade_row(lab: Lab, student: str, grade: Grade | None, status: str) -> dict:
    """One grades.csv row from a Grade (None for a student with no gradable submission): a part's column
    holds its score where it has tests."""
    row = dict.fromkeys(grade_columns(lab), "")
    row.update(student_id=student, status=status)
    if grade is not None:
        for outcome in grade.parts:
            if outcome.tests:
                row[f"part{outcome.part.number}"] = outcome.score
        row.update(total=grade.score, max_score=grade.max_score)
    return row


def grades_csv(lab: Lab, rows: list[dict]) -> str:
    """Sorted by student, columns as `grade_columns` (after student_id, a roster adds github_username)."""
    out = io.StringIO()
    columns = list(rows[0]) if rows else grade_columns(lab)
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    safe = [{k: spreadsheet(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows]
    writer.writerows(sorted(safe, key=lambda r: r["student_id"]))
    return out.getvalue()


def summary_md(grades: dict[str, Grade], problems: dict[str, str]) -> str:
    """Class summary: score statistics and each question's pass rate, questions by part, then by index."""
    totals = [g.score for g in grades.values()]
    out = io.StringIO()
    out.write(f"# Class summary\n\nGraded: {len(grades)}; not graded: {len(problems)}.\n\n")
    errors = sorted(s for s, why in problems.items() if why.startswith("error"))
    if errors:
        names = _md(", ".join(errors))
        out.write(f"**The grader failed for {len(errors)} student(s): {names}.** No score is "
                  "recorded for them: the fault is the grader's, not theirs (see *Not graded* below). Fix it "
                  "and run `grade-all` again with `--resume`, which grades them again.\n\n")
    out.write(_confinement_md(grades))
    if totals:
        maximum = max(g.max_score for g in grades.values())
        out.write(f"Autograded score out of {maximum:g}: mean {statistics.mean(totals):.1f}, "
                  f"median {statistics.median(totals):g}, min {min(totals):g}, max {max(totals):g}.\n\n")
        out.write("![score distribution](scores.png)\n\n| question | passed | pass rate |\n|---|---|---|\n")
        questions: dict[tuple[int, int, str], list[bool]] = {}
        for grade in grades.values():
            for test in grade.tests:
                questions.setdefault((test.part, test.index, test.name), []).append(test.passed)
        for (part, index, name), passed in sorted(questions.items()):
            out.write(f"| {_md(f'Q{part}.{index} {name}')} | {sum(passed)} / {len(passed)} | "
                      f"{sum(passed) / len(passed):.0%} |\n")
    if problems:
        listed = "".join(f"- {_md(student)}: {_md(why)}\n" for student, why in sorted(problems.items()))
        out.write("\n## Not graded\n\n" + listed)
    return out.getvalue()


def _confinement_md(grades: dict[str, Grade]) -> str:
    """What the students' code ran under (each distinct confinement once), and a warning where it lacked a
    guarantee (graded with --allow-weak-isolation)."""
    from autograder.runner.confinement import describe, missing

    seen: dict[str, int] = {}
    for grade in grades.values():
        layers = grade.confinement
        if layers:
            key = json.dumps(layers)
            seen[key] = seen.get(key, 0) + 1
    text = ""
    for key, count in seen.items():
        layers = json.loads(key)
        lacks = missing(layers)
        who = "every student" if count == len(grades) else f"{count} student(s)"
        text += f"Student code ran confined ({who}): {_md(describe(layers))}.\n\n"
        if lacks:
            text += f"**Weak isolation: the sandbox lacked {_md('; '.join(lacks))}.**\n\n"
    return text


def score_plot(grades: dict[str, Grade], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals = [g.score for g in grades.values()]
    maximum = max((g.max_score for g in grades.values()), default=90) or 90
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.hist(totals, bins=range(0, int(maximum) + 6, 5), color="#4c72b0", edgecolor="white")
    ax.set(xlabel=f"autograded score (out of {maximum:g})", ylabel="students",
           title=f"Score distribution ({len(totals)} students)", xlim=(0, maximum + 5))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
