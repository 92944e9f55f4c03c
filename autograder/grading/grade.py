"""Grade one submission: each part's notebook runs in a confined child, its hidden suite in this process."""

from __future__ import annotations

import time
from pathlib import Path

from autograder.course import Part
from autograder.errors import GraderFault
from autograder.grading.notebook import NotebookError, code_cells
from autograder.grading.results import CellError, Grade, PartResult
from autograder.grading.submission import Submission
from autograder.grading.suite import StudentPart, run_suites
from autograder.runner.spawner import Zygote
from autograder.runner.student import StudentProcess


def grade_submission(student: str, submission: Submission, zygote: Zygote, models: str) -> Grade:
    """Grade every autograded part of the submission's lab; a missing or unreadable part scores 0 with a
    message saying why."""
    start = time.monotonic()
    lab = submission.lab
    notes = {part.stem: submission.notes.get(part.stem, "") for part in lab.parts}
    running: dict[Path, StudentPart] = {}
    cells: dict[int, tuple[CellError, ...]] = {}
    tests: dict[int, list] = {}
    deadline = start + zygote.limits.submission_budget  # one budget, shared by the parts
    try:
        # Every part's child runs its cells at once (they are independent); then each is waited for.
        for part in lab.graded:
            suite = lab.suite(part)
            if not suite.is_file():
                raise GraderFault(f"the hidden suite of {lab.id} {part.stem} is missing: {suite}")
            running[suite] = _begin_part(part, submission.files.get(part.stem), notes, zygote, deadline)
        for run in running.values():
            if run.process is not None:
                run.process.start()
                reports = run.process.reports
                cells[run.number] = tuple(CellError(i, reports[i].error) for i in sorted(reports)
                                          if reports[i].error)
        tests = run_suites(running, models)
    finally:
        for run in running.values():
            if run.process is not None:
                run.process.close()
    parts = tuple(PartResult(part, notes[part.stem], cells.get(part.number, ()),
                             tuple(tests.get(part.number, ()))) for part in lab.parts)
    layers = next((run.process.confinement for run in running.values() if run.process is not None), {})
    return Grade(student, lab.id, parts, time.monotonic() - start, layers)


def _begin_part(part: Part, file: Path | None, notes: dict[str, str], zygote: Zygote,
                deadline: float) -> StudentPart:
    """The part's notebook, set running in a child, or why it cannot run (also said in `notes`)."""
    note = notes[part.stem]
    if file is None:
        return StudentPart(part.number, None, note or f"{part.stem}.ipynb not found in the submission")
    try:
        source, repaired = code_cells(file)
    except NotebookError as exc:
        notes[part.stem] = str(exc)
        return StudentPart(part.number, None, str(exc))
    notes[part.stem] = "; ".join(n for n in (note, repaired) if n)
    process = StudentProcess(zygote, source, deadline=deadline)
    process.begin()
    return StudentPart(part.number, process)
