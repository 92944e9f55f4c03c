"""The grader and the Gradescope bundle as their users install them, in fresh environments (fresh_env.py).

A test that grades inside this repository's `.venv` proves the grader, not the path: the Gradescope bundle
once gave every student 0 from its own `setup.sh` (pytest was only in the dev extra) while every test here
passed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jupytext
import pytest
from corpus import REPO
from fresh_env import GRADER_INSTALL, clean_env, installed, run
from platforms import gradescope_machine, run_autograder

from autograder.build import gradescope
from autograder.grading.results import Grade
from autograder.labs.encoders_decoders import LAB, LAB_ID, PARTS

GRADED = [part for part in PARTS if part.points]
FULL = sum(part.points for part in GRADED)

# nbgrader_execute, nbgrader_record and nbgrader_inert subclass nbgrader's preprocessors; only nbgrader's
# configuration and `autograder nbgrader-autograde` import them (the `nbgrader` extra): without that extra
# they may fail for want of what it installs, and for nothing else.
IMPORT_EVERY_MODULE = """
import importlib, pkgutil, autograder
for module in pkgutil.walk_packages(autograder.__path__, "autograder."):
    if module.name.endswith(".__main__"):
        continue
    try:
        importlib.import_module(module.name)
    except ModuleNotFoundError as missing:
        if module.name not in ("autograder.integrations.nbgrader_execute",
                               "autograder.integrations.nbgrader_record",
                               "autograder.integrations.nbgrader_inert") or \
                missing.name not in ("nbgrader", "nbconvert", "bleach"):
            raise
print(autograder.__file__)
"""


def solution_notebooks(folder: Path) -> Path:
    """`folder` holding the reference solution as the .ipynb files a student hands in."""
    folder.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        notebook = jupytext.read(REPO / "solutions" / LAB_ID / f"{part.stem}.py")
        jupytext.write(notebook, folder / f"{part.stem}.ipynb")
    return folder


def test_the_readme_gives_the_install_commands_these_tests_run():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for command in GRADER_INSTALL:
        assert command in readme, command


@pytest.fixture(scope="module")
def plain_install(tmp_path_factory) -> Path:
    """A copy of the repository with the grader installed as the README says: no extras, no dev tools."""
    return installed(GRADER_INSTALL, tmp_path_factory.mktemp("course"))


def test_a_plain_install_imports_every_module_of_the_package(plain_install):
    python = plain_install / "grader-env" / "bin" / "python"
    where = run([str(python), "-I", "-c", IMPORT_EVERY_MODULE], plain_install, clean_env()).strip()
    assert Path(where).is_relative_to(plain_install / "grader-env"), where  # the installed copy, not ours


def test_a_plain_install_grades_the_solution_to_full_marks(plain_install, tmp_path):
    out = tmp_path / "graded"
    run(["grader-env/bin/autograder", "grade", f"solutions/{LAB_ID}", "--out", str(out)], plain_install,
        clean_env())
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == results["max_score"] == FULL, \
        [t["output"] for t in results["tests"] if t["status"] == "failed"][:3]


# ------------------------------------------------------------------------------------------- Gradescope


@pytest.fixture(scope="module")
def machine(tmp_path_factory) -> Path:
    """A Gradescope image made by the bundle's own `setup.sh`, in a fresh root."""
    bundle = gradescope.build(LAB, REPO, tmp_path_factory.mktemp("bundle") / "autograder.zip")[0]
    return gradescope_machine(bundle, tmp_path_factory.mktemp("gradescope"))


def uploaded(tmp_path: Path, files: list[Path]) -> Path:
    """A folder holding `files`, as a student uploads them."""
    folder = tmp_path / "upload"
    folder.mkdir()
    for path in files:
        shutil.copy(path, folder / path.name)
    return folder


def valid(results: dict | None) -> None:
    """Gradescope's schema, as far as the bundle promises it."""
    assert results is not None, "run_autograder failed"
    top = {"score", "max_score", "execution_time", "output", "visibility", "stdout_visibility", "tests"}
    assert top <= set(results)
    assert results["max_score"] == FULL
    for test in results["tests"]:
        assert {"name", "number", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert 0 <= test["score"] <= test["max_score"]
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))


def test_gradescope_setup_installs_the_grader_in_its_own_environment(machine):
    venv = machine / "venv"
    where = run([str(venv / "bin" / "python"), "-I", "-c", IMPORT_EVERY_MODULE], machine, clean_env())
    assert Path(where.strip()).is_relative_to(venv)
    assert any((machine / "kit").iterdir())


def test_gradescope_gives_the_solution_full_marks(machine, tmp_path):
    results = run_autograder(machine, tmp_path / "root", solution_notebooks(tmp_path / "upload"))
    valid(results)
    assert results["score"] == FULL, [t["output"] for t in results["tests"] if t["status"] == "failed"][:3]


def test_gradescope_gives_the_stubs_zero(machine, tmp_path):
    stubs = uploaded(tmp_path, sorted((REPO / "assignments" / LAB_ID).glob("part*.ipynb")))
    results = run_autograder(machine, tmp_path / "root", stubs)
    valid(results)
    assert results["score"] == 0
    assert all(test["status"] == "failed" for test in results["tests"])


def test_gradescope_gives_an_empty_submission_a_valid_zero_that_says_why(machine, tmp_path):
    results = run_autograder(machine, tmp_path / "root", uploaded(tmp_path, []))
    valid(results)
    assert results["score"] == 0
    assert "Nothing to grade" in results["output"] and "part1_tokenization.ipynb" in results["output"]
    assert [t["max_score"] for t in results["tests"]] == [p.points for p in GRADED]


def test_gradescope_scores_a_broken_notebook_zero_and_grades_the_rest(machine, tmp_path):
    upload = solution_notebooks(tmp_path / "upload")
    (upload / f"{GRADED[0].stem}.ipynb").write_text('{"cells": [', encoding="utf-8")  # cut off mid-save
    results = run_autograder(machine, tmp_path / "root", upload)
    valid(results)
    assert results["score"] == FULL - GRADED[0].points
    record = Grade.from_json((tmp_path / "root" / "results" / "grade.json").read_bytes())
    part1 = {t.number for t in record.tests if t.part == GRADED[0].number}  # the tests of Part 1
    shown = [t for t in results["tests"] if t["number"] in part1]
    assert shown and all(t["score"] == 0 and "not valid notebook JSON" in t["output"] for t in shown)


def test_gradescope_records_no_score_when_the_grader_fails(machine, tmp_path):
    """A fault of the grader (here a model set that does not resolve) leaves no results.json: Gradescope
    then shows an autograder failure to regrade, never a 0 that looks like the student's."""
    upload = solution_notebooks(tmp_path / "upload")
    broken = {"AUTOGRADER_MODELS": "/nowhere/models.toml"}
    assert run_autograder(machine, tmp_path / "root", upload, **broken) is None
