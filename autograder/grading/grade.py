"""Grade one submission: each part's notebook runs in a confined child, its hidden suite in this process."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import Part
from autograder.errors import GraderFault
from autograder.grading.notebook import NotebookError, code_cells
from autograder.grading.submission import Submission
from autograder.grading.suite import PartRun, TestResult, run_suites
from autograder.runner.spawner import Zygote
from autograder.runner.student import CellReport, StudentProcess


@dataclass
class PartOutcome:
    part: Part
    file: Path | None
    note: str = ""
    cells: list[CellReport] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)

    @property
    def score(self) -> float:
        return float(sum(t.points for t in self.tests if t.passed))

    @property
    def max_score(self) -> float:
        return float(sum(t.points for t in self.tests))


@dataclass
class Grade:
    student: str
    parts: list[PartOutcome]
    seconds: float
    confinement: dict[str, str] = field(default_factory=dict)  # what the student's code ran under

    @property
    def score(self) -> float:
        return float(sum(p.score for p in self.parts))

    @property
    def max_score(self) -> float:
        return float(sum(p.max_score for p in self.parts))


def grade_submission(student: str, submission: Submission, zygote: Zygote, models: str) -> Grade:
    """Grade every autograded part of the submission's lab; a missing or unreadable part scores 0 with a
    message saying why."""
    start = time.monotonic()
    lab = submission.lab
    outcomes = [PartOutcome(part, submission.files.get(part.stem), submission.notes.get(part.stem, ""))
                for part in lab.parts]
    started: list[tuple[PartOutcome, Path, PartRun]] = []
    deadline = start + zygote.limits.submission_budget  # one budget, shared by the parts
    try:
        # Every part's child runs its cells at once (they are independent); then each is waited for.
        for outcome in outcomes:
            if outcome.part.points:
                suite = lab.suite(outcome.part)
                if not suite.is_file():
                    raise GraderFault(f"the hidden suite of {lab.id} {outcome.part.stem} is missing: {suite}")
                started.append((outcome, suite, _begin_part(outcome, zygote, deadline)))
        for outcome, _, run in started:
            if run.student is not None:
                run.student.start()
                outcome.cells = [run.student.reports[i] for i in sorted(run.student.reports)]
        run_suites({suite: run for _, suite, run in started}, models)
    finally:
        for _, _, run in started:
            if run.student is not None:
                run.student.close()
    for outcome, _, run in started:
        outcome.tests = run.results
    layers = next((run.student.confinement for _, _, run in started if run.student is not None), {})
    return Grade(student, outcomes, time.monotonic() - start, layers)


def _begin_part(outcome: PartOutcome, zygote: Zygote, deadline: float) -> PartRun:
    """The part's notebook, set running in a child, or why it cannot run."""
    missing = outcome.note or f"{outcome.part.stem}.ipynb not found in the submission"
    if outcome.file is None:
        return PartRun(outcome.part.number, None, missing)
    try:
        cells, repaired = code_cells(outcome.file)
    except NotebookError as exc:
        outcome.note = str(exc)
        return PartRun(outcome.part.number, None, str(exc))
    outcome.note = "; ".join(note for note in (outcome.note, repaired) if note)
    process = StudentProcess(zygote, cells, deadline=deadline)
    process.begin()
    return PartRun(outcome.part.number, process)
