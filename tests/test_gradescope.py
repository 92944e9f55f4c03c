"""`autograder build gradescope`: the bundle's contents and scripts. test_install.py runs it as Gradescope
does, from its own `setup.sh` in a fresh root."""

import shutil
import subprocess
import zipfile

import pytest

from autograder.build import gradescope
from autograder.errors import UsageError
from autograder.labs.encoders_decoders import LAB, LAB_ID, PARTS

GRADED = [part for part in PARTS if part.points]


@pytest.fixture(scope="module")
def bundle(repo, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    assert gradescope.build(LAB, repo, out) == [out]
    return out


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
    gradescope.build(LAB, repo, again)
    assert again.read_bytes() == bundle.read_bytes()
    with pytest.raises(UsageError, match=r"\.zip"):
        gradescope.build(LAB, repo, tmp_path / "bundle.tar")


def test_scripts(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as archive:
        setup, runner = archive.read("setup.sh").decode(), archive.read("run_autograder").decode()
    for script in (setup, runner):
        assert script.startswith("#!/usr/bin/env bash\n") and "@@" not in script
        assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
    assert '"torch==2.13.0" ${TORCH_INDEX:+--index-url "$TORCH_INDEX"}' in setup
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
