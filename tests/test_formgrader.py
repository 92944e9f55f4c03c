"""A TA grades Part 5 in nbgrader's formgrader, in a real browser, on the course `build nbgrader` writes.

The course README's steps: `autograder nbgrader-autograde` or `nbgrader autograde` (the test runs on a
course filled each way), then `jupyter lab` from the course folder, Nbgrader >
Formgrader, Manual Grading, the assignment, `part5_reflection`, a submission: a score and a comment for each
reflection prompt (the formgrader saves each field when it loses focus). Then `nbgrader generate_feedback`
and `nbgrader export` must carry what was typed: autograded + manual points out of 100, and the comments.
"""

from __future__ import annotations

import csv
import html
import os
import re
import subprocess
from pathlib import Path

import pytest
from browser import jupyter_lab
from corpus import REPO
from platforms import nbgrader, write_submission

from autograder.build import nbgrader as course
from autograder.labs.encoders_decoders import LAB, LAB_ID, PARTS

pytestmark = pytest.mark.browser

STUDENT = "ada"
AUTOGRADED = sum(part.points for part in PARTS)  # the reference solution's autograded score
MANUAL = sum(part.manual_points for part in PARTS)
REFLECTION = next(part for part in PARTS if part.manual_points)
# The first answer carries markup that would run in the TA's browser, were it rendered as written.
RUNS = '<img src="x" onerror="window.ranStudentCode = true">'
ANSWERS = ("An encoder outputs one vector per token; its head gives class logits in one pass. A decoder "
           f"outputs next-token logits at every position, and text comes one token per pass. {RUNS}",
           "Encoders are fast and good at classifying, but cannot write; decoders write anything, slowly. "
           "Spam filtering: encoder. Summaries: decoder.")
# What the TA enters for the prompts R1 and R2: (cell id, score, comment).
GRADES = (("r1", 4, "R1: outputs well contrasted; say how generation stops (eos or a length limit)."),
          ("r2", 3, "R2: good examples; name a disadvantage of encoders and one of decoders."))


def answered(text: str) -> str:
    """The reflection notebook (percent format) with ANSWERS in its two answer cells, in order."""
    for answer in ANSWERS:
        text = text.replace("# YOUR ANSWER HERE", f"# {answer}", 1)
    assert "YOUR ANSWER HERE" not in text
    return text


