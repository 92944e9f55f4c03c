"""What students wrote, rendered in the TA's browser by nbgrader's formgrader (and in the feedback), runs
nothing: their markdown cells through ``InertMarkdown``, their outputs through nbconvert's sanitizer, both
set by the course's ``nbgrader_config.py``."""

from __future__ import annotations

import re

import pytest
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from platforms import REPO
from traitlets.config.loader import PyFileConfigLoader

from autograder.build import nbgrader as course
from autograder.labs.encoders_decoders import LAB

pytest.importorskip("nbgrader")

from nbgrader.server_extensions.formgrader import handlers

from autograder.integrations.nbgrader_inert import InertMarkdown, inert_markdown

ANSWER = ("## My answer\n\nEncoders see **both** sides; decoders *only* the left.\n\n- one\n- two\n\n"
          "`a<b` and $x^2$, and a < b. [The docs](https://example.org), [more](javascript:alert('link'))\n\n"
          "<img src=x onerror=\"alert('img')\">\n<script>alert('script')</script>\n"
          "<iframe src=\"https://example.org\"></iframe>")
RUNS = re.compile(r"<script>alert|<iframe|<img[^>]*\bon\w+=|javascript:alert", re.IGNORECASE)


def test_an_answer_keeps_its_markdown_and_loses_what_would_run():
    html = inert_markdown(ANSWER)
    assert not RUNS.search(html), html
    for kept in ("<h2>My answer", "<strong>both</strong>", "<em>only</em>", "<li>one</li>",
                 "<code>a&lt;b</code>", "$x^2$", "a &lt; b", '<a href="https://example.org">The docs</a>',
                 "&lt;script&gt;"):
        assert kept in html, kept


@pytest.fixture(scope="module")
def course_config(tmp_path_factory):
    root = tmp_path_factory.mktemp("inert-course")
    course.build(LAB, REPO, root)
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def _formgrade(notebook, config) -> str:
    """The page the formgrader serves for one submission (its handler's exporter and resources)."""
    exporter = HTMLExporter(config=config, template_name="formgrade",
                            extra_template_basedirs=[handlers.template_path])
    resources = {"assignment_id": LAB.id, "notebook_id": "part5_reflection", "submission_id": "s", "index": 0,
                 "total": 1, "base_url": "", "student": "mallory", "last_name": None, "first_name": None,
                 "notebook_path": "autograded/mallory/part5_reflection.ipynb"}
    return exporter.from_notebook_node(notebook, resources=resources)[0]


def test_the_formgrader_page_of_an_autograded_notebook_runs_nothing_a_student_wrote(course_config):
    answer = new_markdown_cell(ANSWER, metadata={"nbgrader": {
        "solution": True, "grade": True, "locked": False, "grade_id": "r1", "points": 5}})
    prompt = new_markdown_cell("Explain <b>why</b>.",
                               metadata={"nbgrader": {"locked": True, "grade_id": "p"}})
    shown = "<b>ok</b><img src=y onerror=alert(3)><script>alert(4)</script>"
    output = new_code_cell("show()", outputs=[
        new_output("display_data", data={"text/plain": "x", "text/html": shown}),
        new_output("display_data", data={"application/javascript": "alert(5)"})])
    notebook = new_notebook(cells=[prompt, answer, output])
    assert RUNS.search(_formgrade(notebook, course_config))  # nbgrader's templates render markdown raw

    autograded, _ = InertMarkdown().preprocess(notebook, {})  # the last of the course's autograde steps
    page = _formgrade(autograded, course_config)
    assert not RUNS.search(page)
    assert "alert(5)" not in page
    assert "<strong>both</strong>" in page and "<b>why</b>" in page  # the answer and the prompt, as written
    assert "<b>ok</b>" in page
