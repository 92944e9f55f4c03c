"""An nbgrader course directory from ``solutions/``: config, TA README, its images, ``source/<lab>/*.ipynb``.

The source notebooks are the solution files read by Jupytext, with their nbgrader metadata, solution
regions and mark schemes kept (nbgrader's ``generate_assignment`` clears them, with the same delimiters as
``autograder build assignments``), and the student notebooks' runtime cell before the setup cell. One change
makes nbgrader score like the standalone grader:

- nbgrader grade cells are all-or-nothing, the hidden suites give credit per test. So each public check
  cell (``grade: true`` in solutions, ``check(fn)``) becomes a plain locked cell, and after it come one
  hidden-test grade cell per hidden test of ``fn`` (``grade_id`` ``<fn's grade_id>_t<k>``, that test's
  points). Its hidden region calls :func:`autograder.integrations.nbgrader_bridge.hidden_test`, which
  grades the notebook with the standalone grader in a fresh process and reports that one test: the check
  is defined once, in the hidden suite, and never appears in a notebook, the gradebook or the feedback.
- Which tests belong to which function: the first ``student.call("NAME", ...)`` a test reaches (through
  the suite's own helper functions), read with ``ast``. The build fails if a test reaches no graded
  function of its part, if a graded function has no check cell, or if a check cell's points differ from
  the sum of its tests' points.
- The visible part of a hidden-test cell (what students receive) calls ``implemented("fn")``: it fails
  while ``fn`` is still the stub, so ``nbgrader validate --invert`` on the release fails every test, and
  does nothing during ``nbgrader autograde``, where only the hidden test decides.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from autograder.build.assignments import (
    SETUP_ID,
    graded_functions,
    is_runtime_cell,
    render_assignment,
    runtime_notebook_cell,
)
from autograder.course import Lab
from autograder.errors import UsageError

# The formgrader, step by step, as README.md shows it (taken by tests/test_formgrader.py).
README_IMAGES = ("formgrader-submissions.png", "formgrader-score.png", "formgrader-graded.png")
HIDDEN_CELL_TIMEOUT = 1800  # seconds: a hidden cell may grade a whole part, hostile code included
CELL_TIMEOUT = 300  # seconds for every other cell (loading hub models on a cold cache included)


@dataclass(frozen=True)
class HiddenTest:
    test_id: str  # the test function's name
    name: str  # first docstring line: the name students see
    points: float
    function: str  # the student function it calls first


def _points(node: ast.FunctionDef, where: str) -> float | None:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "points" and isinstance(decorator, ast.Call) and decorator.args:
            value = decorator.args[0]
            if isinstance(value, ast.Constant) and isinstance(value.value, int | float):
                return float(value.value)
            raise UsageError(f"{where}:{node.lineno}: @points() needs a number literal")
        if name in ("parametrize", "skip", "skipif", "xfail"):
            raise UsageError(f"{where}:{node.lineno}: {node.name}: @{name} tests cannot become nbgrader "
                             "cells")
    return None


def _first_student_call(node: ast.AST, helpers: dict[str, ast.FunctionDef], bound: dict[str, str],
                        seen: frozenset[str]) -> str | None:
    """The function name of the first ``<x>.call("NAME", ...)`` reached from ``node`` in source order,
    following calls to the suite's module-level helpers (string arguments bound to their parameters)."""
    calls = sorted((n for n in ast.walk(node) if isinstance(n, ast.Call)),
                   key=lambda n: (n.lineno, n.col_offset))
    for call in calls:
        if isinstance(call.func, ast.Attribute) and call.func.attr == "call" and call.args:
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                return first.value
            if isinstance(first, ast.Name) and first.id in bound:
                return bound[first.id]
        if isinstance(call.func, ast.Name) and call.func.id in helpers and call.func.id not in seen:
            helper = helpers[call.func.id]
            params = [a.arg for a in helper.args.posonlyargs + helper.args.args]
            env = {}
            for param, arg in zip(params, call.args, strict=False):
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    env[param] = arg.value
                elif isinstance(arg, ast.Name) and arg.id in bound:
                    env[param] = bound[arg.id]
            for keyword in call.keywords:
                if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                    env[keyword.arg] = keyword.value.value
            found = _first_student_call(helper, helpers, env, seen | {call.func.id})
            if found:
                return found
    return None


