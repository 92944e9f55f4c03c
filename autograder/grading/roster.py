"""GitHub Classroom rosters: key grades by the roster's identifier, and export in nbgrader's column layout."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import UsageError
from autograder.grading.reports import GRADE_COLUMNS

# The columns `nbgrader export` writes (nbgrader/plugins/export.py), so LMS import scripts keep working.
NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                    "raw_score", "late_submission_penalty", "score", "max_score"]


@dataclass(frozen=True)
class Entry:
    identifier: str
    github_username: str
    name: str = ""


def read_roster(path: Path) -> list[Entry]:
    """Entries of a Classroom roster CSV (`identifier`, `github_username`, optional `name`)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the roster {path}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"identifier", "github_username"} <= set(reader.fieldnames):
        raise UsageError(f"{path}: a Classroom roster needs the columns identifier and github_username")
    entries = [Entry(row["identifier"].strip(), (row["github_username"] or "").strip(),
                     (row.get("name") or "").strip()) for row in reader if (row["identifier"] or "").strip()]
    identifiers = [e.identifier for e in entries]
    duplicates = sorted({i for i in identifiers if identifiers.count(i) > 1})
    if duplicates:
        raise UsageError(f"{path}: identifier(s) listed twice: {', '.join(duplicates)}")
    return entries


def owner(folder: str, entries: list[Entry]) -> Entry | None:
    """The roster entry whose repository `folder` is: named after the GitHub username, or, as
    `gh classroom clone` names them, `<assignment>-<username>`."""
    for entry in entries:
        username = entry.github_username.lower()
        if username and (folder.lower() == username or folder.lower().endswith(f"-{username}")):
            return entry
    return None


def apply(rows: list[dict], entries: list[Entry]) -> tuple[list[dict], list[str]]:
    """Rows keyed by roster identifier (with the GitHub username), roster students without a repository as
    `missing`, and the folders that belong to nobody on the roster."""
    by_folder = {row["student_id"]: row for row in rows}
    claimed, keyed = set(), []
    for entry in entries:
        folder = next((f for f in sorted(by_folder) if owner(f, [entry]) is entry), None)
        if folder is None:
            row = dict.fromkeys(GRADE_COLUMNS, "")
            row.update(student_id=entry.identifier, status="missing: no repository")
        else:
            claimed.add(folder)
            row = {**by_folder[folder], "student_id": entry.identifier}
        keyed.append({"student_id": row.pop("student_id"), "github_username": entry.github_username, **row})
    return keyed, sorted(set(by_folder) - claimed)


def nbgrader_export(rows: list[dict], assignment: str, max_score: float, names: dict[str, str]) -> str:
    """grades in `nbgrader export`'s layout: one row per student, 0 for those with nothing graded."""
    out = io.StringIO()
    writer = csv.DictWriter(out, NBGRADER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: r["student_id"]):
        first, _, last = names.get(row["student_id"], "").partition(" ")
        score = float(row["total"]) if row.get("total") not in (None, "") else 0.0
        writer.writerow({"assignment": assignment, "duedate": "", "timestamp": "",
                         "student_id": row["student_id"], "last_name": last, "first_name": first, "email": "",
                         "raw_score": score, "late_submission_penalty": 0.0, "score": score,
                         "max_score": max_score})
    return out.getvalue()
