"""Grade a whole class: every student folder under a root, with `--jobs` workers, a progress bar and
`--resume`; each student's reports, then the class's (class_reports.py)."""

from __future__ import annotations

import hashlib
import json
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from autograder.course import Lab
from autograder.errors import UsageError
from autograder.grading import reports, worker
from autograder.grading.class_reports import write_class_reports
from autograder.grading.notebook import MAX_BYTES
from autograder.grading.records import STAMP, STUDENT_FILES, read_grade, read_stamp, writable_folder
from autograder.grading.results import RecordError
from autograder.grading.roster import read_roster
from autograder.grading.shards import in_shard
from autograder.grading.submission import Submission, locate


def fingerprint(submission: Submission, models: str) -> str:
    """Changes when a graded file or the model set changes (what --resume compares). Files over the
    notebook size limit are not read (they are refused anyway): their size and time stand for them."""
    digest = hashlib.sha256(models.encode())
    for stem, path in sorted(submission.files.items()):
        digest.update(stem.encode())
        if path is None:
            digest.update(b"-")
            continue
        stat = path.stat()
        if stat.st_size > MAX_BYTES:
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
        else:
            with open(path, "rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def students_under(root: Path, out: Path | None = None) -> dict[str, Path]:
    """Student id -> folder: `ROOT/<student>/`, or nbgrader's `ROOT/submitted/<student>/<lab>/` (the output
    folder, if it lies there, is no student)."""
    if not root.is_dir():
        raise UsageError(f"no such folder: {root}")
    base = root / "submitted" if (root / "submitted").is_dir() else root
    skip = out.resolve() if out else None
    students = {d.name: d for d in sorted(base.iterdir())
                if d.is_dir() and not d.name.startswith(".") and d.resolve() != skip}
    if not students:
        raise UsageError(f"{root} holds no student folders (expected ROOT/<student>/...)")
    return students


def _grade_student(lab: Lab, student: str, folder: Path, out: Path, models: str, resume: bool,
                   hide: tuple[Path, ...]) -> tuple[str, str]:
    """(status, reason) after grading one student into `out/<student>/`; runs in a worker with --jobs.
    The status is also stamped in `out/<student>/grading.json` (with the fingerprint --resume compares);
    class reports are made from it and the student's grade.json."""
    target = out / student
    stamp = target / STAMP
    try:
        submission = locate(folder, lab)
    except UsageError as exc:
        status, reason, key = "missing", str(exc), ""
    else:
        try:
            key = fingerprint(submission, models)
        except OSError as exc:
            return "error", f"could not read the submission: {exc}"
        done = read_stamp(stamp)
        if resume and done.get("status") == "graded" and done.get("fingerprint") == key:
            try:
                kept = read_grade(target, lab)
            except RecordError:
                pass  # graded again
            else:  # its reports again from its record: the same files, or ones lost since
                reports.write_student(target, kept)
                return done["status"], done["reason"]
        try:
            worker.grade_one(student, submission, target, models, hide)
            status, reason = "graded", ""
        except Exception as exc:  # a grader fault: this student is not graded, and the batch goes on
            status, reason = "error", f"{type(exc).__name__}: {exc}"
            for stale in STUDENT_FILES:  # no score may stand for this student
                (target / stale).unlink(missing_ok=True)
    reports.write_atomic(stamp, json.dumps({"fingerprint": key, "models": models, "status": status,
                                            "reason": reason}) + "\n")
    return status, reason


def grade_all(lab: Lab, root: Path, out: Path, models: str, jobs: int = 1, resume: bool = False,
              shard: tuple[int, int] | None = None, roster: Path | None = None):
    """Grade every student under `root` (or shard K of N of them) on `lab`. Returns student -> (status,
    reason), and the folders matched to nobody on the roster, each with the reason. Class reports are always
    written, also when interrupted (then for the students finished so far)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    entries = read_roster(roster) if roster else None
    students = {s: f for s, f in students_under(root, out).items() if in_shard(s, shard)}
    writable_folder(out)
    if shard:
        reports.write_atomic(out / "shard.json", json.dumps({"shard": shard[0], "of": shard[1], "lab": lab.id,
                                                             "students": sorted(students)}) + "\n")
    outcomes: dict[str, tuple] = {}
    columns = (TextColumn("Grading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
               TimeRemainingColumn())
    progress = Progress(*columns, disable=not sys.stderr.isatty(), transient=False)
    hide = (root, out)  # children see neither the class's submissions nor its results
    _announce_confinement(worker.zygote(lab, models, hide).confinement())  # a policy refusal stops us here
    pool = worker.fork_workers(lab, jobs, models, hide)  # forked before the progress bar starts a thread
    try:
        with progress:
            task = progress.add_task("grade", total=len(students), rate="")
            for student, outcome in _run(pool, lab, students, out, models, resume, hide):
                outcomes[student] = outcome
                elapsed = progress.tasks[0].elapsed or 1e-9
                progress.update(task, advance=1, rate=f"{len(outcomes) / elapsed:.2f} students/s")
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        reported = write_class_reports(lab, out, sorted(outcomes), entries)
    return reported


def confinement_notice(layers: dict[str, str], guarantees: dict | None = None,
                       lead: str = "Student code runs confined") -> tuple[str, str]:
    """What student code runs under (`lead`, then the layers), and what it lacks of `guarantees`
    (confinement.GUARANTEES by default) if weak isolation was allowed ("" if nothing): said once per batch,
    on the terminal by grade-all, in nbgrader's log by its warm grader and for its kernels."""
    from autograder.grading.inert import plain
    from autograder.runner.confinement import GUARANTEES, describe, missing

    lacks = missing(layers, guarantees or GUARANTEES)
    return (f"{lead}: {plain(describe(layers))}",
            f"weak isolation allowed; the sandbox lacks {'; '.join(lacks)}" if lacks else "")


def _announce_confinement(layers: dict[str, str]) -> None:
    confined, weak = confinement_notice(layers)
    print(confined, file=sys.stderr)
    if weak:
        print(f"autograder: warning: {weak}", file=sys.stderr)


def _run(pool: ProcessPoolExecutor | None, lab: Lab, students: dict[str, Path], out: Path, models: str,
         resume: bool, hide: tuple):
    if pool is None:
        for student, folder in students.items():
            yield student, _grade_student(lab, student, folder, out, models, resume, hide)
        return
    futures = {pool.submit(_grade_student, lab, s, f, out, models, resume, hide): s
               for s, f in students.items()}
    for future in as_completed(futures):
        try:
            yield futures[future], future.result()
        except Exception as exc:  # a worker died (killed from outside, or out of memory)
            yield futures[future], ("error", f"the grading worker failed: {type(exc).__name__}: {exc}")