def suite_tests(suite: Path) -> list[HiddenTest]:
    """The tests of a hidden suite, in file order (pytest's order), with points and the function each
    checks."""
    where = str(suite)
    tree = ast.parse(suite.read_text(encoding="utf-8"), filename=where)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    helpers = {n.name: n for n in functions if not n.name.startswith("test")}
    tests = []
    for node in functions:
        if not node.name.startswith("test"):
            continue
        points = _points(node, where)
        if points is None:
            raise UsageError(f"{where}:{node.lineno}: {node.name} has no @points(N)")
        function = _first_student_call(node, helpers, {}, frozenset())
        if function is None:
            raise UsageError(f"{where}:{node.lineno}: {node.name} calls no student function "
                             "(no student.call(\"NAME\", ...) reached): cannot place it in a notebook")
        doc = (ast.get_docstring(node) or node.name).strip().splitlines()[0]
        tests.append(HiddenTest(node.name, doc, points, function))
    return tests


def _checked_function(source: str, where: str) -> str:
    """NAME in a public check cell's ``check(NAME)``."""
    names = [n.args[0].id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
             and getattr(n.func, "id", "") == "check" and n.args and isinstance(n.args[0], ast.Name)]
    if len(names) != 1:
        raise UsageError(f"{where}: a public check cell must hold exactly one check(function) call")
    return names[0]


def hidden_cell_source(part_stem: str, function: str, test: HiddenTest, k: int, n: int) -> str:
    worth = f"{test.points:g} point{'s' * (test.points != 1)}"
    return (f"# Hidden test {k} of {n} for {function} ({worth}): it runs when your notebook is graded.\n"
            "from autograder.integrations.nbgrader_bridge import hidden_test, implemented\n\n"
            f'implemented("{function}")\n'
            "### BEGIN HIDDEN TESTS\n"
            f'hidden_test("{part_stem}", "{test.test_id}")\n'
            "### END HIDDEN TESTS")


