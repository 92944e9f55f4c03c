"""What grading writes: results.json (Gradescope's schema), feedback.md, grades.csv, summary.md, a plot.

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
from autograder.grading.grade import Grade
from autograder.grading.inert import markdown_cell as _md  # student text (messages, names) in one line
from autograder.grading.inert import plain, spreadsheet


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
    tests = []
    for outcome in grade.parts:
        for test in outcome.tests:
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
        problems = [c for c in outcome.cells if c.error]
        if problems:
            out.write("Cells that did not run cleanly (the grader skipped the rest of each one):\n\n")
            out.writelines(f"- code cell {c.index + 1}: {_md(c.error)}\n" for c in problems)
            out.write("\n")
        if outcome.tests:
            out.write("| test | points | result | what to look at |\n|---|---|---|---|\n")
            for test in outcome.tests:
                result = "passed" if test.passed else "failed"
                score = f"{test.points if test.passed else 0:g} / {test.points:g}"
                out.write(f"| Q{test.number} {_md(test.name)} | {score} | {result} | {_md(test.message)} |\n")
    return out.getvalue()


def write_student(folder: Path, grade: Grade) -> None:
    """results.json and feedback.md for one student (feedback first: results.json marks completion)."""
    write_atomic(folder / "feedback.md", feedback_md(grade))
    write_atomic(folder / "results.json", json.dumps(results_json(grade), indent=2) + "\n")


def grade_row(lab: Lab, student: str, results: dict | None, status: str) -> dict:
    """One grades.csv row from a results.json (None for a student with no gradable submission)."""
    row = dict.fromkeys(grade_columns(lab), "")
    row.update(student_id=student, status=status)
    if results is not None:
        for test in results["tests"]:
            key = f"part{test['number'].split('.')[0]}"
            row[key] = (row[key] or 0) + test["score"]
        row.update(total=results["score"], max_score=results["max_score"])
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


def summary_md(results: dict[str, dict], problems: dict[str, str]) -> str:
    """Class summary: score statistics and each question's pass rate."""
    totals = [r["score"] for r in results.values()]
    out = io.StringIO()
    out.write(f"# Class summary\n\nGraded: {len(results)}; not graded: {len(problems)}.\n\n")
    errors = sorted(s for s, why in problems.items() if why.startswith("error"))
    if errors:
        names = _md(", ".join(errors))
        out.write(f"**The grader failed for {len(errors)} student(s): {names}.** No score is "
                  "recorded for them: the fault is the grader's, not theirs (see *Not graded* below). Fix it "
                  "and run `grade-all` again with `--resume`, which grades them again.\n\n")
    out.write(_confinement_md(results))
    if totals:
        maximum = max(r["max_score"] for r in results.values())
        out.write(f"Autograded score out of {maximum:g}: mean {statistics.mean(totals):.1f}, "
                  f"median {statistics.median(totals):g}, min {min(totals):g}, max {max(totals):g}.\n\n")
        out.write("![score distribution](scores.png)\n\n| question | passed | pass rate |\n|---|---|---|\n")
        questions: dict[str, list[bool]] = {}
        for result in results.values():
            for test in result["tests"]:
                questions.setdefault(test["name"], []).append(test["status"] == "passed")
        for name, passed in sorted(questions.items(), key=lambda kv: [int(n) for n in
                                                                      kv[0][1:].split()[0].split(".")]):
            out.write(f"| {_md(name)} | {sum(passed)} / {len(passed)} | {sum(passed) / len(passed):.0%} |\n")
    if problems:
        listed = "".join(f"- {_md(student)}: {_md(why)}\n" for student, why in sorted(problems.items()))
        out.write("\n## Not graded\n\n" + listed)
    return out.getvalue()


def _confinement_md(results: dict[str, dict]) -> str:
    """What the students' code ran under (each distinct confinement once), and a warning where it lacked a
    guarantee (graded with --allow-weak-isolation)."""
    from autograder.runner.confinement import describe, missing

    seen: dict[str, int] = {}
    for result in results.values():
        layers = result.get("extra_data", {}).get("confinement", {})
        if layers:
            key = json.dumps(layers)
            seen[key] = seen.get(key, 0) + 1
    text = ""
    for key, count in seen.items():
        layers = json.loads(key)
        lacks = missing(layers)
        who = "every student" if count == len(results) else f"{count} student(s)"
        text += f"Student code ran confined ({who}): {_md(describe(layers))}.\n\n"
        if lacks:
            text += f"**Weak isolation: the sandbox lacked {_md('; '.join(lacks))}.**\n\n"
    return text


def score_plot(results: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals = [r["score"] for r in results.values()]
    maximum = max((r["max_score"] for r in results.values()), default=90) or 90
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.hist(totals, bins=range(0, int(maximum) + 6, 5), color="#4c72b0", edgecolor="white")
    ax.set(xlabel=f"autograded score (out of {maximum:g})", ylabel="students",
           title=f"Score distribution ({len(totals)} students)", xlim=(0, maximum + 5))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
