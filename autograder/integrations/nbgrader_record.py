"""An nbgrader course filled from grade-all's records: what ``autograder nbgrader-autograde COURSE`` runs
after grading ``COURSE/submitted/`` with grade-all.

nbgrader's own Autograde converter then runs on the course, as ``nbgrader autograde`` does: its sanitizing
(outputs cleared; locked and hidden-test cells put back from the gradebook), ``init_assignment`` (student,
submission, timestamp, missing notebooks at 0) and the course's autograde preprocessors, with one change:
`RecordedGrades` stands where the Execute was. It writes each hidden-test cell's outputs from the student's
grade record (``nbgrader_cells.fill``) instead of running the notebook, and ``SaveAutoGrades``,
``AssignLatePenalties`` and ``CheckCellMetadata`` score, penalise and flag the reflections for manual grading
as after a stock autograde. So formgrader, ``generate_feedback`` and ``export`` work on the course unchanged.

The students' own cells are not run again: in ``autograded/`` and the feedback they show no outputs. This
module imports nbgrader (the ``nbgrader`` extra).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from pathlib import Path

import nbformat
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Unicode

from autograder.course import find
from autograder.errors import GraderFault
from autograder.grading.batch import fingerprint
from autograder.grading.records import STAMP, read_grade, read_stamp
from autograder.grading.results import RecordError
from autograder.grading.submission import locate
from autograder.integrations.nbgrader_cells import fill, hidden_call

RECORDS = "grade-all"  # the course's subfolder where grade-all writes its records and class reports


class RecordedGrades(NbGraderPreprocessor):
    """The Execute of a course filled from records: each hidden-test cell gets its test's result from
    ``<records>/<student>/grade.json``, provided grade-all graded that student's submission as it is now."""

    records = Unicode("", help="grade-all's output folder for the course's submitted/").tag(config=True)
    submitted = Unicode("", help="the course's submitted/ folder, which grade-all graded").tag(config=True)
    lab = Unicode("", help="the lab graded").tag(config=True)

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        lab = find(self.lab)
        folder = Path(self.records) / student
        stamp = read_stamp(folder / STAMP)
        if stamp.get("status") != "graded":
            raise GraderFault(f"grade-all has no grade for {student}: {stamp.get('reason') or 'not graded'}")
        now = fingerprint(locate(Path(self.submitted) / student, lab), stamp.get("models", ""))
        if now != stamp.get("fingerprint"):
            raise GraderFault(f"the grade of {student} in {folder} is of other files than submitted/ holds "
                              "now: grade again")
        try:
            fill(nb, read_grade(folder, lab))
        except RecordError as exc:
            raise GraderFault(f"the grade of {student}: {exc}") from None
        return nb, resources


class _HiddenCellChecksums(logging.Filter):
    """Drops nbgrader's warning that a hidden-test cell's checksum changed, which it gives for every cell of
    every student: the released cell never held the hidden region of the gradebook's copy. The same warning
    for any other cell (a locked cell a student edited) still shows."""

    def __init__(self, grade_ids: set[str]):
        super().__init__()
        self.grade_ids = grade_ids

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (str(record.msg).startswith("Attribute '%s' for cell") and args[:1] == ("checksum",)
                    and len(args) > 1 and args[1] in self.grade_ids)


def _hidden_cell_ids(source: Path) -> set[str]:
    """The grade ids of the hidden-test cells of the course's source notebooks in `source`."""
    return {cell.metadata["nbgrader"]["grade_id"] for path in source.glob("*.ipynb")
            for cell in nbformat.read(path, as_version=4).cells if hidden_call(cell)}


def record(course: Path, lab_id: str, records: Path, exclude: list[str], force: bool) -> int:
    """Run nbgrader's Autograde on `course` with `RecordedGrades` for its Execute, leaving out the students
    in `exclude`; nbgrader's exit code (1 when it failed for a student: it said which, and why)."""
    from nbgrader.apps import AutogradeApp
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    course = course.resolve()
    app = AutogradeApp()
    with contextlib.chdir(course):
        app.initialize([lab_id, "--log-level=WARN", *(["--force"] if force else [])], root=str(course))
        quiet = _HiddenCellChecksums(_hidden_cell_ids(course / "source" / lab_id))
        for handler in app.log.handlers:
            handler.addFilter(quiet)
        configured = app.config.Autograde.get("autograde_preprocessors") or []
        if not any(isinstance(p, type) and issubclass(p, Execute) for p in configured):
            raise GraderFault(f"{course / 'nbgrader_config.py'} sets no Execute among the autograde "
                              "preprocessors: rebuild it with autograder build nbgrader")
        app.config.Autograde.autograde_preprocessors = [
            RecordedGrades if isinstance(p, type) and issubclass(p, Execute) else p for p in configured]
        app.config.RecordedGrades.records = str(records.resolve())
        app.config.RecordedGrades.submitted = str((course / "submitted").resolve())
        app.config.RecordedGrades.lab = lab_id
        app.coursedir.student_id_exclude = ",".join(exclude)
        students = [d for d in (course / "submitted").iterdir() if d.is_dir() and d.name not in exclude]
        with Progress(TextColumn("Recording in the gradebook"), BarColumn(), MofNCompleteColumn(),
                      disable=not sys.stderr.isatty()) as progress:
            task = progress.add_task("record", total=len(students))
            app.config.Autograde.post_convert_hook = lambda **_: progress.advance(task)
            try:
                with warnings.catch_warnings():  # SQLAlchemy's about nbgrader's sessions: nothing for a TA
                    warnings.simplefilter("ignore", category=Warning)
                    app.start()
            except SystemExit as exc:
                return exc.code if isinstance(exc.code, int) else 1
    return 0
