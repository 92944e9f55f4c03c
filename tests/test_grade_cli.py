"""`autograder grade` and `grade-all`: bad input, malformed notebooks, and the files they write."""

import csv
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.labs.encoders_decoders import LAB_ID


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"})


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
    import jupytext

    return nbformat.writes(nbformat.convert(jupytext.read(py_file), 3), version=3)


BROKEN_PART3 = {  # student -> what their part3_softmax.ipynb holds
    "invalid_json": lambda py: b'{"cells": [',
    "not_a_notebook": lambda py: b"[1, 2, 3]",
    "binary": lambda py: bytes(range(256)) * 64,
    "huge": lambda py: b" " * (21 * 2**20),
    "old_format_v3": lambda py: _v3_notebook(py).encode(),
}


@pytest.fixture(scope="module")
def graded_class(repo, tmp_path_factory):
    """A class where each student breaks Part 3 in another way (the rest is the solution), one honest
    student and one who submitted nothing, graded in one batch."""
    root, out = tmp_path_factory.mktemp("class"), tmp_path_factory.mktemp("out")
    solution = repo / "solutions" / LAB_ID
    for student, content in BROKEN_PART3.items():
        shutil.copytree(solution, root / student)
        (root / student / "part3_softmax.py").unlink()
        (root / student / "part3_softmax.ipynb").write_bytes(content(solution / "part3_softmax.py"))
    shutil.copytree(solution, root / "solution")
    (root / "nothing_submitted").mkdir()
    result = run("grade-all", root, "--out", out)
    assert result.returncode == 0, result.stderr
    with open(out / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    return root, out, rows


def test_malformed_notebooks_score_zero_for_that_part_only(graded_class):
    _, out, rows = graded_class
    for student in set(BROKEN_PART3) - {"old_format_v3"}:
        row = rows[student]
        assert row["status"] == "graded"
        assert float(row["part3"]) == 0 and float(row["total"]) == 70, (student, row)
    feedback = (out / "invalid_json" / "feedback.md").read_text()
    assert "not valid notebook JSON" in feedback
    assert "over the 20 MB limit" in (out / "huge" / "feedback.md").read_text()


def test_old_notebook_format_is_converted_not_rejected(graded_class):
    _, _, rows = graded_class
    assert float(rows["old_format_v3"]["total"]) == 90


def test_class_reports(graded_class):
    _, out, rows = graded_class
    assert rows["solution"]["total"] == "90.0" and rows["solution"]["status"] == "graded"
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
    assert json.loads((out / "binary" / "results.json").read_bytes())["score"] == 90
