"""A fault of the grader is never a student's score: the student's status says `error: ...`, no score is
recorded, `grade-all` says so on the terminal and in summary.md, exits 1 after writing everything else, and
`--resume` grades that student again. And what only the grader can read (a private model-set file, a
model folder under /tmp) still grades, since the children are handed the models, not the paths."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.labs.encoders_decoders import LAB, LAB_ID

PART1 = "part1_tokenization"

# grade-all with Part 1's reference computation broken, as a bug in the grader would break it.
BROKEN_REFERENCE = """
import sys
from autograder.labs.encoders_decoders import expected
def broken(*args, **kwargs):
    raise RuntimeError("injected fault in the reference computation")
expected.input_table = broken
from autograder.cli import main
sys.exit(main(sys.argv[1:]))
"""


def grade_all(root: Path, out: Path, *extra: str, script: str | None = None) -> subprocess.CompletedProcess:
    command = ["-c", script, "grade-all"] if script else ["-m", "autograder", "grade-all"]
    return subprocess.run([sys.executable, *command, str(root), "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})


def rows(out: Path) -> dict[str, dict]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def test_a_reference_computation_that_raises_is_a_grader_error_and_resume_grades_again(repo, tmp_path):
    root, out = tmp_path / "class", tmp_path / "graded"
    for student, folder in (("solution", "solutions"), ("stubs", "assignments")):
        (root / student).mkdir(parents=True)
        shutil.copy(repo / folder / LAB_ID / f"{PART1}.py", root / student)

    faulty = grade_all(root, out, script=BROKEN_REFERENCE)
    assert faulty.returncode == 1, faulty.stderr
    assert "the grader failed for 2 student(s)" in faulty.stderr and "injected fault" in faulty.stderr
    for student, row in rows(out).items():  # the stubs too: their tests compute the reference first
        assert row["status"].startswith("error: GraderFault") and row["total"] == row["part1"] == ""
        assert not (out / student / "results.json").exists()  # no score stands for the student
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "The grader failed for 2 student(s): solution, stubs" in summary

    again = grade_all(root, out, "--resume")
    assert again.returncode == 0, again.stderr
    assert {s: (row["status"], row["part1"]) for s, row in rows(out).items()} == {
        "solution": ("graded", "20.0"), "stubs": ("graded", "0.0")}


def test_a_private_model_set_and_model_folders_under_tmp_grade_the_solution_to_full_marks(repo, kit_dir,
                                                                                          tmp_path):
    """The model-set file is readable by the grader alone (mode 600 in a 700 folder) and its models lie
    under /tmp, which a child sees as an empty private tmpfs."""
    private = tmp_path / "ta-home"
    private.mkdir(mode=0o700)
    for role in ("encoder", "decoder"):
        shutil.copytree(kit_dir / role, private / role)
    models = private / "models.toml"
    models.write_text(f'extends = "offline"\n[models]\nencoder = "{private / "encoder"}"\n'
                      f'decoder = "{private / "decoder"}"\n', encoding="utf-8")
    models.chmod(0o600)
    out = tmp_path / "graded"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(repo / "solutions" / LAB_ID),
                           "--out", str(out), "--models", str(models)], capture_output=True, text=True,
                          timeout=600, check=False, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == results["max_score"] == LAB.points, \
        [t["output"] for t in results["tests"] if t["status"] == "failed"][:2]
