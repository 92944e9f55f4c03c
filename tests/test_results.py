"""The result model (autograder/grading/results.py): a Grade is written as grade.json and read back exactly,
anything else is refused saying why, every test knows its part, and the reports written from it keep their
formats (results.json as Gradescope reads it, the summary's questions by part, then index)."""

from __future__ import annotations

import json
import re

import pytest

from autograder.course import Part
from autograder.grading import class_reports, reports
from autograder.grading.results import FILE, CellError, Grade, PartResult, RecordError, TestResult
from autograder.labs.encoders_decoders import LAB

TOKENIZE, STATES = Part(1, "p1", "Tokens", 3), Part(2, "p2", "States", 11)
MANUAL = Part(5, "p5", "Essay", 0, 10)
STUDENT = 'ann "=1+1" \u202egnp.exe'  # a folder name is the student's text


def a_grade(hostile: str = "[/] | <b>x</b>\n\x1b[2J \ud800 🤗 é") -> Grade:
    """A Grade holding every kind of value the record must keep: student text with quotes, markup, control
    characters, a lone surrogate and emoji; points that are not round in binary; cells; notes; a part with
    no tests."""
    first = (TestResult(1, 1, "ids match", 1.5, True, test_id="test_ids"),
             TestResult(1, 2, f"names {hostile}", 1.5, False, f"ids: 1 of 3 differ {hostile}",
                        test_id="test_names"))
    second = tuple(TestResult(2, i, f"check {i}", 0.1 * i, i % 3 == 0, "" if i % 3 == 0 else "wrong",
                              test_id=f"test_{i}") for i in range(1, 12))
    return Grade(STUDENT, "a_lab", (
        PartResult(TOKENIZE, "graded p1.ipynb; its paired p1.py holds other code", tests=first),
        PartResult(STATES, "", (CellError(0, f"NameError: {hostile}"), CellError(7, "timed out")), second),
        PartResult(MANUAL),
    ), seconds=12.345678901234, confinement={"pid": "own PID namespace", "landlock": "ABI 4"})


# ---------------------------------------------------------------------------------------------- the record

def test_a_grade_round_trips_exactly():
    grade = a_grade()
    text = grade.to_json()
    assert Grade.from_json(text) == grade
    assert Grade.from_json(text.encode()) == grade  # as read from the file, bytes
    assert Grade.from_json(text).to_json() == text  # and writes the same bytes again
    assert list(Grade.from_json(text).confinement) == ["pid", "landlock"]  # in its order
    assert text.isascii()  # a lone surrogate is escaped, not a UTF-8 error when the file is written


def test_a_grade_with_nothing_graded_round_trips():
    grade = Grade("s", "a_lab", (PartResult(TOKENIZE, "p1.ipynb not found in the submission"),), 0.0)
    assert Grade.from_json(grade.to_json()) == grade


def test_the_record_is_versioned_and_named_for_what_it_is():
    record = json.loads(a_grade().to_json())
    assert (record["record"], record["version"]) == ("autograder grade", 1)
    assert FILE == "grade.json"


def test_reports_write_the_record_beside_results_json_and_feedback(tmp_path):
    grade = a_grade(hostile="[/] | <b>x</b>\n\x1b[2J 🤗 é")
    reports.write_student(tmp_path, grade)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feedback.md", "grade.json", "results.json"]
    assert Grade.from_json((tmp_path / FILE).read_bytes()) == grade


def _edit(path: str, value):
    """A change to the record: set the field at `path` (keys and list indexes, "/" between them) to `value`,
    or delete it (value DELETE)."""
    def change(record: dict) -> dict:
        *where, last = [int(k) if k.isdigit() else k for k in path.split("/")]
        node = record
        for key in where:
            node = node[key]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
        return record
    return change


DELETE = object()
MALFORMED = {
    "another record": _edit("record", "autograder roster"),
    "a later version": _edit("version", 2),
    "no version": _edit("version", DELETE),
    "a field missing": _edit("parts/0/tests/0/test_id", DELETE),
    "a field too many": _edit("parts/0/tests/0/part", 1),
    "a student that is a number": _edit("student", 7),
    "points as a string": _edit("parts/1/tests/0/points", "0.1"),
    "points not a number": _edit("parts/1/tests/0/points", float("nan")),
    "passed as 1": _edit("parts/0/tests/0/passed", 1),
    "a part number as true": _edit("parts/0/number", True),
    "a part number as 1.0": _edit("parts/0/number", 1.0),
    "tests out of order": _edit("parts/1/tests/0/index", 2),
    "a test index skipped": _edit("parts/1/tests/10/index", 12),
    "a part listed twice": _edit("parts/2/number", 1),
    "a cell without its error": _edit("parts/1/cells/0", {"index": 0}),
    "confinement not text": _edit("confinement/pid", 1),
    "parts not a list": _edit("parts", {"1": {}}),
}


