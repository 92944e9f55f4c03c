"""Grade one submission: each part's notebook runs in a confined child, its hidden suite in this process."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.notebook import NotebookError, code_cells
from autograder.grading.submission import Submission
from autograder.grading.suite import TestResult, run_suite
from autograder.labs.encoders_decoders import LAB_ID, PARTS, Part
from autograder.runner.pool import CellReport, StudentProcess, Zygote

SUITES = Path(__file__).resolve().parent.parent / "labs" / LAB_ID / "hidden"


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

    @property
    def score(self) -> float:
        return float(sum(p.score for p in self.parts))

    @property
    def max_score(self) -> float:
        return float(sum(p.max_score for p in self.parts))


def grade_submission(student: str, submission: Submission, zygote: Zygote, models: str) -> Grade:
    """Grade every autograded part; a missing or unreadable part scores 0 with a message saying why."""
    start = time.monotonic()
    outcomes = []
    for part in PARTS:
        file = submission.files.get(part.stem)
        outcome = PartOutcome(part, file, submission.notes.get(part.stem, ""))
        suite = SUITES / f"test_{part.stem}.py"
        if suite.is_file():
            _grade_part(outcome, suite, zygote, models)
        outcomes.append(outcome)
    return Grade(student, outcomes, time.monotonic() - start)


def _grade_part(outcome: PartOutcome, suite: Path, zygote: Zygote, models: str) -> None:
    process = None
    missing = outcome.note or f"{outcome.part.stem}.ipynb not found in the submission"
    if outcome.file is not None:
        try:
            process = StudentProcess(zygote, code_cells(outcome.file))
            process.start()
            outcome.cells = [process.reports[i] for i in sorted(process.reports)]
        except NotebookError as exc:
            outcome.note = missing = str(exc)
            process = None
    try:
        outcome.tests = run_suite(suite, outcome.part.number, process, missing, models)
    finally:
        if process is not None:
            process.close()
