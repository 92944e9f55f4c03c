"""The one result model: what grading found for a student, from the hidden suites to every report.

A `TestResult` knows its part; a `PartResult` is one part's result (its tests, the cells that did not run
cleanly, a note on the file graded); a `Grade` is one student's. The grader writes each student's Grade as
``grade.json`` (`FILE`: a versioned record, exact: ``Grade.from_json(grade.to_json()) == grade``), and
everything that needs the result later reads that record: grades.csv, summary.md, scores.png,
grades-nbgrader.csv, merge and --resume. results.json (Gradescope's schema) and feedback.md are written
from the model (`grading.reports`), never read back.

    grade = Grade.from_json(path.read_text(encoding="utf-8"))   # RecordError if it is not a whole record
    for part in grade.parts:
        part.part.number, part.score, [(t.part, t.index, t.passed) for t in part.tests]
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from autograder.course import Part

FILE = "grade.json"
KIND = "autograder grade"  # the record's "record" field: what it is
VERSION = 1  # the record's layout; a reader refuses any other


class RecordError(ValueError):
    """A grade record that is not whole: unreadable JSON, another layout or version, a field missing or of
    the wrong type, a test filed under another part."""


@dataclass(frozen=True)
class TestResult:
    """One hidden test: `index` is its place in its part's suite (from 1), so its number is "part.index"."""

    __test__ = False  # a result, not a pytest test class

    part: int
    index: int
    name: str  # the test's docstring's first line
    points: float
    passed: bool
    message: str = ""  # for the student: a failed comparison, or their code failing
    fault: str = ""  # a grader-side error, for the instructor's log only
    test_id: str = ""  # the hidden test's function name

    @property
    def number(self) -> str:
        """What reports show: "3.2" for the second test of Part 3."""
        return f"{self.part}.{self.index}"

    @property
    def score(self) -> float:
        return float(self.points) if self.passed else 0.0


@dataclass(frozen=True)
class CellError:
    """A code cell that did not run cleanly: `index` from 0 among the notebook's graded code cells."""

    index: int
    error: str


@dataclass(frozen=True)
class PartResult:
    """One part of the lab as graded: its tests in suite order, the cells that did not run cleanly, and what
    the student should know about the file graded (`note`: missing, unreadable, repaired)."""

    part: Part
    note: str = ""
    cells: tuple[CellError, ...] = ()
    tests: tuple[TestResult, ...] = ()

    def __post_init__(self):
        for position, test in enumerate(self.tests, 1):
            if test.part != self.part.number or test.index != position:
                raise RecordError(f"test {test.number} is filed as test {position} of part "
                                  f"{self.part.number}")

    @property
    def score(self) -> float:
        return float(sum(t.points for t in self.tests if t.passed))

    @property
    def max_score(self) -> float:
        return float(sum(t.points for t in self.tests))


@dataclass(frozen=True)
class Grade:
    """One student's result: every part of the lab `lab` (by id), in the lab's order."""

    student: str
    lab: str
    parts: tuple[PartResult, ...]
    seconds: float
    confinement: dict[str, str] = field(default_factory=dict)  # what the student's code ran under

    def __post_init__(self):
        numbers = [p.part.number for p in self.parts]
        if len(set(numbers)) != len(numbers):
            raise RecordError(f"a part is listed twice: parts {numbers}")

    @property
    def score(self) -> float:
        return float(sum(p.score for p in self.parts))

    @property
    def max_score(self) -> float:
        return float(sum(p.max_score for p in self.parts))

    @property
    def tests(self) -> tuple[TestResult, ...]:
        """Every test, by part, then by index."""
        return tuple(test for part in self.parts for test in part.tests)

    def to_json(self) -> str:
        record = {"record": KIND, "version": VERSION, "student": self.student, "lab": self.lab,
                  "seconds": self.seconds, "confinement": self.confinement,
                  "parts": [_part_json(p) for p in self.parts]}
        # ASCII: student text may hold lone surrogates, which JSON escapes and no UTF-8 file could hold
        return json.dumps(record, indent=2, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Grade:
        """The Grade a `to_json` text holds; RecordError for anything else."""
        try:
            record = json.loads(text)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise RecordError(f"not JSON ({type(exc).__name__})") from None
        _fields(record, "the record", ("record", "version", "student", "lab", "seconds", "confinement",
                                       "parts"))
        if record["record"] != KIND:
            raise RecordError(f"not a grade record (record: {record['record']!r})")
        if record["version"] != VERSION:
            raise RecordError(f"a grade record of version {record['version']!r}; this autograder reads "
                              f"version {VERSION}")
        confinement = record["confinement"]
        if not isinstance(confinement, dict) or not all(isinstance(v, str) for v in confinement.values()):
            raise RecordError("confinement: expected an object of strings")
        return cls(_str(record, "student"), _str(record, "lab"),
                   tuple(_part(p) for p in _list(record, "parts")), _number(record, "seconds"), confinement)


def _part_json(result: PartResult) -> dict:
    part = result.part
    return {"number": part.number, "stem": part.stem, "title": part.title, "points": part.points,
            "manual_points": part.manual_points, "note": result.note,
            "cells": [{"index": c.index, "error": c.error} for c in result.cells],
            "tests": [{"index": t.index, "name": t.name, "points": t.points, "passed": t.passed,
                       "message": t.message, "fault": t.fault, "test_id": t.test_id} for t in result.tests]}


def _part(data: Any) -> PartResult:
    _fields(data, "a part", ("number", "stem", "title", "points", "manual_points", "note", "cells", "tests"))
    number = _int(data, "number")
    part = Part(number, _str(data, "stem"), _str(data, "title"), _int(data, "points"),
                _int(data, "manual_points"))
    cells = []
    for cell in _list(data, "cells"):
        _fields(cell, f"a cell of part {number}", ("index", "error"))
        cells.append(CellError(_int(cell, "index"), _str(cell, "error")))
    tests = []
    for test in _list(data, "tests"):
        _fields(test, f"a test of part {number}",
                ("index", "name", "points", "passed", "message", "fault", "test_id"))
        if not isinstance(test["passed"], bool):
            raise RecordError(f"passed: expected true or false, got {test['passed']!r}")
        tests.append(TestResult(number, _int(test, "index"), _str(test, "name"), _number(test, "points"),
                                test["passed"], _str(test, "message"), _str(test, "fault"),
                                _str(test, "test_id")))
    return PartResult(part, _str(data, "note"), tuple(cells), tuple(tests))


def _fields(data: Any, what: str, names: tuple[str, ...]) -> None:
    if not isinstance(data, dict) or set(data) != set(names):
        got = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise RecordError(f"{what}: expected the fields {', '.join(names)}; got {got}")


def _str(data: dict, key: str) -> str:
    if not isinstance(data[key], str):
        raise RecordError(f"{key}: expected a string, got {data[key]!r}")
    return data[key]


def _int(data: dict, key: str) -> int:
    if type(data[key]) is not int:
        raise RecordError(f"{key}: expected an integer, got {data[key]!r}")
    return data[key]


def _number(data: dict, key: str) -> float:
    value = data[key]
    if type(value) not in (int, float) or not math.isfinite(value):
        raise RecordError(f"{key}: expected a number, got {value!r}")
    return value


def _list(data: dict, key: str) -> list:
    if not isinstance(data[key], list):
        raise RecordError(f"{key}: expected a list, got {type(data[key]).__name__}")
    return data[key]
