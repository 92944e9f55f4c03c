"""Grade one submission or a whole class, writing every report; `--jobs` workers share one warm zygote."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from autograder.course import Lab, find
from autograder.errors import UsageError
from autograder.grading import reports
from autograder.grading.grade import grade_submission
from autograder.grading.notebook import MAX_BYTES
from autograder.grading.results import FILE, Grade, RecordError
from autograder.grading.roster import apply as apply_roster
from autograder.grading.roster import nbgrader_export, read_roster
from autograder.grading.submission import Submission, locate
from autograder.runner.spawner import Zygote

_zygote: Zygote | None = None  # the grader's, inherited by its --jobs workers


def _worker_zygote(lab: Lab, models: str, hide: tuple[Path, ...] = ()) -> Zygote:
    """This process's zygote for `lab`, started on first use, whose children never see `hide` nor the lab's
    secrets; while it warms up, this process loads its own reference models, so the two start-up costs
    overlap."""
    global _zygote
    if _zygote is None:
        from autograder.models import load_pair

        _zygote = Zygote(models, hide=(*lab.secrets, *hide), roles=lab.roles, forbidden=lab.forbidden)
        for role in lab.roles:
            load_pair(role, spec=models, default="offline")
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


def grade_one(student: str, submission: Submission, out: Path, models: str,
              hide: tuple[Path, ...] = ()) -> Grade:
    """Grade and write one student's reports; children never see `hide` (the class's folders)."""
    grade = grade_submission(student, submission, _worker_zygote(submission.lab, models, hide), models)
    reports.write_student(out, grade)
    return grade


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


def in_shard(student: str, shard: tuple[int, int] | None) -> bool:
    """Shard K of N (1-based) by a hash of the student id: the same slices on every machine."""
    if shard is None:
        return True
    k, n = shard
    if not 1 <= k <= n:  # shard 0/3 or 4/3 would be a slice of nobody, silently
        raise ValueError(f"shard {k}/{n}: expected K/N with 1 <= K <= N")
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % n == k - 1


STUDENT_FILES = (FILE, "results.json", "feedback.md")  # a student's files, besides the stamp


def _grade_student(lab: Lab, student: str, folder: Path, out: Path, models: str, resume: bool,
                   hide: tuple[Path, ...]) -> tuple[str, str]:
    """(status, reason) after grading one student into `out/<student>/`; runs in a worker with --jobs.
    The status is also stamped in `out/<student>/grading.json` (with the fingerprint --resume compares);
    class reports are made from it and the student's grade.json."""
    target = out / student
    stamp = target / "grading.json"
    try:
        submission = locate(folder, lab)
    except UsageError as exc:
        status, reason, key = "missing", str(exc), ""
    else:
        try:
            key = fingerprint(submission, models)
        except OSError as exc:
            return "error", f"could not read the submission: {exc}"
        done = _stamp(stamp)
        if resume and done.get("status") == "graded" and done.get("fingerprint") == key:
            try:
                kept = read_grade(target, lab)
            except RecordError:
                pass  # graded again
            else:  # its reports again from its record: the same files, or ones lost since
                reports.write_student(target, kept)
                return done["status"], done["reason"]
        try:
            grade_one(student, submission, target, models, hide)
            status, reason = "graded", ""
        except Exception as exc:  # a grader fault: this student is not graded, and the batch goes on
            status, reason = "error", f"{type(exc).__name__}: {exc}"
            for stale in STUDENT_FILES:  # no score may stand for this student
                (target / stale).unlink(missing_ok=True)
    reports.write_atomic(stamp, json.dumps({"fingerprint": key, "models": models, "status": status,
                                            "reason": reason}) + "\n")
    return status, reason


