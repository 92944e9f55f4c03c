"""Grade one submission or a whole class, writing every report; `--jobs` workers each hold a warm zygote."""

from __future__ import annotations

import hashlib
import json
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from autograder.errors import UsageError
from autograder.grading import reports
from autograder.grading.grade import Grade, grade_submission
from autograder.grading.submission import Submission, locate
from autograder.runner.pool import Zygote

_zygote: Zygote | None = None  # one per process: the grader's own, or a --jobs worker's


def _worker_zygote(models: str) -> Zygote:
    global _zygote
    if _zygote is None:
        _zygote = Zygote(models)
    return _zygote


def writable_folder(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write to the output folder {out}: {exc.strerror}") from None
    return out


def grade_one(student: str, submission: Submission, out: Path, models: str) -> Grade:
    grade = grade_submission(student, submission, _worker_zygote(models), models)
    reports.write_student(out, grade)
    return grade


def fingerprint(submission: Submission, models: str) -> str:
    """Changes when a graded file or the model set changes (what --resume compares)."""
    digest = hashlib.sha256(models.encode())
    for stem, path in sorted(submission.files.items()):
        digest.update(stem.encode() + (path.read_bytes() if path else b"-"))
    return digest.hexdigest()


def students_under(root: Path) -> dict[str, Path]:
    """Student id -> folder: `ROOT/<student>/`, or nbgrader's `ROOT/submitted/<student>/<lab>/`."""
    if not root.is_dir():
        raise UsageError(f"no such folder: {root}")
    base = root / "submitted" if (root / "submitted").is_dir() else root
    students = {d.name: d for d in sorted(base.iterdir()) if d.is_dir() and not d.name.startswith(".")}
    if not students:
        raise UsageError(f"{root} holds no student folders (expected ROOT/<student>/...)")
    return students


def _grade_student(student: str, folder: Path, out: Path, models: str, resume: bool) -> tuple[str, str]:
    """(status, reason) after grading one student into `out/<student>/`; runs in a worker with --jobs."""
    target = out / student
    try:
        submission = locate(folder)
    except UsageError as exc:
        return "missing", str(exc)
    stamp = target / "grading.json"
    key = fingerprint(submission, models)
    if resume and (target / "results.json").is_file() and stamp.is_file() and \
            json.loads(stamp.read_text()).get("fingerprint") == key:
        return "graded", "unchanged since the last run"
    try:
        grade_one(student, submission, target, models)
    except Exception as exc:  # one student's fault must never stop the batch
        return "error", f"{type(exc).__name__}: {exc}"
    reports.write_atomic(stamp, json.dumps({"fingerprint": key, "models": models}) + "\n")
    return "graded", ""


def grade_all(root: Path, out: Path, models: str, jobs: int = 1, resume: bool = False) -> dict[str, tuple]:
    """Grade every student under `root`; returns student -> (status, reason). Reports are always written,
    also when interrupted (then for the students finished so far)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    students = students_under(root)
    writable_folder(out)
    outcomes: dict[str, tuple] = {}
    columns = (TextColumn("Grading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
               TimeRemainingColumn())
    progress = Progress(*columns, disable=not sys.stderr.isatty(), transient=False)
    try:
        with progress:
            task = progress.add_task("grade", total=len(students), rate="")
            for student, outcome in _run(students, out, models, jobs, resume):
                outcomes[student] = outcome
                elapsed = progress.tasks[0].elapsed or 1e-9
                progress.update(task, advance=1, rate=f"{len(outcomes) / elapsed:.2f} students/s")
    finally:
        write_class_reports(out, outcomes)
    return outcomes


def _run(students: dict[str, Path], out: Path, models: str, jobs: int, resume: bool):
    if jobs <= 1:
        for student, folder in students.items():
            yield student, _grade_student(student, folder, out, models, resume)
        return
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(_grade_student, s, f, out, models, resume): s for s, f in students.items()}
        for future in as_completed(futures):
            yield futures[future], future.result()


def write_class_reports(out: Path, outcomes: dict[str, tuple]) -> None:
    rows, results, problems = [], {}, {}
    for student, (status, reason) in outcomes.items():
        data = None
        if status == "graded":
            data = json.loads((out / student / "results.json").read_text())
            results[student] = data
        else:
            problems[student] = f"{status}: {reason}"
        rows.append(reports.grade_row(student, data, status if not reason or status == "graded"
                                      else f"{status}: {reason}"))
    reports.write_atomic(out / "grades.csv", reports.grades_csv(rows))
    reports.write_atomic(out / "summary.md", reports.summary_md(results, problems))
    if results:
        reports.score_plot(results, out / "scores.png")


def close() -> None:
    global _zygote
    if _zygote is not None:
        _zygote.close()
        _zygote = None
