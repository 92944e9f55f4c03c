"""A graded student's files in the output folder, and the folder itself: the stamp (grading.json: status,
reason, fingerprint), the record (grade.json, see results.py) and the reports written from it."""

from __future__ import annotations

import json
from pathlib import Path

from autograder.course import Lab
from autograder.errors import UsageError
from autograder.grading.results import FILE, Grade, RecordError

STAMP = "grading.json"

STUDENT_FILES = (FILE, "results.json", "feedback.md")  # a student's files, besides the stamp


def writable_folder(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write to the output folder {out}: {exc.strerror}") from None
    return out


def read_stamp(path: Path) -> dict:
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
