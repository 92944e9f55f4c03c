"""What grading writes for a class, from the students' records (grade.json) and stamps: grades.csv (with a
roster, keyed by it, and grades-nbgrader.csv), summary.md and scores.png. Nothing here reads a results.json
back."""

from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path

from autograder.course import Lab
from autograder.grading.inert import markdown_cell as _md  # student text (messages, names) in one line
from autograder.grading.inert import spreadsheet
from autograder.grading.records import STAMP, read_grade, read_stamp
from autograder.grading.reports import write_atomic
from autograder.grading.results import Grade, RecordError
from autograder.grading.roster import apply as apply_roster
from autograder.grading.roster import nbgrader_export


def write_class_reports(lab: Lab, out: Path, students: list[str],
                        entries: list | None = None) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """grades.csv, summary.md and scores.png from the students' folders under `out`; with a roster, also
    grades-nbgrader.csv. Returns each student's (status, reason) as the reports give it (a record that
    cannot be read makes an error), and the folders matched to nobody on the roster, each with the reason.
    """
    rows, grades, problems, statuses = [], {}, {}, {}
    for student in students:
        stamp = read_stamp(out / student / STAMP)
        status, reason = stamp.get("status", "error"), stamp.get("reason", "no grading record")
        grade = None
        if status == "graded":
            try:
                grade = grades[student] = read_grade(out / student, lab)
            except RecordError as exc:  # damaged or lost, say on its way from a shard's machine
                status, reason = "error", str(exc)
        statuses[student] = status, reason
        if status != "graded":
            problems[student] = f"{status}: {reason}"
        rows.append(grade_row(lab, student, grade,
                                      status if status == "graded" else f"{status}: {reason}"))
    unmatched = {}
    if entries is not None:
        rows, unmatched = apply_roster(rows, entries, grade_columns(lab))
        problems.update(unmatched)
        names = {e.identifier: e.name for e in entries}
        maximum = max((g.max_score for g in grades.values()), default=0)
        write_atomic(out / "grades-nbgrader.csv", nbgrader_export(rows, lab.id, maximum, names))
    write_atomic(out / "grades.csv", grades_csv(lab, rows))
    write_atomic(out / "summary.md", summary_md(grades, problems))
    if grades:
        score_plot(grades, out / "scores.png")
    return statuses, unmatched


def grade_columns(lab: Lab) -> list[str]:
    """grades.csv's columns: one per part of the lab, between the student and the totals."""
    return ["student_id", *(f"part{p.number}" for p in lab.parts), "total", "max_score", "status"]


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
