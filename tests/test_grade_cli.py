"""`autograder grade` and `grade-all`: bad input, malformed notebooks, and the files they write."""

import csv
import json
import os
import shutil
import subprocess
import sys

import jupytext
import nbformat
import pytest
from corpus import answered

from autograder.labs.encoders_decoders import LAB, LAB_ID

TOTAL = LAB.points
WITHOUT_PART3 = TOTAL - LAB.part("part3_softmax").points  # a submission whose part 3 scores nothing


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})


def assert_usage_error(result, fragment):
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_missing_path(tmp_path):
    assert_usage_error(run("grade", tmp_path / "absent", "--out", tmp_path / "out"), "no such file or folder")


def test_folder_without_notebooks(tmp_path):
    (tmp_path / "empty").mkdir()
    assert_usage_error(run("grade", tmp_path / "empty", "--out", tmp_path / "out"), "holds no notebook")


def test_wrong_file_name(tmp_path):
    (tmp_path / "homework.ipynb").write_text("{}")
    assert_usage_error(run("grade", tmp_path / "homework.ipynb", "--out", tmp_path / "o"), "not a part")


def test_unknown_lab(repo, tmp_path):
    result = run("grade", repo / "solutions" / LAB_ID, "--out", tmp_path / "out", "--lab", "nope")
    assert_usage_error(result, "unknown lab 'nope'")


def test_output_folder_not_writable(repo, tmp_path):
    (tmp_path / "file").write_text("")
    result = run("grade", repo / "solutions" / LAB_ID, "--out", tmp_path / "file" / "out")
    assert_usage_error(result, "cannot write to the output folder")


def test_grade_all_needs_student_folders(tmp_path):
    assert_usage_error(run("grade-all", tmp_path, "--out", tmp_path / "out"), "holds no student folders")


def _v3_notebook(py_file):
    return nbformat.writes(nbformat.convert(jupytext.read(py_file), 3), version=3)


BROKEN_PART3 = {  # student -> what their part3_softmax.ipynb holds
    "invalid_json": lambda py: b'{"cells": [',
    "not_a_notebook": lambda py: b"[1, 2, 3]",
    "binary": lambda py: bytes(range(256)) * 64,
    "huge": lambda py: b" " * (21 * 2**20),
    "old_format_v3": lambda py: _v3_notebook(py).encode(),
}


UNICODE_STUDENT = "Zoë Ğ 1"  # non-ASCII letters and spaces in the folder name
SPARSE_STUDENT = "sparse_200mb"  # part3_softmax.ipynb is a 200 MB sparse file
LINKS_STUDENT = "links"  # symlink loops in the folder, and part3_softmax.py is a symlink
WINDOWS_STUDENT = "windows"  # part1 (.py) and part3 (.ipynb) saved with CRLF line endings and a UTF-8 BOM