def source_notebook(lab: Lab, text: str, where: str, part_stem: str, suite: Path | None, solution: Path,
                    check_regions: bool = True) -> nbformat.NotebookNode:
    """The nbgrader source notebook of one part of `lab` from its Jupytext percent ``text``.

    ``suite`` is the part's hidden suite (None: no autograded tests, e.g. the reflections); ``solution`` is
    the part's solution file, which names the graded functions. ``text`` may be another notebook of the same
    part with the same cell headers (a student's, to build a submission as nbgrader would receive it): then
    pass ``check_regions=False``.
    """
    if check_regions:
        render_assignment(lab, text, where)  # the same region and metadata checks as the student stubs
    graded = graded_functions(solution)
    tests = suite_tests(suite) if suite is not None else []
    by_function: dict[str, list[HiddenTest]] = {}
    for test in tests:
        if test.function not in graded:
            raise UsageError(f"{suite}: {test.test_id} calls {test.function!r}, which is not a graded "
                             f"function of {part_stem} ({', '.join(graded) or 'none'})")
        by_function.setdefault(test.function, []).append(test)
    notebook = jupytext.reads(text, fmt="py:percent")
    notebook.metadata.pop("jupytext", None)  # no pairing: a paired .py could bring solutions back
    cells, checked = [], set()
    for i, cell in enumerate(notebook.cells):
        meta = cell.metadata.get("nbgrader", {})
        cell.id = meta.get("grade_id") or f"cell-{i}"
        cells.append(cell)
        if not (cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")):
            continue
        function = _checked_function(cell.source, f"{where} cell {meta.get('grade_id')}")
        if function not in by_function:
            if suite is None:
                continue  # no hidden suite yet: the check cell stays an nbgrader test cell
            raise UsageError(f"{where}: check({function}) has no hidden test in {suite.name}")
        checked.add(function)
        own = by_function[function]
        if sum(t.points for t in own) != float(meta.get("points", 0)):
            raise UsageError(f"{where}: check({function}) is worth {meta.get('points')} points but its "
                             f"hidden tests in {suite.name} sum to {sum(t.points for t in own):g}")
        cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": True,
                                     "task": False, "grade_id": meta["grade_id"]}
        base = graded[function]
        for k, test in enumerate(own, start=1):
            hidden = nbformat.v4.new_code_cell(hidden_cell_source(part_stem, function, test, k, len(own)))
            hidden.id = f"{base}_t{k}"
            hidden.metadata["nbgrader"] = {"schema_version": 3, "grade": True, "solution": False,
                                           "locked": True, "task": False, "grade_id": hidden.id,
                                           "points": test.points}
            cells.append(hidden)
    missing = set(by_function) - checked
    if missing:
        raise UsageError(f"{where}: no public check cell for {', '.join(sorted(missing))}, which the hidden "
                         "tests call: add a check(function) cell after each graded function")
    if not any(map(is_runtime_cell, cells)):  # as in the student notebooks: the runtime cell, then setup
        setup = next((i for i, c in enumerate(cells)
                      if c.metadata.get("nbgrader", {}).get("grade_id") == SETUP_ID), None)
        if setup is not None:
            cells.insert(setup, runtime_notebook_cell(lab))
    notebook.cells = cells
    ids = [c.id for c in cells]
    if len(set(ids)) < len(ids):
        raise UsageError(f"{where}: grade_id {max(ids, key=ids.count)!r} is used twice")
    nbformat.validate(notebook)
    return notebook


def submitted_copy(lab: Lab, text: str, stem: str) -> nbformat.NotebookNode:
    """A student's part (Jupytext text with the lab's cell headers) as nbgrader receives it: the source
    notebook's layout with the hidden regions removed, like a released notebook the student filled in."""
    solution = lab.solutions / f"{stem}.py"
    notebook = source_notebook(lab, text, stem, stem, part_suite(lab, stem), solution, check_regions=False)
    for cell in notebook.cells:
        cell.source = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", cell.source, flags=re.S)
    return notebook


def part_suite(lab: Lab, stem: str) -> Path | None:
    suite = lab.suite(lab.part(stem))
    return suite if suite.is_file() else None


def hidden_points(notebook: nbformat.NotebookNode) -> float:
    """The points of a notebook's hidden-test cells."""
    return sum(float(c.metadata["nbgrader"]["points"]) for c in notebook.cells
               if c.metadata.get("nbgrader", {}).get("grade") and "### BEGIN HIDDEN TESTS" in c.source)


def course_id(lab: Lab) -> str:
    return f"transformers-{lab.id.replace('_', '-')}"


