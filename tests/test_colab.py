"""A student on Colab, with nothing but the notebook: its runtime cell gets the lab's runtime and its models.

The instructor builds the Classroom template with `--runtime-url` (here: a `file://` URL of a folder that
stands in for the course's web space or Google Drive) and publishes the template's runtime wheel there. The
student's Python holds only what Colab preinstalls that matters here (torch, transformers, and ipykernel and
nbclient to run a notebook as Colab's kernel does), and no `autograder`. One part's notebook, completed with
the reference answers, is the only file in an empty folder; the student chooses `MODELS = "offline"` in the
runtime cell, as Colab's form does, runs every cell, then the runtime cell once more. The runtime cell must
install the runtime (and, run again, install nothing), every cell must run to the end on the offline kit
with every public check passing, and the folder must still hold only the notebook.

The default tier checks the runtime cell where it must do nothing (the grade of a completed notebook is the
solution's, with the cell saying MODELS = "hub") and where the runtime is missing (one line saying what to
do); the slow tier runs the whole simulation for every part.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from corpus import REPO, answered
from fresh_env import TORCH_CPU_INDEX, clean_env, new_venv, run, with_torch_index
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder.build import release
from autograder.build.assignments import graded_functions, is_runtime_cell
from autograder.labs.encoders_decoders import LAB, LAB_ID, PARTS

GRADED = [part for part in PARTS if part.points]
# Runs a notebook as a kernel would on Colab: every cell in order, stopping at the first error; the executed
# notebook is written elsewhere, so the notebook's folder gets nothing from the runner itself.
RUN_ALL = """
import sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
folder = str(Path(sys.argv[1]).parent)
try:
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": folder}}).execute()
finally:
    nbformat.write(notebook, sys.argv[2])
"""


def completed(notebook: Path, models: str | None = None) -> nbformat.NotebookNode:
    """A student notebook answered as the reference solution does, with MODELS set to `models` if given, as
    Colab's form writes it."""
    student = answered(nbformat.read(notebook, as_version=4), notebook.stem)
    for cell in student.cells:
        if models and is_runtime_cell(cell):
            chosen = cell.source.replace('MODELS = "hub"  # @param', f'MODELS = "{models}"  # @param')
            assert chosen != cell.source, "the runtime cell has no MODELS form field"
            cell.source = chosen
    return student


def runtime_cell_outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    (cell,) = [cell for cell in notebook.cells if is_runtime_cell(cell)]
    return cell.outputs


# ------------------------------------------------------------------------------ default tier


def test_the_runtime_cell_changes_no_grade(repo, tmp_path):
    """Under the grader the runtime is installed: the cell installs nothing, its MODELS = "hub" does not
    move the grader off its own model set, and the completed notebooks grade to full marks, every cell
    clean."""
    template = tmp_path / "template"
    release.build(LAB, repo, template, runtime_url="https://courses.example.org/nowhere/runtime.whl")
    submission = tmp_path / "submission"
    submission.mkdir()
    for part in PARTS:
        nbformat.write(completed(template / f"{part.stem}.ipynb"), submission / f"{part.stem}.ipynb")
    out = tmp_path / "graded"
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), "--out", str(out)],
                   check=True, capture_output=True, timeout=900)
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == sum(part.points for part in GRADED), results
    feedback = (out / "feedback.md").read_text(encoding="utf-8")
    assert "did not run cleanly" not in feedback, feedback


@pytest.fixture
def no_runtime(tmp_path, monkeypatch) -> None:
    """Kernels started from here cannot import `autograder` (an IPython start-up file hides it), as in a
    Python where it was never installed."""
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-no-autograder.py").write_text('import sys\nsys.modules["autograder"] = None\n')
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))


@pytest.mark.parametrize("address, says", [
    ("", "LabSetupError: this notebook needs the lab's runtime: run it in the lab's repository folder "
         "(see its README), or set RUNTIME in this cell to the address your course gives"),
    ("/nowhere/encoders_decoders_runtime-0.1.0-py3-none-any.whl",
     "LabSetupError: could not install the lab's runtime from /nowhere/encoders_decoders_runtime-0.1.0-"
     "py3-none-any.whl (ERROR: "),
], ids=["no_address", "address_unreachable"])
def test_without_its_runtime_a_notebook_says_what_to_do_in_one_line(repo, no_runtime, tmp_path, address,
                                                                   says):
    files = release.expected_files(LAB, repo, address or None)
    notebook = nbformat.reads(files["part3_softmax.ipynb"].decode(), as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError):
        client.execute()
    (error,) = [output for output in runtime_cell_outputs(notebook) if output["output_type"] == "error"]
    assert len(error["traceback"]) == 1 and error["traceback"][0].startswith(says), error["traceback"]
    assert "check the address and your connection, then run this cell again" in error["traceback"][0] or \
        not address
    ran = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.execution_count]
    assert len(ran) == 1, "Run all must stop at the runtime cell"


