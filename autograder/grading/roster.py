"""GitHub Classroom rosters: key grades by the roster's identifier, and export in nbgrader's column layout."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import UsageError

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
    usernames = [e.github_username.lower() for e in entries if e.github_username]
    for column, values in (("identifier", [e.identifier for e in entries]), ("github_username", usernames)):
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise UsageError(f"{path}: {column}(s) listed twice: {', '.join(duplicates)}")
    return entries


@dataclass
class Matching:
    """Which repository folder is whose. A folder goes to at most one roster student and a student gets at
    most one folder; what cannot be told apart is assigned to nobody and said so."""

    owners: dict[str, Entry]  # folder -> its student
    unmatched: dict[str, str]  # folder -> why it has no student
    problems: dict[str, str]  # roster identifier -> why a folder that may be theirs was not assigned


def match(folders: list[str], entries: list[Entry]) -> Matching:
    """Match repository folders to roster students by whole GitHub usernames (case-insensitive).

    A folder named after a username is that student's. Otherwise, as `gh classroom clone` names them, a
    folder is `<assignment>-<username>`, and usernames may hold hyphens (`ann`, `jo-ann`, `x-jo-ann`): when
    most folders share one assignment prefix, a folder with that prefix belongs to exactly the username
    after it; any other folder to the one username (of a student without a folder of their name) it ends
    with, and to nobody when it could end with two.
    """
    by_name = {e.github_username.lower(): e for e in entries if e.github_username}
    owners = {f: by_name[f.lower()] for f in folders if f.lower() in by_name}
    named = {f.lower(): f for f in owners}  # username -> the folder of that very name
    fits = {f: _endings(f, by_name.keys() - named.keys()) for f in folders if f not in owners}
    if prefix := _common_prefix(fits):  # then the username is all that follows it
        fits.update({f: [u for u in names if len(f) == len(prefix) + 1 + len(u)] for f, names in fits.items()
                     if f.lower().startswith(f"{prefix}-")})
    unmatched, problems = {}, {}
    for folder, names in fits.items():
        if len(names) == 1:
            owners[folder] = by_name[names[0]]
        elif names:
            candidates = " or ".join(sorted(names, key=lambda u: (-len(u), u)))
            unmatched[folder] = f"could be the repository of {candidates}: not assigned, match by hand"
            for name in names:
                problems[by_name[name].identifier] = f"{folder} may be theirs ({candidates}): match by hand"
        elif taken := _endings(folder, named):
            unmatched[folder] = f"{taken[0]}'s repository is {named[taken[0]]}"
        else:
            unmatched[folder] = "not on the roster"
    for entry in set(owners.values()):
        theirs = sorted(f for f, e in owners.items() if e == entry)
        if len(theirs) > 1:  # never a silent pick between two repositories
            for folder in theirs:
                del owners[folder]
                unmatched[folder] = f"one of {len(theirs)} repositories of {entry.github_username}"
            problems[entry.identifier] = f"more than one repository ({', '.join(theirs)}): match by hand"
    for entry in owners.values():
        problems.pop(entry.identifier, None)
    return Matching(owners, unmatched, problems)


def _endings(folder: str, usernames) -> list[str]:
    """The usernames `folder` ends with as `<prefix>-<username>`."""
    return [u for u in usernames if folder.lower().endswith(f"-{u}") and len(folder) > len(u) + 1]


def _common_prefix(fits: dict[str, list[str]]) -> str | None:
    """The assignment prefix most folders share (at least two, and more than any other prefix), if any."""
    counts: dict[str, int] = {}
    for folder, names in fits.items():
        for prefix in {folder[: -len(u) - 1].lower() for u in names}:
            counts[prefix] = counts.get(prefix, 0) + 1
    ranked = sorted(counts.values(), reverse=True)
    if not ranked or ranked[0] < 2 or (len(ranked) > 1 and ranked[1] == ranked[0]):
        return None
    return max(counts, key=counts.get)


def apply(rows: list[dict], entries: list[Entry], columns: list[str]) -> tuple[list[dict], dict[str, str]]:
    """Rows keyed by roster identifier (with the GitHub username), roster students without a repository as
    `missing` (or `error` when one may be theirs but could not be told apart) in a row of `columns`, and the
    folders that belong to nobody on the roster, each with the reason."""
    by_folder = {row["student_id"]: row for row in rows}
    matching = match(sorted(by_folder), entries)
    folder_of = {entry.identifier: folder for folder, entry in matching.owners.items()}
    keyed = []
    for entry in entries:
        folder = folder_of.get(entry.identifier)
        if folder is None:
            why = matching.problems.get(entry.identifier)
            row = dict.fromkeys(columns, "")
            row.update(student_id=entry.identifier,
                       status=f"error: {why}" if why else "missing: no repository")
        else:
            row = {**by_folder[folder], "student_id": entry.identifier}
        keyed.append({"student_id": row.pop("student_id"), "github_username": entry.github_username, **row})
    return keyed, matching.unmatched


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