def _stamp(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def read_grade(folder: Path, lab: Lab) -> Grade:
    """The Grade recorded in `folder` for `lab`; RecordError, saying why, when there is none to read."""
    try:
        grade = Grade.from_json((folder / FILE).read_bytes())
    except OSError as exc:  # lost, say on its way from a shard's machine
        raise RecordError(f"{FILE} could not be read: {type(exc).__name__}") from None
    except RecordError as exc:
        raise RecordError(f"{FILE} could not be read: {exc}") from None
    if grade.lab != lab.id or {p.part.number for p in grade.parts} - {p.number for p in lab.parts}:
        raise RecordError(f"{FILE} is a grade of another lab ({grade.lab}, parts "
                          f"{', '.join(str(p.part.number) for p in grade.parts)})")
    return grade


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
    _announce_confinement(_worker_zygote(lab, models, hide).confinement())  # a policy refusal stops us here
    pool = _workers(lab, jobs, models, hide)  # forked before the progress bar starts a thread
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
        unmatched = write_class_reports(lab, out, sorted(outcomes), entries)
    return outcomes, unmatched


def _announce_confinement(layers: dict[str, str]) -> None:
    """Once per batch, on the terminal: what student code runs under, and what it lacks if weak isolation
    was allowed."""
    from autograder.grading.inert import plain
    from autograder.runner.confinement import describe, missing

    print(f"Student code runs confined: {plain(describe(layers))}", file=sys.stderr)
    if lacks := missing(layers):
        print(f"autograder: warning: weak isolation allowed; the sandbox lacks {'; '.join(lacks)}",
              file=sys.stderr)


def _workers(lab: Lab, jobs: int, models: str, hide: tuple) -> ProcessPoolExecutor | None:
    """`jobs` worker processes forked from this one once it holds the warm zygote and the reference models:
    they share those pages copy-on-write, and share the zygote itself, so a worker adds little more than
    its own pytest sessions. None for one job (this process grades)."""
    if jobs <= 1:
        return None
    # Forked workers must not inherit thread pools: one torch thread each (they run side by side), and no
    # tokenizer threads.
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    import torch

    torch.set_num_threads(1)
    _worker_zygote(lab, models, hide).share()
    gc.freeze()  # the collector would otherwise touch, and so copy, every shared object in every worker
    pool = ProcessPoolExecutor(jobs, mp_context=get_context("fork"))
    pool.submit(int).result()  # a fork pool starts all its workers at the first task: now, thread-free
    return pool


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


def write_class_reports(lab: Lab, out: Path, students: list[str],
                        entries: list | None = None) -> dict[str, str]:
    """grades.csv, summary.md and scores.png from the students' folders under `out`; with a roster, also
    grades-nbgrader.csv. Returns the folders matched to nobody on the roster, each with the reason."""
    rows, grades, problems = [], {}, {}
    for student in students:
        stamp = _stamp(out / student / "grading.json")
        status, reason = stamp.get("status", "error"), stamp.get("reason", "no grading record")
        grade = None
        if status == "graded":
            try:
                grade = grades[student] = read_grade(out / student, lab)
            except RecordError as exc:  # damaged or lost, say on its way from a shard's machine
                status, reason = "error", str(exc)
        if status != "graded":
            problems[student] = f"{status}: {reason}"
        rows.append(reports.grade_row(lab, student, grade,
                                      status if status == "graded" else f"{status}: {reason}"))
    unmatched = {}
    if entries is not None:
        rows, unmatched = apply_roster(rows, entries, reports.grade_columns(lab))
        problems.update(unmatched)
        names = {e.identifier: e.name for e in entries}
        maximum = max((g.max_score for g in grades.values()), default=0)
        reports.write_atomic(out / "grades-nbgrader.csv", nbgrader_export(rows, lab.id, maximum, names))
    reports.write_atomic(out / "grades.csv", reports.grades_csv(lab, rows))
    reports.write_atomic(out / "summary.md", reports.summary_md(grades, problems))
    if grades:
        reports.score_plot(grades, out / "scores.png")
    return unmatched


def merge(shards: list[Path], out: Path, roster: Path | None = None) -> dict[str, str]:
    """Combine the outputs of `grade-all --shard K/N` runs into one set of class reports in `out`.
    Refuses shards of different N or labs, a missing or repeated K, and students graded in two shards."""
    entries = read_roster(roster) if roster else None
    seen: dict[int, Path] = {}
    students: dict[str, Path] = {}
    total = lab_id = None
    for folder in shards:
        info = _stamp(folder / "shard.json")
        if not info:
            raise UsageError(f"{folder} is not the output of grade-all --shard (no shard.json)")
        if lab_id not in (None, info.get("lab")):
            raise UsageError(f"{folder} graded the lab {info.get('lab')}, the others {lab_id}")
        lab_id = info.get("lab")
        if total not in (None, info["of"]):
            raise UsageError(f"{folder} is shard {info['shard']}/{info['of']}, the others are of {total}")
        total = info["of"]
        if info["shard"] in seen:
            raise UsageError(f"shard {info['shard']}/{total} given twice: {seen[info['shard']]} and {folder}")
        seen[info["shard"]] = folder
        for student in info["students"]:
            if student in students:
                raise UsageError(f"{student} was graded in both {students[student]} and {folder}")
            students[student] = folder
    missing = sorted(set(range(1, total + 1)) - set(seen))
    if missing:
        raise UsageError(f"shard(s) {', '.join(f'{k}/{total}' for k in missing)} missing from the merge")
    writable_folder(out)
    for student, folder in students.items():
        source, target = folder / student, out / student
        if source.resolve() == target.resolve():
            continue
        # An earlier merge's copy must not outlive this one (a student since graded as an error has no score).
        for stale in ("grading.json", *STUDENT_FILES):
            (target / stale).unlink(missing_ok=True)
        if source.is_dir():  # else a shard run stopped before this student: no grading record, an error
            shutil.copytree(source, target, dirs_exist_ok=True)
    return write_class_reports(find(lab_id), out, sorted(students), entries)


def close() -> None:
    global _zygote
    if _zygote is not None:
        _zygote.close()
        _zygote = None