def _config_text(lab: Lab) -> str:
    return f'''"""nbgrader configuration, generated by `autograder build nbgrader` (do not edit)."""

import os

from autograder.integrations.nbgrader_bridge import TRANSFORMERS_STDERR
from autograder.integrations.nbgrader_execute import ResilientExecute
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearMarkScheme, GetGrades,
                                    IgnorePattern, LimitOutput, SaveAutoGrades)

# The kernels nbgrader starts inherit these: no network, the offline model kit unless the TA chose a set.
os.environ.setdefault("AUTOGRADER_MODELS", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "{course_id(lab)}"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# Autograde runs each kernel in the student's folder, first on its import path: a Python file or an
# autograder/ package handed in beside the notebooks would replace what the hidden-test cells import. The
# lab has only notebooks, so nothing else a submission holds is copied there.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py", "*.pth",
                            "autograder"]

# Student notebooks get nbgrader's stub; the function name is in the docstring just above it.
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\n"
                                       "raise NotImplementedError(\\"write your code here\\")"}}

# Timeouts: a hidden-test cell grades a whole part (model loading, hostile code and its own limits
# included), every other cell gets {CELL_TIMEOUT} s. A cell that times out is interrupted; a kernel that dies
# (os._exit, a crash, out of memory) or stays unresponsive is restarted, and the remaining cells run on, so
# the hidden tests are always scored (ResilientExecute, a subclass of nbgrader's Execute).
c.Execute.timeout = {CELL_TIMEOUT}
c.ResilientExecute.hidden_cell_timeout = {HIDDEN_CELL_TIMEOUT}
c.Execute.interrupt_on_timeout = True
c.Execute.raise_on_iopub_timeout = False
c.Execute.startup_timeout = 120
c.Autograde.autograde_preprocessors = [ResilientExecute, IgnorePattern, ClearMetadataPreprocessor,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# A grade cell with ANY stderr output scores 0 in nbgrader: drop the warnings transformers, torch and
# huggingface_hub print (nbgrader >= 0.9.4).
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = TRANSFORMERS_STDERR

# A student who deletes a hidden-test or reflection cell gets it back (and its tests run).
c.OverwriteCells.add_missing_cells = True

# Autograde puts the reflection prompts back as the source has them, mark schemes included (the formgrader
# shows them to the TA); the feedback students receive must not.
c.GenerateFeedback.preprocessors = [GetGrades, ClearMarkScheme, CSSHTMLHeaderPreprocessor]
'''


