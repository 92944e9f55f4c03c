"""Shards and merge (autograder/grading/shards.py), in process: `in_shard` slices a class the same way on
every machine, and `merge` of `grade-all --shard` outputs writes what one run writes, or refuses saying why.

Shard folders are written by the real `batch.grade_all`, with the grading itself replaced (no zygote, no
child, no hidden suite): each student's Grade is made up from their id, and written by `grading.reports`.
"""

import csv
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import cli
from autograder.errors import GraderFault, UsageError
from autograder.grading import batch, worker
from autograder.grading.reports import write_student
from autograder.grading.results import Grade, PartResult, TestResult
from autograder.grading.shards import in_shard, merge
from autograder.labs.encoders_decoders import LAB, PARTS

ASSIGNMENT = "encoders-decoders"
NAMES = ["ada", "brook", "cyd", "dee", "eli", "fox", "gus", "hal", "ivy", "jo-ann", "kai", "lee", "mo", "nia",
         "oz", "pat", "quin", "ravi", "sam", "tess", "uma", "vic", "wen", "xi", "yara", "zed"]


def classroom_ids(count: int) -> list[str]:
    """Repository folders as `gh classroom clone` names them: `<assignment>-<github username>`."""
    return [f"{ASSIGNMENT}-{NAMES[i % len(NAMES)]}{i // len(NAMES) or ''}" for i in range(count)]


def nbgrader_ids(count: int) -> list[str]:
    """Sequential student ids, as an LMS export gives them: the easiest to slice badly."""
    return [f"s{i:04d}" for i in range(1, count + 1)]


# ---------------------------------------------------------------------------------------------- in_shard

@pytest.mark.parametrize("ids", [classroom_ids(130), nbgrader_ids(130)], ids=["classroom", "sequential"])
def test_every_student_is_in_exactly_one_shard(ids):
    for n in range(1, 9):
        for student in ids:
            assert sum(in_shard(student, (k, n)) for k in range(1, n + 1)) == 1, (student, n)
    assert all(in_shard(student, None) for student in ids)  # no --shard: everyone


def test_shards_are_the_same_in_a_process_with_another_hash_seed():
    """Every machine must agree: a slice by Python's hash() would change with each process's salt."""
    ids = classroom_ids(60) + nbgrader_ids(60)
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    script = ("import json, sys\n"
              "from autograder.grading.shards import in_shard\n"
              "ids = json.loads(sys.argv[1])\n"
              "print(json.dumps({'hash': hash(ids[0]), "
              "'shards': [[in_shard(s, (k, 5)) for k in range(1, 6)] for s in ids]}))")
    done = subprocess.run([sys.executable, "-c", script, json.dumps(ids)], capture_output=True, text=True,
                          check=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": seed,
                                                        "PYTHONPATH": str(Path(batch.__file__).parents[2])})
    there = json.loads(done.stdout)
    assert there["hash"] != hash(ids[0]), "the other process has the same hash salt: the test proves nothing"
    assert there["shards"] == [[in_shard(s, (k, 5)) for k in range(1, 6)] for s in ids]


@pytest.mark.parametrize("ids", [classroom_ids(300), nbgrader_ids(300)], ids=["classroom", "sequential"])
@pytest.mark.parametrize("n", [2, 3, 4, 8])
def test_shards_are_balanced_on_realistic_ids(ids, n):
    """Each shard holds about len(ids)/n students: within four standard deviations of a fair random split
    (a slice by, say, the last character would put every sequential id of one digit in one shard)."""
    sizes = [sum(in_shard(s, (k, n)) for s in ids) for k in range(1, n + 1)]
    mean, spread = len(ids) / n, (len(ids) * (1 / n) * (1 - 1 / n)) ** 0.5
    assert all(abs(size - mean) <= 4 * spread for size in sizes), sizes


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "0/0", "3", "/3", "a/b", "-1/3", "1/-3", "1/3/5",
                                  "1.5/3", " 1/3", ""])
