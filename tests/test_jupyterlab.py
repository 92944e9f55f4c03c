"""A student in JupyterLab with the Jupytext pair, in a real browser, in the Classroom template.

The student installs what the template's README says, in a fresh environment (fresh_env.py), and starts
`AUTOGRADER_MODELS=offline jupyter lab` in the repository. Then: opens `part3_softmax.ipynb`, writes
`softmax` in its exercise cell, runs the cells above, the exercise, its demo and its public check, and
saves with Ctrl+S. The paired `.py` must then hold the edit, and the grader must grade what was saved.
The other way round: `softmax` written in the `.py` (in another editor) shows in JupyterLab when the
notebook is opened, and is in the `.ipynb` once saved.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest
from browser import jupyter_lab
from corpus import REPO
from fresh_env import clean_env, run, with_torch_index

from autograder.build import nbgrader as course
from autograder.build import release
from autograder.labs.encoders_decoders import LAB

pytestmark = pytest.mark.browser

PART = "part3_softmax"
STUB = ("    # YOUR CODE HERE (~3 lines)\n"
        '    raise NotImplementedError("softmax: replace this line with your code '
        '(see the docstring above)")')
SOFTMAX = ("    peak = logits.amax(dim=dim, keepdim=True)  # written in {where}\n"
           "    exps = torch.exp(logits - peak)\n"
           "    return exps / exps.sum(dim=dim, keepdim=True)")
PASSED = "✓ softmax: 3 public checks passed."


def readme_install(readme: str) -> list[str]:
    """The install commands of the README's "Working locally" block, without their comments; the block's
    last command (`jupyter lab`) the test runs itself, with a port and token of its own."""
    block = re.search(r"## Working locally.*?```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split(" #")[0].strip() for line in block.splitlines()]
    assert commands[-1] == "jupyter lab", commands
    return commands[:-1]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The Classroom template with the student's environment installed in it, as its README says."""
    out = tmp_path_factory.mktemp("classroom") / "template"
    release.build(LAB, REPO, out)
    script = "\n".join(readme_install((out / "README.md").read_text(encoding="utf-8")))
    run(with_torch_index(script), out, clean_env())
    return out


def student_repo(template: Path, dest: Path) -> Path:
    """A copy of the template's files (the installed environment stays where it was made)."""
    return Path(shutil.copytree(template, dest, ignore=shutil.ignore_patterns(".venv")))


def softmax_tests() -> set[str]:
    """The hidden tests of Part 3 that call softmax first (its points in the grade)."""
    return {t.test_id for t in course.suite_tests(course.part_suite(LAB, PART)) if t.function == "softmax"}


def graded(notebook: Path, out: Path) -> dict[str, tuple[float, float]]:
    """test_id -> (score, max_score) from `autograder grade` of one saved notebook."""
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(notebook), "--out", str(out)],
                   check=True, capture_output=True)
    results = json.loads((out / "results.json").read_text())
    return {t["test_id"]: (t["score"], t["max_score"]) for t in results["tests"]}


def work_on_softmax(page, server, shots, typed: str | None) -> str:
    """Open the notebook in JupyterLab, type `typed` as the softmax exercise cell's text (None: leave it as
    the file has it), run the cells above, the exercise, its demo and its check, then save with Ctrl+S.
    Returns the exercise cell's text as JupyterLab first showed it (blank lines doubled)."""
    page.goto(server.lab)
    page.locator(".jp-DirListing-item", has_text=f"{PART}.ipynb").dblclick()
    exercise = page.locator(".jp-CodeCell", has_text="def softmax(").first
    exercise.wait_for()
    exercise.scroll_into_view_if_needed()  # JupyterLab fills a cell's editor once it is in view
    editor = exercise.locator(".cm-content")
    editor.locator(".cm-line", has_text="def softmax(").wait_for()
    shots(page, "notebook-open")
    shown = editor.inner_text()
    if typed is not None:
        editor.click()
        page.keyboard.press("Control+a")  # the cell's text: the student types the whole cell anew
        page.keyboard.insert_text(typed)  # as typed, without the editor's auto-indent
        shots(page, "exercise-edited")
    exercise.click()
    page.get_by_role("menuitem", name="Run").click()
    page.get_by_role("menuitem", name="Run All Above Selected Cell").click()
    for _ in range(3):  # the exercise, its demo, its check: the selection moves on after each
        page.keyboard.press("Shift+Enter")
    check = page.locator(".jp-CodeCell", has_text="check(softmax)").first
    check.locator(".jp-OutputArea-output", has_text=PASSED).wait_for(timeout=300_000)
    shots(page, "check-passed")
    with page.expect_response(lambda r: r.url.split("?")[0].endswith(f"/api/contents/{PART}.ipynb")
                              and r.request.method == "PUT") as saved:
        page.keyboard.press("Control+s")
    assert saved.value.ok, saved.value.status
    shots(page, "saved")
    return shown


def in_jupyterlab(template: Path, repo: Path, page, shots, typed: str | None) -> str:
    """work_on_softmax in a JupyterLab started as the README says, from the student's repository."""
    venv = template / ".venv" / "bin"
    with jupyter_lab(venv / "jupyter", repo, clean_env(venv, AUTOGRADER_MODELS="offline"),
                     repo.parent / "jupyter.log") as server:
        return work_on_softmax(page, server, shots, typed)


def code_of(path: Path) -> str:
    return "\n".join(c.source for c in jupytext.read(path).cells if c.cell_type == "code")


def exercise_with(notebook: Path, body: str) -> str:
    """The softmax exercise cell of `notebook` with `body` in place of the stub."""
    (cell,) = (c.source for c in jupytext.read(notebook).cells if c.source.startswith("def softmax("))
    assert STUB in cell, cell
    return cell.replace(STUB, body)


def test_an_edit_in_jupyterlab_is_saved_to_the_pair_and_graded(template, page, shots, tmp_path):
    repo = student_repo(template, tmp_path / "repo")
    typed = SOFTMAX.format(where="JupyterLab")
    in_jupyterlab(template, repo, page, shots, exercise_with(repo / f"{PART}.ipynb", typed))
    assert typed in (repo / f"{PART}.py").read_text(encoding="utf-8"), "the paired .py was not updated"
    assert code_of(repo / f"{PART}.ipynb") == code_of(repo / f"{PART}.py")
    scores = graded(repo / f"{PART}.ipynb", tmp_path / "graded")
    assert all(scores[test][0] == scores[test][1] > 0 for test in softmax_tests()), scores


def test_an_edit_to_the_py_shows_in_jupyterlab_and_is_saved_to_the_notebook(template, page, shots, tmp_path):
    repo = student_repo(template, tmp_path / "repo")
    typed = SOFTMAX.format(where="another editor")
    pair = repo / f"{PART}.py"
    pair.write_text(pair.read_text(encoding="utf-8").replace(STUB, typed), encoding="utf-8")
    shown = in_jupyterlab(template, repo, page, shots, None)
    assert typed.splitlines()[0].strip() in shown, "JupyterLab did not show the .py's edit"
    assert typed in code_of(repo / f"{PART}.ipynb"), "the .py's edit is not in the saved notebook"
    scores = graded(repo / f"{PART}.ipynb", tmp_path / "graded")
    assert all(scores[test][0] == scores[test][1] > 0 for test in softmax_tests()), scores