README = """# nbgrader course: {lab}

Generated by `autograder build nbgrader --out DIR` from `solutions/{lab}/`; rebuild rather than edit.

## What is here

| path | what | give to students? |
|---|---|---|
| `nbgrader_config.py` | course id, timeouts, stderr filter, missing-cell restore | no |
| `source/{lab}/*.ipynb` | the solutions, mark schemes and hidden-test cells | **never** |
| `release/{lab}/` (after `generate_assignment`) | the student notebooks | yes: only this |
| `gradebook.db` (after `generate_assignment`) | grades, and the hidden-test cells' source | **never** |
| `submitted/`, `autograded/`, `feedback/` | students' work, graded copies, feedback | own feedback only |

## Pipeline

Install the grader with nbgrader once, from a checkout of the course repository (torch first, the CPU
build; then the pinned versions):

```bash
python3 -m venv nbgrader-env
nbgrader-env/bin/pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
nbgrader-env/bin/pip install -c constraints.txt '.[nbgrader]'
```

Run from this folder, with that environment's `bin` first on PATH (the kernels nbgrader starts must
import the `autograder` package). `nbgrader_config.py` sets `AUTOGRADER_MODELS=offline` and
`HF_HUB_OFFLINE=1` unless you set them: export `AUTOGRADER_MODELS=hub` (models already in the
Hugging Face cache) or a TOML file to grade with other models.

```bash
nbgrader generate_assignment {lab} --force        # source/ -> release/ and gradebook.db
nbgrader validate --invert release/{lab}/*.ipynb  # every hidden test must fail on the stubs
nbgrader validate source/{lab}/*.ipynb            # and pass on the solutions
# collect: students' notebooks in submitted/<student>/{lab}/*.ipynb
nbgrader autograde {lab}                          # hidden tests run; reflections wait for you
jupyter lab                                       # the formgrader: grade the reflections (below)
nbgrader generate_feedback {lab}                  # feedback/<student>/{lab}/*.html
nbgrader export --to grades.csv                   # one row per student and assignment
```

## Grading by hand in the formgrader

{manual} graded by hand, in nbgrader's formgrader, a page of JupyterLab.

1. From this folder, in the same environment, start `jupyter lab` (it opens your browser; on a remote
   machine add `--no-browser` and open the `http://127.0.0.1:8888/lab?token=...` address it prints).
2. Menu **Nbgrader > Formgrader**, then **Manual Grading**, `{lab}`, and the notebook: one row per
   submission, with a ✔ under "Needs Manual Grade?" until it is graded.

   ![The formgrader in JupyterLab](images/formgrader-submissions.png)

3. Open a submission. Each prompt shows the student's answer below it, your mark scheme (it never reaches
   students), a score box (`/ 5`) and a comment box. Type the score and the comment: each box is saved
   when it loses focus (Tab, or a click elsewhere).

   ![Scoring a reflection prompt](images/formgrader-score.png)

4. Back on the list, the submission shows its manual score (`7 / 10`) and no longer needs grading. Then
   `nbgrader generate_feedback` writes the comments into each student's feedback HTML, and
   `nbgrader export` adds the scores to the autograded ones (out of {total} in all).

   ![The submission graded](images/formgrader-graded.png)

The formgrader warns that the exchange directory does not exist: this course puts submissions into
`submitted/` itself, without nbgrader's release and collect, so the warning does not matter.

## How the hidden tests work

Each public `check(fn)` cell is followed by one nbgrader test cell per hidden test of `fn`, worth that test's
points, so a student gets partial credit exactly as with `autograder grade`. The hidden part of the cell is
two lines, `from autograder.integrations.nbgrader_bridge import hidden_test` and
`hidden_test("<notebook>", "test_...")`: the first time a part's test runs, it grades that notebook with the
standalone isolated grader in a fresh process (the student's code in a confined child, the comparisons in
the trusted parent), then each cell reports its own test: `✓ <name> (<points> points)`, or an
`AssertionError` saying what was wrong. The feedback HTML therefore shows each test's name, points and
message, and never the hidden test code or an expected value (unlike stock
nbgrader, issues #917 and #1363).

Timing: the first hidden cell of each notebook starts the grader (imports, models) and grades the part,
30-45 s on the offline kit on a busy 2-core machine; the following cells of that notebook are instant.
nbgrader autograde handles one notebook at a time (no parallelism), so a class takes minutes per student:
grade large classes with `autograder grade-all --jobs N` and use nbgrader for the reflections and feedback.

## Limits

- The hidden tests run in the same kernel as the student's notebook, after it: a student's code could
  replace `hidden_test` itself, or edit the environment the grader starts with. nbgrader offers no
  isolation here (its FAQ says so). **`autograder grade-all submitted --out DIR` is the authoritative
  grade**: it grades the same `submitted/` folders without ever running student code next to the tests.
  Compare its `grades.csv` with `nbgrader export` to spot a tampered notebook.
- The grader the hidden cells start confines each notebook it grades as `grade-all` does, and refuses
  (the hidden cells then fail, saying why) where the sandbox would lack a layer: a TA's account without
  user namespaces and on a kernel before 6.12, for one. `export AUTOGRADER_ALLOW_WEAK_ISOLATION=1` before
  `nbgrader autograde` grades there anyway.
- Students need the `autograder` package for the public checks and for `implemented(...)`, but not the
  hidden suites: give them the student package, never this repository.
- A kernel killed by the student's code (`os._exit`) is restarted and the remaining cells run on; any code
  that depended on the lost kernel state fails in the kernel, but the hidden tests grade the file, so
  their scores do not change.
- One unreadable notebook (invalid JSON, say) makes nbgrader give up on the student's whole submission:
  autograde logs "There was an error processing assignment" and every notebook of that student scores 0.
  `autograder grade-all` scores the unreadable part 0 and the other parts as usual: use its grades for that
  student.
- nbgrader runs each student's code unconfined, as the user running `nbgrader autograde`. Run it as a user
  who cannot write the Python environment, the `autograder` package, the offline kit's cache
  (`~/.cache/autograder/kit` or `$AUTOGRADER_KIT_DIR`) or this folder's `source/`: a notebook can otherwise
  rewrite the grader for every student graded after it (the corpus attack `a_tamper_grader` does exactly
  that).
- Each kernel starts with limits (`ResilientExecute` in `nbgrader_config.py`): `kernel_memory_mb` (8192)
  of address space for the kernel and each process it starts, so a memory bomb fails with `MemoryError`,
  and `kernel_max_processes` (256) processes and threads on top of what the grading user already runs.
  Linux never applies that process limit to root: grade as an unprivileged user, or a fork bomb in a
  demo cell can take the machine down. A cell that leaves processes running (a fork bomb's copies, a
  daemon) has them killed with its kernel, which is restarted for the next cells; a cell that swallows
  the timeout's interrupt ends as `CellTimeoutError`, and its kernel is restarted too. On the sample corpus
  (fork bomb and endless cell included) nbgrader gives every part the score `autograder grade-all` gives,
  except for the unreadable notebook above.
- nbgrader has no "error" status: when the grader itself fails on a notebook (a model that does not load,
  a bug in a hidden test), each hidden cell of that notebook fails with "the grader failed on ...; a fault
  of the grader, not of the notebook", and nbgrader scores those cells 0. Look for that message in the
  autograded notebooks before you export, or grade with `autograder grade-all`, which records such a
  student as `error` with no score and exits 1.
- Files handed in besides the notebooks are not copied next to the kernel (`CourseDirectory.ignore` in
  `nbgrader_config.py`): a planted `autograder/` package or `sitecustomize.py` cannot replace the bridge.
"""