def test_the_command_line_refuses_a_shard_that_is_not_k_of_n(text):
    with pytest.raises(UsageError, match="argument --shard: expected"):
        cli.build_parser().parse_args(["grade-all", "root", "--out", "out", "--shard", text])


def test_the_command_line_takes_every_shard_of_n():
    for k in range(1, 5):
        args = cli.build_parser().parse_args(["grade-all", "root", "--out", "out", "--shard", f"{k}/4"])
        assert args.shard == (k, 4)


@pytest.mark.parametrize("shard", [(0, 3), (4, 3), (-1, 3), (1, 0), (0, 0)])
def test_a_shard_outside_one_to_n_is_an_error_not_an_empty_slice(shard):
    """Called from code, not the command line: shard 0/3 would silently grade nobody."""
    with pytest.raises(ValueError, match="shard"):
        in_shard("s0001", shard)


# ----------------------------------------------------------------------------------- shard folders, merge

def made_up_grade(student: str) -> Grade:
    """A Grade that depends only on the student's id: four tests per autograded part, some passed."""
    rng = random.Random(student)
    parts = []
    for part in PARTS:
        tests = tuple(TestResult(part.number, i, f"check {i}", part.points / 4, rng.random() < 0.6,
                                 message="" if i % 2 else "f(x): 1 of 3 value(s) differ", test_id=f"t{i}")
                      for i in range(1, 5)) if part.points else ()
        parts.append(PartResult(part, tests=tests))
    return Grade(student, LAB.id, tuple(parts), seconds=rng.uniform(1, 9),
                 confinement={"namespaces": "user namespace"})


FAULTY = f"{ASSIGNMENT}-faulty"  # the grader fails for this student (status error)
EMPTY = f"{ASSIGNMENT}-empty"  # an empty repository (status missing)


@pytest.fixture
def grading(monkeypatch):
    """`batch.grade_all` without a zygote or hidden suites: each student's Grade is `made_up_grade`, written
    by `grading.reports` as the real grading writes it. Returns the Grades it wrote, by student."""
    written: dict[str, Grade] = {}

    class Zygote:
        def confinement(self):
            return {"namespaces": "user namespace"}

    def grade_one(student, submission, out, models, hide=()):
        if student == FAULTY:
            raise GraderFault("a reference computation raised")
        grade = written[student] = made_up_grade(student)
        write_student(out, grade)
        return grade

    monkeypatch.setattr(worker, "zygote", lambda lab, models, hide=(): Zygote())
    monkeypatch.setattr(worker, "grade_one", grade_one)
    return written


@pytest.fixture
def classroom(tmp_path) -> Path:
    """Clones of 12 students: each a repository with one part, one of them empty, one the grader fails on."""
    root = tmp_path / "clones"
    for student in [*classroom_ids(10), FAULTY]:
        (root / student).mkdir(parents=True)
        (root / student / f"{PARTS[0].stem}.py").write_text("# %%\nx = 1\n")
    (root / EMPTY).mkdir()
    return root


def grade(root: Path, out: Path, shard=None, roster=None) -> Path:
    batch.grade_all(LAB, root, out, "offline", shard=shard, roster=roster)
    return out


def shards(root: Path, folder: Path, n: int) -> list[Path]:
    return [grade(root, folder / f"shard{k}", (k, n)) for k in range(1, n + 1)]


def a_graded_student(parts: list[Path], grading: dict) -> tuple[Path, str]:
    """A shard, and a student it graded (with a grade.json)."""
    for shard in parts:
        for student in json.loads((shard / "shard.json").read_text())["students"]:
            if student in grading:
                return shard, student
    raise AssertionError("no shard graded anyone")


