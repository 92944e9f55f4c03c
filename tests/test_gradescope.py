"""`autograder build gradescope`: the bundle, and run_autograder under a simulated Gradescope root.

GRADESCOPE_ROOT moves /autograder: the test unpacks the zip into ROOT/source, copies run_autograder to ROOT
as Gradescope does, and points AUTOGRADER_PYTHON at this interpreter instead of the venv setup.sh makes.
"""

import json
import shutil
import subprocess
import sys
import zipfile

import pytest
from platforms import run_autograder, simulated_root

from autograder.build import gradescope
from autograder.errors import UsageError
from autograder.labs.encoders_decoders import LAB_ID, PARTS

GRADED = [part for part in PARTS if part.points]


@pytest.fixture(scope="module")
def bundle(repo, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    assert gradescope.build(repo, out) == [out]
    return out


def valid(results: dict) -> None:
    """Gradescope's schema, as far as the bundle promises it."""
    top = {"score", "max_score", "execution_time", "output", "visibility", "stdout_visibility", "tests"}
    assert top <= set(results)
    assert results["max_score"] == 90
    for test in results["tests"]:
        assert {"name", "number", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert 0 <= test["score"] <= test["max_score"]
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))


def test_bundle_contents(bundle):
    with zipfile.ZipFile(bundle) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert {"setup.sh", "run_autograder", "README.md", "grader/pyproject.toml", "grader/constraints.txt",
            "grader/autograder/cli.py", "grader/autograder/models/vendor/gpt2/merges.txt",
            "grader/autograder/models/kit.py"} <= set(names)
    for part in GRADED:
        assert f"grader/autograder/labs/{LAB_ID}/hidden/test_{part.stem}.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/build/" in n]
    assert not [n for n in names if n.startswith(("solutions/", "grader/solutions/"))]
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        mode = info.external_attr >> 16 & 0o777
        assert mode == (0o755 if info.filename in ("setup.sh", "run_autograder") else 0o644)


def test_deterministic(repo, bundle, tmp_path):
    again = tmp_path / "again.zip"
    gradescope.build(repo, again)
    assert again.read_bytes() == bundle.read_bytes()
    with pytest.raises(UsageError, match=r"\.zip"):
        gradescope.build(repo, tmp_path / "bundle.tar")


def test_scripts(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as archive:
        setup, runner = archive.read("setup.sh").decode(), archive.read("run_autograder").decode()
    for script in (setup, runner):
        assert script.startswith("#!/usr/bin/env bash\n") and "@@" not in script
        assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
    assert '"torch==2.13.0" --index-url "$TORCH_INDEX"' in setup
    assert "https://download.pytorch.org/whl/cpu" in setup
    assert '-c "$SOURCE/grader/constraints.txt"' in setup
    for script in (setup, runner):
        assert 'ROOT="${GRADESCOPE_ROOT:-/autograder}"' in script
    assert 'grade "$SUBMISSION" --out "$RESULTS"' in runner
    shellcheck = shutil.which("shellcheck")
    if shellcheck:
        (tmp_path / "setup.sh").write_text(setup)
        (tmp_path / "run_autograder").write_text(runner)
        scripts = [tmp_path / "setup.sh", tmp_path / "run_autograder"]
        result = subprocess.run([shellcheck, "-S", "warning", *scripts], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout


def test_empty_submission_gets_a_valid_zero(bundle, kit_dir, tmp_path):
    root = simulated_root(bundle, tmp_path / "autograder", [])
    results = run_autograder(root, kit_dir)
    valid(results)
    assert results["score"] == 0
    assert "Nothing to grade" in results["output"] and "part1_tokenization.ipynb" in results["output"]
    assert [t["max_score"] for t in results["tests"]] == [p.points for p in GRADED]


@pytest.mark.slow
def test_solution_scores_full_marks_and_matches_grade(repo, bundle, kit_dir, tmp_path):
    solution = sorted((repo / "solutions" / LAB_ID).glob("part*.py"))
    root = simulated_root(bundle, tmp_path / "autograder", solution)
    results = run_autograder(root, kit_dir)
    valid(results)
    assert results["score"] == 90
    direct = tmp_path / "direct"
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(root / "submission"), "--out",
                    str(direct), "--models", "offline"], check=True, capture_output=True, timeout=900)
    expected = json.loads((direct / "results.json").read_text())
    for data in (results, expected):
        data.pop("execution_time")
    assert results == expected


@pytest.mark.slow
def test_stubs_score_zero(repo, bundle, kit_dir, tmp_path):
    stubs = sorted((repo / "assignments" / LAB_ID).glob("part*.ipynb"))
    root = simulated_root(bundle, tmp_path / "autograder", stubs)
    results = run_autograder(root, kit_dir)
    valid(results)
    assert results["score"] == 0
    assert all(test["status"] == "failed" for test in results["tests"])