@pytest.fixture(scope="module", params=["nbgrader-autograde", "nbgrader autograde"])
def graded_course(request, tmp_path_factory, ta_python) -> Path:
    """The course with one submission autograded, in the TA's own environment, by either command: the
    reference solution, its reflections answered."""
    root = tmp_path_factory.mktemp("formgrader") / "course"
    course.build(LAB, REPO, root)
    nbgrader(root, "generate_assignment", LAB_ID, "--force", python=ta_python)
    parts = {p.stem: (REPO / "solutions" / LAB_ID / f"{p.stem}.py").read_text() for p in PARTS}
    parts[REFLECTION.stem] = answered(parts[REFLECTION.stem])
    write_submission(root / "submitted" / STUDENT / LAB_ID, parts)
    if request.param == "nbgrader autograde":
        nbgrader(root, "autograde", LAB_ID, python=ta_python)
    else:
        env = {**os.environ, "AUTOGRADER_MODELS": "offline", "HF_HUB_OFFLINE": "1",
               "PATH": os.pathsep.join([str(ta_python.parent), os.environ.get("PATH", "")])}
        done = subprocess.run([str(ta_python), "-m", "autograder", "nbgrader-autograde", str(root)], env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
    return root


def grade_reflections(page, server, shots) -> None:
    """The TA's clicks, from JupyterLab's menu to a saved score and comment for every prompt."""
    page.goto(server.lab)
    page.get_by_role("menuitem", name="Nbgrader").click()
    page.get_by_role("menuitem", name="Formgrader", exact=True).click()
    formgrader = page.frame_locator("iframe[src*='formgrader']")
    formgrader.get_by_role("link", name="Manual Grading").wait_for()
    page.locator(".jp-DirListing-item").first.wait_for()  # the course folder, in the file browser
    shots(page, "formgrader-in-jupyterlab")
    formgrader.get_by_role("link", name="Manual Grading").click()
    formgrader.get_by_role("link", name=LAB_ID).click()
    formgrader.get_by_role("link", name=REFLECTION.stem).click()
    formgrader.get_by_role("link", name="Submission #1").wait_for()
    shots(page, "submissions-to-grade")
    formgrader.get_by_role("link", name="Submission #1").click()
    formgrader.locator(f"#{GRADES[0][0]}").wait_for()
    submission = page.frame(url=re.compile(r"/formgrader/submissions/"))
    # A box typed in before the page has loaded its grades and comments is never saved (nor shown).
    submission.wait_for_function("formgrader.grades.loaded && formgrader.comments.loaded")
    for cell, score, comment in GRADES:
        for field, value, api in ((f"#{cell}", str(score), "/api/grade/"),
                                  (f"#{cell}-comment", comment, "/api/comment/")):
            with page.expect_response(lambda r, api=api: api in r.url and r.request.method == "PUT") as saved:
                formgrader.locator(field).fill(value)
                formgrader.locator(field).press("Tab")  # the formgrader saves a field when it loses focus
            assert saved.value.ok, (field, saved.value.status)
    formgrader.locator(f"#{GRADES[0][0]}").focus()  # the formgrader scrolls to a focused score ...
    page.wait_for_timeout(1000)  # ... in 500 ms: the screenshot waits for it
    shots(page, "score-saved")
    formgrader.locator(f"#{GRADES[0][0]}-comment").scroll_into_view_if_needed()  # below the mark scheme
    shots(page, "comment-saved")
    formgrader.get_by_text(ANSWERS[0][:60]).wait_for()  # the answer is shown, its markup ran nothing
    assert submission.evaluate("() => window.ranStudentCode === undefined")
    formgrader.get_by_role("link", name=REFLECTION.stem).click()  # the breadcrumb back to the list
    manual = sum(score for _, score, _ in GRADES)
    formgrader.get_by_text(f"{manual} / {REFLECTION.manual_points}").first.wait_for()
    shots(page, "graded")


def assert_exported(root: Path, ta_python: Path) -> None:
    """`nbgrader generate_feedback` and `export` on the course: the TA's scores added to the autograded
    points, out of 100, and the comments in the student's feedback without the mark scheme."""
    nbgrader(root, "generate_feedback", LAB_ID, python=ta_python)
    nbgrader(root, "export", "--to", str(root / "grades.csv"), python=ta_python)
    with open(root / "grades.csv", newline="") as handle:
        (row,) = (row for row in csv.DictReader(handle) if row["student_id"] == STUDENT)
    manual = sum(score for _, score, _ in GRADES)
    scores = float(row["raw_score"]), float(row["max_score"])
    assert scores == (AUTOGRADED + manual, AUTOGRADED + MANUAL), row
    feedback = html.unescape(
        (root / "feedback" / STUDENT / LAB_ID / f"{REFLECTION.stem}.html").read_text("utf-8"))
    for _, _, comment in GRADES:
        assert comment in feedback, comment
    assert "MARK SCHEME" not in feedback


def test_a_ta_grades_the_reflections_in_formgrader(graded_course, ta_python, page, shots, tmp_path):
    """The TA's JupyterLab is the one the course README's install puts beside nbgrader, started from the
    course folder with that environment first on PATH."""
    venv = ta_python.parent
    env = {**os.environ, "PATH": os.pathsep.join([str(venv), os.environ.get("PATH", "")])}
    with jupyter_lab(venv / "jupyter", graded_course, env, tmp_path / "jupyter.log") as server:
        grade_reflections(page, server, shots)
    assert_exported(graded_course, ta_python)