def rows(out: Path) -> dict[str, dict]:
    with open(out / "grades.csv", newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


@pytest.mark.parametrize("n", [1, 3, 8])  # with 8, some shards of the 12 students are empty
def test_merged_shards_write_what_one_run_writes(grading, classroom, tmp_path, n):
    whole = grade(classroom, tmp_path / "whole")
    parts = shards(classroom, tmp_path, n)
    listed = [set(json.loads((s / "shard.json").read_text())["students"]) for s in parts]
    assert sum(map(len, listed)) == len(set().union(*listed)) == len(rows(whole))  # a partition of the class

    statuses, unmatched = merge(parts, tmp_path / "merged")
    assert unmatched == {} and statuses[FAULTY][0] == "error" and statuses[EMPTY][0] == "missing"
    merged = tmp_path / "merged"
    for name in ("grades.csv", "summary.md"):
        assert (merged / name).read_text() == (whole / name).read_text(), name
    for student, made in grading.items():  # every score is the one its Grade holds
        row = rows(merged)[student]
        assert (row["status"], float(row["total"]), float(row["max_score"])) == ("graded", made.score,
                                                                               made.max_score)
        assert float(row["part1"]) == made.parts[0].score
        results = (merged / student / "results.json", whole / student / "results.json")
        assert results[0].read_bytes() == results[1].read_bytes()
    assert rows(merged)[EMPTY]["status"].startswith("missing: ")
    assert rows(merged)[FAULTY]["status"] == rows(whole)[FAULTY]["status"] != "graded"
    assert rows(merged)[FAULTY]["total"] == ""  # a grader fault is never a score


def test_merging_into_one_of_the_shards_gives_the_same_reports(grading, classroom, tmp_path):
    parts = shards(classroom, tmp_path, 3)
    merge(parts, tmp_path / "merged")
    merge(parts, parts[0])
    assert (parts[0] / "grades.csv").read_text() == (tmp_path / "merged" / "grades.csv").read_text()


def test_a_roster_keys_merged_grades_as_it_keys_one_run(grading, classroom, tmp_path):
    roster = tmp_path / "classroom_roster.csv"
    listed = ["ada", "brook", "cyd", "jo-ann", "gus", "nobody-here"]
    roster.write_text("identifier,github_username,name\n" +
                      "".join(f"id-{name},{name},{name.title()} Doe\n" for name in listed))
    whole = grade(classroom, tmp_path / "whole", roster=roster)
    _, unmatched = merge(shards(classroom, tmp_path, 3), tmp_path / "merged", roster)
    for name in ("grades.csv", "grades-nbgrader.csv", "summary.md"):
        assert (tmp_path / "merged" / name).read_text() == (whole / name).read_text(), name
    assert set(rows(tmp_path / "merged")) == {f"id-{name}" for name in listed}
    assert f"{ASSIGNMENT}-fox" in unmatched and f"{ASSIGNMENT}-ada" not in unmatched


def test_a_missing_shard_is_refused_and_nothing_is_written(grading, classroom, tmp_path):
    one, two, three = shards(classroom, tmp_path, 3)
    with pytest.raises(UsageError, match=re.escape("shard(s) 2/3 missing")):
        merge([one, three], tmp_path / "merged")
    with pytest.raises(UsageError, match="1/3, 3/3 missing"):
        merge([two], tmp_path / "merged")
    assert not (tmp_path / "merged").exists()


def test_a_repeated_shard_is_refused(grading, classroom, tmp_path):
    one, two, three = shards(classroom, tmp_path, 3)
    with pytest.raises(UsageError, match=re.escape(f"shard 1/3 given twice: {one} and {one}")):
        merge([one, two, three, one], tmp_path / "merged")
    copy = tmp_path / "copy-of-2"  # the same shard graded twice, into two folders
    grade(classroom, copy, (2, 3))
    with pytest.raises(UsageError, match=re.escape(f"shard 2/3 given twice: {two} and {copy}")):
        merge([one, two, copy, three], tmp_path / "merged")


def test_shards_of_different_counts_are_refused(grading, classroom, tmp_path):
    one, two, _ = shards(classroom, tmp_path, 3)
    half = grade(classroom, tmp_path / "half", (2, 2))
    with pytest.raises(UsageError, match="is shard 2/2, the others are of 3"):
        merge([one, two, half], tmp_path / "merged")


def test_a_student_in_two_shards_is_refused(grading, classroom, tmp_path):
    """Shards graded from two copies of the class that disagree, say: one student, two grades."""
    one, two, three = shards(classroom, tmp_path, 3)
    info = json.loads((one / "shard.json").read_text())
    info["students"] = sorted([*info["students"], *json.loads((two / "shard.json").read_text())["students"]])
    (one / "shard.json").write_text(json.dumps(info))
    other = next(s for s in info["students"] if not in_shard(s, (1, 3)))
    with pytest.raises(UsageError, match=re.escape(f"{other} was graded in both {one} and {two}")):
        merge([one, two, three], tmp_path / "merged")


def test_a_folder_that_is_no_shard_is_refused(grading, classroom, tmp_path):
    whole = grade(classroom, tmp_path / "whole")  # grade-all without --shard writes no shard.json
    with pytest.raises(UsageError, match="is not the output of grade-all --shard"):
        merge([whole], tmp_path / "merged")


def damage_record(record: Path, damage: str) -> None:
    text = record.read_text()
    if damage == "truncated":
        record.write_text(text[:100])
    elif damage == "deleted":
        record.unlink()
    elif damage == "not text":
        record.write_bytes(b"\xff\xfe\x00")
    elif damage == "a field missing":
        record.write_text(text.replace('"test_id"', '"test"', 1))
    elif damage == "a string for a number":
        record.write_text(re.sub(r'"points": ([\d.]+)', r'"points": "\1"', text, count=1))
    elif damage == "a later version":
        record.write_text(text.replace('"version": 1', '"version": 2', 1))
    else:
        raise AssertionError(damage)


RECORD_DAMAGE = ["truncated", "deleted", "not text", "a field missing", "a string for a number",
                 "a later version"]


@pytest.mark.parametrize("damage", RECORD_DAMAGE)
def test_an_unreadable_grade_record_makes_that_student_an_error_not_a_crash(grading, classroom, tmp_path,
                                                                          damage):
    """A shard folder damaged on its way between machines: that student gets no score and is listed as a
    grader failure; every other student's grades are as one run's."""
    whole = grade(classroom, tmp_path / "whole")
    parts = shards(classroom, tmp_path, 3)
    damaged, student = a_graded_student(parts, grading)
    damage_record(damaged / student / "grade.json", damage)
    merge(parts, tmp_path / "merged")
    merged, expected = rows(tmp_path / "merged"), rows(whole)
    assert merged[student]["status"].startswith("error: grade.json could not be read")
    assert merged[student]["total"] == ""
    del merged[student], expected[student]
    assert merged == expected
    failed = ", ".join(sorted([FAULTY, student]))
    assert f"The grader failed for 2 student(s): {failed}." in (tmp_path / "merged/summary.md").read_text()


def test_merge_exits_1_naming_every_student_the_grader_failed_for(grading, classroom, tmp_path, capsys):
    """As grade-all does: a merged class with grader failures (a fault in a shard, a record damaged since) is
    not a finished grading."""
    parts = shards(classroom, tmp_path, 3)
    damaged, student = a_graded_student(parts, grading)
    damage_record(damaged / student / "grade.json", "truncated")
    capsys.readouterr()
    assert cli.main(["merge", *map(str, parts), "--out", str(tmp_path / "merged")]) == 1
    err = capsys.readouterr().err
    assert "the grader failed for 2 student(s)" in err and f"  {student}: grade.json could not be read" in err
    assert f"  {FAULTY}: " in err


def test_a_student_of_an_unfinished_shard_is_an_error_not_a_crash(grading, classroom, tmp_path):
    """A shard run interrupted after writing shard.json (it lists its students first): a student it never
    reached has no folder, and so no grading record."""
    parts = shards(classroom, tmp_path, 3)
    shard, student = a_graded_student(parts, grading)
    for file in (shard / student).iterdir():
        file.unlink()
    (shard / student).rmdir()
    merge(parts, tmp_path / "merged")
    assert rows(tmp_path / "merged")[student]["status"] == "error: no grading record"


def test_merging_again_leaves_no_earlier_score_for_a_student_now_in_error(grading, classroom, tmp_path):
    """A shard graded again after a merge, now with a grader fault for a student (whose grade.json,
    results.json and feedback.md grade-all removes): merging into the same folder must not keep the earlier
    ones."""
    parts = shards(classroom, tmp_path, 3)
    merged = tmp_path / "merged"
    merge(parts, merged)
    shard, student = a_graded_student(parts, grading)
    for stale in ("grade.json", "results.json", "feedback.md"):
        (shard / student / stale).unlink()
    (shard / student / "grading.json").write_text(json.dumps({"status": "error", "reason": "GraderFault: x"}))
    merge(parts, merged)
    assert rows(merged)[student]["status"] == "error: GraderFault: x"
    assert sorted(p.name for p in (merged / student).iterdir()) == ["grading.json"]


def test_class_reports_come_from_the_grade_record_never_from_results_json(grading, classroom, tmp_path):
    """results.json and feedback.md are Gradescope's and the student's: lost or damaged, they change no
    grade; only grade.json is read."""
    whole = grade(classroom, tmp_path / "whole")
    parts = shards(classroom, tmp_path, 3)
    shard, student = a_graded_student(parts, grading)
    (shard / student / "results.json").write_text("{")
    (shard / student / "feedback.md").unlink()
    merge(parts, tmp_path / "merged")
    for name in ("grades.csv", "summary.md"):
        assert (tmp_path / "merged" / name).read_text() == (whole / name).read_text(), name


def test_a_grade_record_of_another_lab_is_an_error(grading, classroom, tmp_path):
    parts = shards(classroom, tmp_path, 2)
    shard, student = a_graded_student(parts, grading)
    record = shard / student / "grade.json"
    record.write_text(record.read_text().replace(f'"lab": "{LAB.id}"', '"lab": "another_lab"'))
    merge(parts, tmp_path / "merged")
    assert rows(tmp_path / "merged")[student]["status"] == (
        "error: grade.json is a grade of another lab (another_lab, parts 1, 2, 3, 4, 5)")


@pytest.fixture
def counted(grading, monkeypatch) -> list[str]:
    """The students `grade_one` is called for (as `grading` grades them)."""
    calls: list[str] = []
    grade_one = worker.grade_one

    def counting(student, *args, **kwargs):
        calls.append(student)
        return grade_one(student, *args, **kwargs)

    monkeypatch.setattr(worker, "grade_one", counting)
    return calls


def test_resume_rewrites_lost_reports_from_the_record_without_grading_again(counted, classroom, tmp_path):
    out = grade(classroom, tmp_path / "out")
    student = next(s for s in counted if s != FAULTY)
    before = {name: (out / student / name).read_bytes() for name in ("results.json", "feedback.md",
                                                                      "grade.json")}
    (out / student / "results.json").unlink()
    (out / student / "feedback.md").write_text("damaged")
    counted.clear()
    batch.grade_all(LAB, classroom, out, "offline", resume=True)
    assert counted == [FAULTY]  # a grader error is graded again; every graded student is kept
    assert {name: (out / student / name).read_bytes() for name in before} == before


@pytest.mark.parametrize("damage", RECORD_DAMAGE)
def test_resume_grades_again_a_student_whose_record_is_unreadable(counted, classroom, tmp_path, damage):
    out = grade(classroom, tmp_path / "out")
    student = next(s for s in counted if s != FAULTY)
    expected = rows(out)
    damage_record(out / student / "grade.json", damage)
    counted.clear()
    batch.grade_all(LAB, classroom, out, "offline", resume=True)
    assert sorted(counted) == sorted([FAULTY, student])
    assert rows(out) == expected