@pytest.mark.parametrize("damage", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_record_is_refused(damage):
    record = damage(json.loads(a_grade().to_json()))
    with pytest.raises(RecordError):
        Grade.from_json(json.dumps(record))


@pytest.mark.parametrize("text", [b"", b"{", b"\xff\xfe\x00", b"[]", b"null", b'"grade"', b"[" * 100_000],
                         ids=["empty", "truncated", "not text", "a list", "null", "a string", "too deep"])
def test_what_is_no_json_object_is_refused(text):
    with pytest.raises(RecordError):
        Grade.from_json(text)


def test_a_refusal_says_why():
    record = json.loads(a_grade().to_json())
    record["version"] = 2
    with pytest.raises(RecordError, match="version 2; this autograder reads version 1"):
        Grade.from_json(json.dumps(record))
    with pytest.raises(RecordError, match=re.escape("not JSON (JSONDecodeError)")):
        Grade.from_json("{")


# ------------------------------------------------------------------------------------- tests and their parts

def test_every_test_knows_its_part_and_its_place_in_it():
    grade = a_grade()
    for part in grade.parts:
        assert [(t.part, t.index) for t in part.tests] == [(part.part.number, i)
                                                           for i in range(1, len(part.tests) + 1)]
    read = Grade.from_json(grade.to_json())  # in the file a test sits in its part, which it then knows
    assert [(t.part, t.number) for t in read.tests] == [(t.part, t.number) for t in grade.tests]
    assert read.tests[-1].number == "2.11"


def test_a_part_refuses_a_test_of_another_part_or_out_of_place():
    with pytest.raises(RecordError, match=re.escape("test 2.1 is filed as test 1 of part 1")):
        PartResult(TOKENIZE, tests=(TestResult(2, 1, "x", 1.0, True),))
    with pytest.raises(RecordError, match=re.escape("test 1.2 is filed as test 1 of part 1")):
        PartResult(TOKENIZE, tests=(TestResult(1, 2, "x", 1.0, True),))
    with pytest.raises(RecordError, match="listed twice"):
        Grade("s", "a_lab", (PartResult(TOKENIZE), PartResult(TOKENIZE)), 1.0)


def test_scores_add_up_by_part():
    grade = a_grade()
    assert [(p.score, p.max_score) for p in grade.parts] == [
        (1.5, 3.0), (pytest.approx(0.1 * (3 + 6 + 9)), pytest.approx(0.1 * 66)), (0.0, 0.0)]
    assert grade.score == sum(p.score for p in grade.parts) and grade.max_score == 3.0 + sum(
        0.1 * i for i in range(1, 12))


# ------------------------------------------------------------------------------- the reports, at the edges

def test_results_json_keeps_gradescopes_layout_with_number_and_test_id():
    part = PartResult(TOKENIZE, tests=(TestResult(1, 1, "ids match", 2.0, True, test_id="test_ids"),
                                       TestResult(1, 2, "names", 1.0, False, "a\x1b[2Jb", test_id="test_n")))
    grade = Grade("s", "a_lab", (part, PartResult(MANUAL)), 3.14159, {"pid": "own"})
    assert json.dumps(reports.results_json(grade), indent=2) == json.dumps({
        "score": 2.0, "max_score": 3.0, "execution_time": 3.14,
        "output": "Autograded score: 2 / 3.\nPart 5 (Essay) is graded by hand: 10 points.",
        "visibility": "visible", "stdout_visibility": "hidden",
        "tests": [
            {"name": "Q1.1 ids match", "number": "1.1", "score": 2.0, "max_score": 2.0, "status": "passed",
             "output": "", "visibility": "visible", "test_id": "test_ids"},
            {"name": "Q1.2 names", "number": "1.2", "score": 0.0, "max_score": 1.0, "status": "failed",
             "output": "a[2Jb", "visibility": "visible", "test_id": "test_n"}],
        "extra_data": {"confinement": {"pid": "own"}}}, indent=2)


def test_the_summary_orders_questions_by_part_then_index_as_numbers():
    """Q2.9 before Q2.10, and Part 10 after Part 9: numbers, never the display text."""
    nine, ten = Part(9, "p9", "Nine", 2), Part(10, "p10", "Ten", 1)
    tests = tuple(TestResult(9, i, f"t{i}", 0.2, i != 10) for i in range(1, 11))
    grade = Grade("s", "a_lab", (PartResult(nine, tests=tests),
                                 PartResult(ten, tests=(TestResult(10, 1, "last", 1.0, False),))), 1.0)
    summary = class_reports.summary_md({"s": grade}, {})
    shown = re.findall(r"^\| (Q[\d.]+) ", summary, re.M)
    assert shown == [f"Q9.{i}" for i in range(1, 11)] + ["Q10.1"]
    assert "| Q9.10 t10 | 0 / 1 | 0% |" in summary


def test_a_grades_csv_row_has_each_parts_score_from_the_record():
    tests = (TestResult(1, 1, "a", 5.0, True), TestResult(1, 2, "b", 15.0, False))
    first = PartResult(LAB.parts[0], tests=tests)
    grade = Grade("s", LAB.id, (first, *(PartResult(p) for p in LAB.parts[1:])), 1.0)
    row = class_reports.grade_row(LAB, "s", grade, "graded")
    assert row == {"student_id": "s", "part1": 5.0, "part2": "", "part3": "", "part4": "", "part5": "",
                   "total": 5.0, "max_score": 20.0, "status": "graded"}
    assert class_reports.grade_row(LAB, "t", None, "missing: x")["total"] == ""