def _as_on_windows(text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()


@pytest.fixture(scope="module")
def graded_class(repo, tmp_path_factory):
    """A class where each student breaks Part 3 in another way (the rest is the solution), one honest
    student, one with a unicode folder name, one with symbolic links and one who submitted nothing, graded
    in one batch."""
    root, out = tmp_path_factory.mktemp("class"), tmp_path_factory.mktemp("out")
    solution = repo / "solutions" / LAB_ID
    for student, content in BROKEN_PART3.items():
        shutil.copytree(solution, root / student)
        (root / student / "part3_softmax.py").unlink()
        (root / student / "part3_softmax.ipynb").write_bytes(content(solution / "part3_softmax.py"))
    shutil.copytree(solution, root / SPARSE_STUDENT)
    (root / SPARSE_STUDENT / "part3_softmax.py").unlink()
    with open(root / SPARSE_STUDENT / "part3_softmax.ipynb", "wb") as handle:
        handle.truncate(200 * 2**20)  # sparse: takes no disk space, but stat() says 200 MB
    shutil.copytree(solution, root / "solution")
    shutil.copytree(solution, root / UNICODE_STUDENT)
    links = root / LINKS_STUDENT
    shutil.copytree(solution, links)
    (links / "nested").mkdir()
    (links / "nested" / "up").symlink_to("..", target_is_directory=True)  # a loop: links/nested/up/nested/...
    (links / "self").symlink_to(".", target_is_directory=True)  # a loop: links/self/self/...
    (links / "part3_softmax.py").unlink()
    (links / "part3_softmax.py").symlink_to(solution / "part3_softmax.py")  # a correct file, but a link
    # Part 3 as a Jupytext pair of the handed-out notebook, answered in the .py: the .ipynb holds the .py's
    # code, or is still the stub (the answers were written in the .py and never synced).
    handed_out = jupytext.read(repo / "assignments" / LAB_ID / "part3_softmax.py")
    for student, notebook in ("pair_in_sync", answered(handed_out, "part3_softmax")), \
            ("pair_out_of_sync", handed_out):
        shutil.copytree(solution, root / student)
        jupytext.write(answered(handed_out, "part3_softmax"), root / student / "part3_softmax.py",
                       fmt="py:percent")
        jupytext.write(notebook, root / student / "part3_softmax.ipynb")
    (root / "nothing_submitted").mkdir()
    windows = root / WINDOWS_STUDENT
    shutil.copytree(solution, windows)
    (windows / "part3_softmax.py").unlink()
    part3 = jupytext.writes(jupytext.read(solution / "part3_softmax.py"), fmt="ipynb")
    (windows / "part3_softmax.ipynb").write_bytes(_as_on_windows(part3))
    part1 = (solution / "part1_tokenization.py").read_text(encoding="utf-8")
    (windows / "part1_tokenization.py").write_bytes(_as_on_windows(part1))
    result = run("grade-all", root, "--out", out)
    assert result.returncode == 0, result.stderr
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    return root, out, rows


def test_malformed_notebooks_score_zero_for_that_part_only(graded_class):
    _, out, rows = graded_class
    for student in set(BROKEN_PART3) - {"old_format_v3"}:
        row = rows[student]
        assert row["status"] == "graded"
        assert float(row["part3"]) == 0 and float(row["total"]) == WITHOUT_PART3, (student, row)
    feedback = (out / "invalid_json" / "feedback.md").read_text()
    assert "not valid notebook JSON" in feedback
    assert "over the 20 MB limit" in (out / "huge" / "feedback.md").read_text()


def test_huge_sparse_notebook_is_refused_unread(graded_class):
    """A 200 MB part scores 0 for that part with a clear message (the size is checked before reading)."""
    _, out, rows = graded_class
    row = rows[SPARSE_STUDENT]
    assert row["status"] == "graded"
    assert float(row["part3"]) == 0 and float(row["total"]) == WITHOUT_PART3, row
    feedback = (out / SPARSE_STUDENT / "feedback.md").read_text(encoding="utf-8")
    assert "part3_softmax.ipynb is 200 MB, over the 20 MB limit" in feedback
    assert "Traceback" not in feedback


def test_unicode_student_folder_is_graded_normally(graded_class):
    _, out, rows = graded_class
    row = rows[UNICODE_STUDENT]
    assert row["status"] == "graded" and float(row["total"]) == TOTAL, row
    assert [float(row[f"part{n}"]) for n in (1, 2, 3, 4)] == [20, 25, 20, 25]
    assert json.loads((out / UNICODE_STUDENT / "results.json").read_text(encoding="utf-8"))["score"] == TOTAL
    assert f"# Feedback for {UNICODE_STUDENT}" in (out / UNICODE_STUDENT / "feedback.md").read_text("utf-8")
    raw = (out / "grades.csv").read_bytes().decode("utf-8")
    assert f"{UNICODE_STUDENT}," in raw or f'"{UNICODE_STUDENT}",' in raw


def test_byte_order_mark_and_crlf_are_tolerated_and_reported(graded_class):
    """Files saved on Windows (a UTF-8 byte-order mark, CRLF line endings) are graded as they are meant;
    the feedback says the mark was dropped."""
    _, out, rows = graded_class
    row = rows[WINDOWS_STUDENT]
    assert row["status"] == "graded" and float(row["total"]) == TOTAL, row
    feedback = (out / WINDOWS_STUDENT / "feedback.md").read_text(encoding="utf-8")
    for name in ("part1_tokenization.py", "part3_softmax.ipynb"):
        assert f"{name} began with a byte-order mark; it was read without it" in feedback


def test_symlink_loops_in_a_student_folder_are_not_followed(graded_class):
    """Directory links that loop (nested/up -> .., self -> .) neither hang nor crash the grader, and are not
    followed: followed, they would show each part "in more than one place" and score it 0."""
    _, out, rows = graded_class
    row = rows[LINKS_STUDENT]
    assert row["status"] == "graded", row
    assert [float(row[f"part{n}"]) for n in (1, 2, 4)] == [20, 25, 25], row
    assert "more than one place" not in (out / LINKS_STUDENT / "feedback.md").read_text(encoding="utf-8")


def test_symlinked_part_file_is_not_graded(graded_class):
    """A part file that is a symbolic link (here to a correct file) is not graded, and the report says so."""
    _, out, rows = graded_class
    row = rows[LINKS_STUDENT]
    assert float(row["part3"]) == 0 and float(row["total"]) == WITHOUT_PART3, row
    feedback = (out / LINKS_STUDENT / "feedback.md").read_text(encoding="utf-8")
    assert "part3_softmax.py is a symbolic link, which is not graded" in feedback


def test_a_pair_out_of_sync_is_graded_from_the_notebook_and_the_feedback_says_so(graded_class):
    _, out, rows = graded_class
    assert float(rows["pair_in_sync"]["total"]) == TOTAL, rows["pair_in_sync"]
    assert "out of sync" not in (out / "pair_in_sync" / "feedback.md").read_text(encoding="utf-8")
    assert float(rows["pair_out_of_sync"]["part3"]) == 0, rows["pair_out_of_sync"]
    feedback = (out / "pair_out_of_sync" / "feedback.md").read_text(encoding="utf-8")
    assert ("> graded part3_softmax.ipynb, the notebook; its paired part3_softmax.py holds other code "
            "(3 code cells differ) and was not graded: the pair is out of sync.") in feedback, feedback


def test_grade_refuses_a_symlinked_part_file(repo, tmp_path):
    link = tmp_path / "part3_softmax.py"
    link.symlink_to(repo / "solutions" / LAB_ID / "part3_softmax.py")
    assert_usage_error(run("grade", link, "--out", tmp_path / "out"), "is a symbolic link")


def test_old_notebook_format_is_converted_not_rejected(graded_class):
    _, _, rows = graded_class
    assert float(rows["old_format_v3"]["total"]) == TOTAL


def test_class_reports(graded_class):
    _, out, rows = graded_class
    assert float(rows["solution"]["total"]) == TOTAL and rows["solution"]["status"] == "graded"
    assert rows["nothing_submitted"]["status"].startswith("missing")
    results = json.loads((out / "solution" / "results.json").read_text())
    assert {"score", "max_score", "execution_time", "output", "tests"} <= results.keys()
    assert all({"name", "number", "score", "max_score", "status", "output"} <= t.keys()
               for t in results["tests"])
    summary = (out / "summary.md").read_text()
    assert "pass rate" in summary and "nothing_submitted" in summary
    assert (out / "scores.png").read_bytes()[:4] == b"\x89PNG"


def test_resume_skips_unchanged_students(graded_class):
    root, out, _ = graded_class
    before = {s: (out / s / "results.json").read_bytes() for s in ("solution", "binary")}
    (root / "binary" / "part3_softmax.ipynb").unlink()
    shutil.copy(root / "solution" / "part3_softmax.py", root / "binary")
    result = run("grade-all", root, "--out", out, "--resume")
    assert result.returncode == 0, result.stderr
    # Unchanged: not graded again (execution_time and all). Changed: graded again, now with full marks.
    assert (out / "solution" / "results.json").read_bytes() == before["solution"]
    assert json.loads((out / "binary" / "results.json").read_bytes())["score"] == TOTAL


def test_the_callers_pytest_options_do_not_reach_the_hidden_suites(repo, tmp_path):
    """PYTEST_ADDOPTS and PYTEST_PLUGINS belong to the caller (a TA's shell, a CI job), not the grader."""
    result = run("grade", repo / "solutions" / LAB_ID / "part3_softmax.py", "--out", tmp_path / "out",
                 env={"PYTEST_ADDOPTS": "--no-such-option", "PYTEST_PLUGINS": "no_such_plugin"})
    assert result.returncode == 0, result.stderr
    score = json.loads((tmp_path / "out" / "results.json").read_text())["score"]
    assert score == LAB.part("part3_softmax").points
