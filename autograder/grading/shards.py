"""A class graded in slices on several machines (`grade-all --shard K/N`), and the slices merged."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from autograder.course import find
from autograder.errors import UsageError
from autograder.grading.class_reports import write_class_reports
from autograder.grading.records import STAMP, STUDENT_FILES, read_stamp, writable_folder
from autograder.grading.roster import read_roster


def in_shard(student: str, shard: tuple[int, int] | None) -> bool:
    """Shard K of N (1-based) by a hash of the student id: the same slices on every machine."""
    if shard is None:
        return True
    k, n = shard
    if not 1 <= k <= n:  # shard 0/3 or 4/3 would be a slice of nobody, silently
        raise ValueError(f"shard {k}/{n}: expected K/N with 1 <= K <= N")
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % n == k - 1


def merge(shards: list[Path], out: Path, roster: Path | None = None) -> dict[str, str]:
    """Combine the outputs of `grade-all --shard K/N` runs into one set of class reports in `out`.
    Refuses shards of different N or labs, a missing or repeated K, and students graded in two shards."""
    entries = read_roster(roster) if roster else None
    seen: dict[int, Path] = {}
    students: dict[str, Path] = {}
    total = lab_id = None
    for folder in shards:
        info = read_stamp(folder / "shard.json")
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
        for stale in (STAMP, *STUDENT_FILES):
            (target / stale).unlink(missing_ok=True)
        if source.is_dir():  # else a shard run stopped before this student: no grading record, an error
            shutil.copytree(source, target, dirs_exist_ok=True)
    return write_class_reports(find(lab_id), out, sorted(students), entries)
