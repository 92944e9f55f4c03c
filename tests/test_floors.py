"""Every floor in pyproject.toml is a version that really runs: a fresh environment with each direct
dependency (the nbgrader extra's included) at exactly its floor runs every solution notebook, grades the
solution to full marks, and autogrades it with nbgrader. Slow tier: it installs a second set of versions."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from corpus import REPO
from fresh_env import TORCH_INDEX, clean_env, new_venv, run, source_copy
from packaging.requirements import Requirement
from platforms import nbgrader, write_submission

from autograder.build import nbgrader as course
from autograder.labs.encoders_decoders import LAB, LAB_ID, PARTS

pytestmark = pytest.mark.slow
FULL = sum(part.points for part in PARTS)


def floors() -> dict[str, str]:
    """Each direct dependency (core and the nbgrader extra) -> the version its `>=` names."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = {}
    for text in [*project["dependencies"], *project["optional-dependencies"]["nbgrader"]]:
        requirement = Requirement(text)
        (floor,) = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        found[requirement.name] = floor
    return found


@pytest.fixture(scope="module")
def floor_env(tmp_path_factory) -> tuple[Path, Path]:
    """(a copy of the repository, its environment's bin) with every direct dependency at its floor."""
    course_copy = source_copy(tmp_path_factory.mktemp("floors"))
    pins = "".join(f"{name}=={version}\n" for name, version in floors().items())
    (course_copy / "floors.txt").write_text(pins, encoding="utf-8")
    bin_dir = new_venv(course_copy / "floor-env")
    index = ["--index-url", TORCH_INDEX] if TORCH_INDEX else []
    env = clean_env()
    run([str(bin_dir / "pip"), "install", "--quiet", "-c", "floors.txt", "torch", *index], course_copy, env)
    run([str(bin_dir / "pip"), "install", "--quiet", "-c", "floors.txt", ".[nbgrader]"], course_copy, env)
    return course_copy, bin_dir


def test_the_environment_holds_exactly_the_floors(floor_env):
    course_copy, bin_dir = floor_env
    script = "import json, sys\nfrom importlib import metadata\n" \
             "print(json.dumps({n: metadata.version(n) for n in sys.argv[1:]}))"
    wanted = floors()
    installed = json.loads(run([str(bin_dir / "python"), "-c", script, *wanted], course_copy, clean_env()))
    for name, floor in wanted.items():
        got = re.sub(r"\+.*", "", installed[name])  # torch's local label, "+cpu"
        assert got.split(".")[:len(floor.split("."))] == floor.split(".") and \
            all(part == "0" for part in got.split(".")[len(floor.split(".")):]), (name, got, floor)


@pytest.mark.parametrize("part", [p.stem for p in PARTS])
def test_every_solution_notebook_runs_at_the_floors(floor_env, part):
    course_copy, bin_dir = floor_env
    run([str(bin_dir / "python"), f"solutions/{LAB_ID}/{part}.py"], course_copy,
        clean_env(AUTOGRADER_MODELS="offline", HF_HUB_OFFLINE="1"))


def test_the_solution_grades_to_full_marks_at_the_floors(floor_env, tmp_path):
    course_copy, bin_dir = floor_env
    run([str(bin_dir / "autograder"), "grade", f"solutions/{LAB_ID}", "--out", str(tmp_path)], course_copy,
        clean_env())
    assert json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["score"] == FULL


def test_nbgrader_autogrades_the_solution_at_the_floors(floor_env, tmp_path):
    _, bin_dir = floor_env
    root = tmp_path / "course"
    course.build(LAB, REPO, root)
    python = bin_dir / "python"
    nbgrader(root, "generate_assignment", LAB_ID, "--force", python=python)
    solutions = {p.stem: (REPO / "solutions" / LAB_ID / f"{p.stem}.py").read_text() for p in PARTS}
    write_submission(root / "submitted" / "solution" / LAB_ID, solutions)
    nbgrader(root, "autograde", LAB_ID, python=python)
    nbgrader(root, "export", "--to", str(root / "grades.csv"), python=python)
    rows = (root / "grades.csv").read_text(encoding="utf-8").splitlines()
    header, row = rows[0].split(","), rows[1].split(",")
    assert float(row[header.index("raw_score")]) == FULL