def _manual_parts(lab: Lab) -> str:
    """The README's words for the parts graded by hand: "Part 5, `reflection` (10 points), is"."""
    manual = [f"Part {p.number}, `{p.stem}` ({p.manual_points} points)" for p in lab.parts if p.manual_points]
    if not manual:
        return "No part of this lab is"
    return f"{', '.join(manual)}, {'is' if len(manual) == 1 else 'are'}"


def build(lab: Lab, root: Path, out: Path) -> list[Path]:
    """Write the nbgrader course directory ``out`` from the lab's solutions; returns the written files.
    `root` is the course repository (its docs/images go into the TA's README)

    Other content of ``out`` (gradebook.db, release/, submitted/, ...) is left alone; stale source notebooks
    of parts that no longer exist are removed.
    """
    root, out = Path(root), Path(out)
    solutions = lab.solutions
    if not solutions.is_dir():
        raise UsageError(f"no solutions folder {solutions}")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    files: dict[Path, str] = {}
    stems = {part.stem for part in lab.parts}
    source = out / "source" / lab.id
    for solution in sorted(solutions.glob("*.py")):
        if solution.name.startswith("_"):
            continue
        if solution.stem not in stems:
            raise UsageError(f"{solution}: not a part of {lab.id} ({', '.join(sorted(stems))})")
        text = solution.read_text(encoding="utf-8")
        where = str(solution.relative_to(root)) if solution.is_relative_to(root) else str(solution)
        suite = part_suite(lab, solution.stem)
        notebook = source_notebook(lab, text, where, solution.stem, suite, solution)
        part = lab.part(solution.stem)
        if suite is not None and hidden_points(notebook) != part.points:
            raise UsageError(f"{where}: its hidden-test cells are worth {hidden_points(notebook):g} points, "
                             f"the lab says part {part.number} is worth {part.points}")
        files[source / f"{solution.stem}.ipynb"] = nbformat.writes(notebook).rstrip("\n") + "\n"
    if not files:
        raise UsageError(f"{solutions} holds no part notebooks")
    files[out / "nbgrader_config.py"] = _config_text(lab)
    files[out / "README.md"] = README.format(lab=lab.id, manual=_manual_parts(lab),
                                             total=lab.points + sum(p.manual_points for p in lab.parts))
    files[out / ".gitignore"] = "gradebook.db\nsource/\nsubmitted/\nautograded/\nfeedback/\n"
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for stale in source.glob("*.ipynb"):
        if stale not in files:
            stale.unlink()
    (out / "images").mkdir(exist_ok=True)
    for name in README_IMAGES:
        shutil.copyfile(root / "docs" / "images" / name, out / "images" / name)
    return sorted([*files, *(out / "images" / name for name in README_IMAGES)])