# ------------------------------------------------------------------------------ slow tier: the simulation


@pytest.fixture(scope="module")
def colab(tmp_path_factory) -> Path:
    """The `bin` folder of a fresh Python with torch, transformers, ipykernel and nbclient only."""
    root = tmp_path_factory.mktemp("colab")
    python = new_venv(root / "python")
    run(with_torch_index(f"{python}/pip install torch==2.13.0 --index-url {TORCH_CPU_INDEX}"), root,
        clean_env())
    run([str(python / "pip"), "install", "--quiet", "-c", str(REPO / "constraints.txt"), "transformers",
         "ipykernel", "nbclient"], root, clean_env())
    return python


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """The Classroom template, built with --runtime-url naming the course's copy of its runtime wheel, and
    that copy published (a folder here; the course's web space or Google Drive for real)."""
    root = tmp_path_factory.mktemp("course")
    site = root / "site"
    site.mkdir()
    address = (site / Path(release.wheel_path(LAB)).name).as_uri()
    subprocess.run([sys.executable, "-m", "autograder", "build", "release", "--out", str(root / "template"),
                    "--runtime-url", address], check=True, capture_output=True, timeout=600)
    shutil.copy(root / "template" / release.wheel_path(LAB), site)
    return root


@pytest.mark.slow
@pytest.mark.parametrize("stem", [part.stem for part in PARTS])
def test_a_notebook_alone_runs_to_the_end_on_colab(colab, course, stem, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"colab-{stem}")
    home = tmp_path_factory.getbasetemp() / "colab-home"  # one Colab user for every part: the kit is kept
    home.mkdir(exist_ok=True)
    env = clean_env(colab, HOME=str(home), HF_HUB_OFFLINE="1")
    run([str(colab / "pip"), "uninstall", "--yes", "--quiet", release.runtime_dist(LAB)], work, env)
    with pytest.raises(AssertionError, match="No module named 'autograder'"):
        run([str(colab / "python"), "-c", "import autograder"], work, env)
    content = work / "content"
    content.mkdir()
    student = completed(course / "template" / f"{stem}.ipynb", models="offline")
    (runtime,) = [cell for cell in student.cells if is_runtime_cell(cell)]
    again = nbformat.v4.new_code_cell(runtime.source, id="runtime-again")  # the student runs it once more
    student.cells.append(again)
    nbformat.write(student, content / f"{stem}.ipynb")

    executed = work / "executed.ipynb"
    run([str(colab / "python"), "-c", RUN_ALL, str(content / f"{stem}.ipynb"), str(executed)], content, env)
    notebook = nbformat.read(executed, as_version=4)
    assert sorted(path.name for path in content.iterdir()) == [f"{stem}.ipynb"]  # nothing written beside it
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), "not every cell ran"
    errors = [out for cell in code for out in cell.outputs if out["output_type"] == "error"]
    assert not errors, errors
    printed = "".join(out.get("text", "") for out in runtime_cell_outputs(notebook))
    assert f"Installing the lab's runtime from {(course / 'site').as_uri()}/" in printed, printed
    assert "Models: offline (the offline kit" in printed, printed
    again = "".join(out.get("text", "") for out in code[-1].outputs)
    assert again.startswith("Models: offline") and "Installing" not in again, again  # idempotent
    checks = [cell for cell in code if cell.metadata.get("nbgrader", {}).get("grade")]
    for cell in checks:  # the tick line: the plain text of the check's record
        shown = "".join(out.get("text", "") + out.get("data", {}).get("text/plain", "")
                        for out in cell.outputs)
        assert "public checks passed" in shown or "public check passed" in shown, (cell.source, shown)
    assert len(checks) == len(graded_functions(REPO / "solutions" / LAB_ID / f"{stem}.py"))
    installed = run([str(colab / "pip"), "show", "--files", release.runtime_dist(LAB)], work, env)
    assert "autograder/labs/encoders_decoders/public.py" in installed
    assert "hidden" not in installed
    assert list((home / ".cache" / "autograder" / "kit").glob("*/kit.json")), "the kit was not built in HOME"
