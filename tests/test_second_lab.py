"""A second lab, `tests/labs/tiny_attention`, through every path, with no change outside its folder.

It is found as a course's own lab is, through $AUTOGRADER_LABS. Its copy graded here lies outside this
repository's `tests/` (which children never see), as a course's lab folder would. Scores come from its `Lab`.
Default tier: grade, grade-all, build assignments --check, release, gradescope, nbgrader (built). Slow tier:
stock `nbgrader autograde` of its course, and its Gradescope bundle installed and run as Gradescope does.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml
from platforms import scrubbed_run

from autograder import course
from autograder.build import gradescope, release
from autograder.build import nbgrader as nbgrader_course
from autograder.grading.results import Grade

REPO = Path(__file__).resolve().parent.parent
LABS = REPO / "tests" / "labs"
NAME = "tiny_attention"
MODULES = REPO / "autograder"


@pytest.fixture(scope="module")
def labs(tmp_path_factory):
    """A course's lab folder holding a copy of the test lab, named in $AUTOGRADER_LABS for this module."""
    folder = tmp_path_factory.mktemp("course") / "labs"
    shutil.copytree(LABS / NAME, folder / NAME, ignore=shutil.ignore_patterns("__pycache__"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv(course.ENV_VAR, str(folder))
        yield folder


@pytest.fixture(scope="module")
def lab(labs) -> course.Lab:
    return course.find(NAME)


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
                          check=False)


def _text_files(root: Path):
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and "vendor" not in path.parts:
            yield path


def test_no_module_outside_a_lab_names_its_parts(lab):
    """Every lab's title and part names appear only in its own folder: the grader, builders, templates and
    platforms serve any lab."""
    labs = (course.find(None), lab)
    for path in _text_files(MODULES):
        text = path.read_text(encoding="utf-8", errors="replace")
        for one in labs:
            if path.is_relative_to(one.folder):
                continue
            named = [name for name in (one.title, *(part.stem for part in one.parts)) if name in text]
            assert not named, f"{path.relative_to(REPO)} names {one.id}'s {named}"


def test_labs_are_found_by_name_and_a_wrong_name_is_one_clear_line(labs, lab):
    assert NAME in course.available() and lab.points == sum(part.points for part in lab.parts)
    wrong = run("grade", labs, "--lab", "no_such_lab", "--out", labs.parent / "out")
    assert wrong.returncode == 2 and "unknown lab 'no_such_lab'" in wrong.stderr and NAME in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_its_committed_assignments_are_up_to_date_with_its_solutions():
    done = run("build", "assignments", "--lab", NAME, "--check", env={course.ENV_VAR: str(LABS)})
    assert done.returncode == 0, done.stderr
    assert f"assignments of {NAME} are up to date" in done.stdout


def _class(root: Path, lab: course.Lab) -> dict[str, float]:
    """Students' folders under `root`, each with the total its work must score (from the lab's points)."""
    first, second = lab.parts
    solutions = {p.stem: p.read_text(encoding="utf-8") for p in lab.solutions.glob("*.py")}
    students = {"solved": (solutions, lab.points),
                "stubs": ({p.stem: p.read_text(encoding="utf-8") for p in lab.assignments.glob("*.py")}, 0),
                "first_part_only": ({first.stem: solutions[first.stem]}, first.points)}
    # The library's softmax where the exercise asks for one by hand: the first part's tests refuse it.
    library = re.sub(r"### BEGIN SOLUTION\n.*?### END SOLUTION",
                     "return torch.softmax(queries @ keys.T / math.sqrt(queries.shape[-1]), dim=-1)",
                     solutions[first.stem], flags=re.S)
    students["library_softmax"] = ({**solutions, first.stem: library}, lab.points - first.points)
    for student, (parts, _) in students.items():
        (root / student).mkdir(parents=True)
        for stem, text in parts.items():
            jupytext.write(jupytext.reads(text, fmt="py:percent"), root / student / f"{stem}.ipynb")
    assert second.points and {total for _, total in students.values()} == {lab.points, 0, first.points,
                                                                           lab.points - first.points}
    return {student: total for student, (_, total) in students.items()}


def test_grade_all_and_grade_score_it_by_its_own_parts_and_points(lab, tmp_path):
    expected = _class(tmp_path / "class", lab)
    done = run("grade-all", tmp_path / "class", "--lab", NAME, "--out", tmp_path / "graded", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "graded" / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    columns = ["student_id", *(f"part{part.number}" for part in lab.parts), "total", "max_score", "status"]
    assert list(next(iter(rows.values()))) == columns
    assert {student: float(row["total"]) for student, row in rows.items()} == expected
    assert {float(row["max_score"]) for row in rows.values()} == {lab.points}
    feedback = (tmp_path / "graded" / "library_softmax" / "feedback.md").read_text(encoding="utf-8")
    assert "used torch.softmax" in feedback and "did not run cleanly" not in feedback

    one = run("grade", tmp_path / "class" / "solved", "--lab", NAME, "--out", tmp_path / "one")
    assert one.returncode == 0, one.stderr
    results = json.loads((tmp_path / "one" / "results.json").read_text(encoding="utf-8"))
    assert (results["score"], results["max_score"]) == (lab.points, lab.points)
    grade = Grade.from_json((tmp_path / "one" / "grade.json").read_text(encoding="utf-8"))
    assert [part.part for part in grade.parts] == list(lab.parts)
    assert [(test.part, test.index) for test in grade.tests] == sorted((test.part, test.index)
                                                                       for test in grade.tests)
    assert [(t["number"], t["test_id"]) for t in results["tests"]] == [(t.number, t.test_id)
                                                                       for t in grade.tests]


def test_its_release_ships_its_runtime_and_nothing_hidden(lab, tmp_path):
    out = tmp_path / "template"
    release.build(lab, REPO, out)
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {f"{part.stem}.ipynb" for part in lab.parts} <= names
    assert {f"autograder/labs/{NAME}/{name}" for name in lab.runtime} <= names
    assert not any("hidden" in name or "solutions" in name for name in names)
    with zipfile.ZipFile(out / release.wheel_path(lab)) as wheel:
        assert f"autograder/labs/{NAME}/public.py" in wheel.namelist()
    parts = json.loads((out / "scripts" / "parts.json").read_text(encoding="utf-8"))
    assert {number: part["points"] for number, part in parts.items()} == {
        str(part.number): part.points for part in lab.graded}
    steps = yaml.safe_load((out / ".github" / "workflows" / "classroom.yml").read_text(encoding="utf-8"))
    graders = [step for step in steps["jobs"]["run-autograding-tests"]["steps"]
               if step.get("uses", "").startswith("classroom-resources/autograding-command-grader")]
    assert [step["with"]["max-score"] for step in graders] == [part.points for part in lab.graded]
    hidden_step = next(step for step in steps["jobs"]["run-autograding-tests"]["steps"]
                       if step["name"].startswith("Run the hidden tests"))
    assert f"--lab {NAME}" in hidden_step["run"]
    assert all(f"| `{part.stem}.ipynb` |" in (out / "README.md").read_text() for part in lab.parts)


def _check_part(template: Path, number: int, home: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """The Classroom step of part `number` as the command grader runs it, and the report it leaves."""
    done = scrubbed_run(f"python scripts/check_part.py {number}", template, home)
    return done, json.loads((template / ".autograder" / f"part{number}.json").read_text(encoding="utf-8"))


def test_its_classroom_step_passes_a_check_by_the_record_it_displays_never_by_printed_text(lab, tmp_path,
                                                                                         scrubbed_home):
    """`check(fn)` displays a record, which check_part.py reads from the executed notebook: the release's
    runtime holds what the record needs, and a tick line printed by the student's own code is no check."""
    out = tmp_path / "template"
    release.build(lab, REPO, out)
    first = lab.parts[0]
    solution = jupytext.read(lab.solutions / f"{first.stem}.py")
    nbformat.write(solution, out / f"{first.stem}.ipynb")
    done, report = _check_part(out, first.number, scrubbed_home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "  PASS  attention_weights\n" in done.stdout
    assert f"Part {first.number}: 1/1 public checks passed; passed" in done.stdout
    assert report["checks"] == [{"name": "attention_weights", "passed": True, "message": ""}]

    check_cell = next(i for i, cell in enumerate(solution.cells) if cell.source == "check(attention_weights)")
    forged = 'print("✓ attention_weights: public checks passed.")'  # the line check(...) used to print
    solution.cells[check_cell] = nbformat.v4.new_code_cell(forged)
    nbformat.write(solution, out / f"{first.stem}.ipynb")
    done, report = _check_part(out, first.number, scrubbed_home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL  attention_weights: its check did not run" in done.stdout
    assert report["passed"] is False and report["checks"][0]["passed"] is False


def test_its_gradescope_bundle_holds_its_suites_but_not_its_solutions(lab, tmp_path):
    (bundle,) = gradescope.build(lab, REPO, tmp_path / "autograder.zip")
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        script = archive.read("run_autograder").decode()
    ours = f"grader/autograder/labs/{NAME}/"
    assert {f"{ours}hidden/test_{part.stem}.py" for part in lab.graded} <= names
    assert not any(name.startswith((f"{ours}solutions/", f"{ours}assignments/")) for name in names)
    assert f"--lab {NAME}" in script


def test_its_nbgrader_course_gives_each_part_its_points(lab, tmp_path):
    nbgrader_course.build(lab, REPO, tmp_path)
    for part in lab.parts:
        notebook = jupytext.read(tmp_path / "source" / NAME / f"{part.stem}.ipynb")
        assert nbgrader_course.hidden_points(notebook) == part.points
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "No part of this lab is graded by hand" in readme and f"out of {lab.points} in all" in readme
    config = (tmp_path / "nbgrader_config.py").read_text(encoding="utf-8")
    assert f'course_id = "{nbgrader_course.course_id(lab)}"' in config


# ------------------------------------------------------------------------------------------------ slow tier


@pytest.mark.slow
def test_stock_nbgrader_autograde_of_its_course_scores_as_grade_all(lab, ta_python, tmp_path):
    """Its nbgrader course, in the TA's own environment: every notebook's autograded score is the score
    grade-all gives that part."""
    from nbgrader.api import Gradebook
    from platforms import nbgrader

    expected = _class(tmp_path / "class", lab)
    done = run("grade-all", tmp_path / "class", "--lab", NAME, "--out", tmp_path / "graded")
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "graded" / "grades.csv", newline="") as handle:
        by_part = {row["student_id"]: {part.stem: float(row[f"part{part.number}"] or 0) for part in lab.parts}
                   for row in csv.DictReader(handle)}
    root = tmp_path / "course"
    nbgrader_course.build(lab, REPO, root)
    nbgrader(root, "generate_assignment", NAME, "--force", python=ta_python)
    for student in expected:
        for notebook in (tmp_path / "class" / student).glob("*.ipynb"):
            target = root / "submitted" / student / NAME / notebook.name
            target.parent.mkdir(parents=True, exist_ok=True)
            text = jupytext.writes(jupytext.read(notebook), fmt="py:percent")
            jupytext.write(nbgrader_course.submitted_copy(lab, text, notebook.stem), target, fmt="ipynb")
    nbgrader(root, "autograde", NAME, python=ta_python)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for student, parts in by_part.items():
            for part in lab.parts:
                if not (tmp_path / "class" / student / f"{part.stem}.ipynb").is_file():
                    continue
                notebook = gradebook.find_submission_notebook(part.stem, NAME, student)
                assert notebook.score == parts[part.stem], (student, part.stem)


@pytest.mark.slow
def test_its_gradescope_bundle_installed_as_gradescope_does_grades_the_solution(lab, tmp_path):
    from platforms import gradescope_machine, run_autograder

    (bundle,) = gradescope.build(lab, REPO, tmp_path / "autograder.zip")
    machine = gradescope_machine(bundle, tmp_path / "machine")
    _class(tmp_path / "class", lab)
    for student, total in (("solved", lab.points), ("library_softmax", lab.points - lab.parts[0].points)):
        results = run_autograder(machine, tmp_path / student, tmp_path / "class" / student)
        assert results is not None and (results["score"], results["max_score"]) == (total, lab.points)
